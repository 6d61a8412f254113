"""Group commit keeps the write-ahead order (issue 11.10): the daemon's durable commits are
synced by the store's own thread, and nothing leaves the daemon — no Tracker write, no email,
no message out of the inbox — before the journal and the outcome that record it are on disk.

The disk is held: the WAL's fsync waits on a gate (a real fsync once opened), so what a power
cut at that moment would keep is only what was synced before. While it is held the daemon runs
on, and nothing reaches the fakes or leaves the inbox; opened, everything goes through once."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.e2e.harness import World, running_world
from tracker_bridge.store import wal_sync


@asynccontextmanager
async def held_disk(
    root: Path, monkeypatch: pytest.MonkeyPatch, held: Callable[[World], bool]
) -> AsyncIterator[tuple[World, threading.Event]]:
    """A running world whose store's WAL fsyncs wait, once ``held(world)`` says so, until the
    gate is set; the gate is set before the world closes (its store's close joins the thread)."""
    real, gate, worlds = wal_sync.fsync_file, threading.Event(), []

    def fsync(path: str) -> None:
        if worlds and held(worlds[0]):  # read when the round begins: its commits are held
            gate.wait()
        real(path)

    monkeypatch.setattr(wal_sync, "fsync_file", fsync)
    async with running_world(root) as world:
        worlds.append(world)
        try:
            yield world, gate
        finally:
            gate.set()


async def test_no_create_before_its_journal_entry_is_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holding = threading.Event()
    async with held_disk(tmp_path, monkeypatch, lambda _w: holding.is_set()) as (world, gate):
        await world.settle(30.0)  # the start's own effects (the day's digest) go through first
        holding.set()
        world.mail(subject="Не печатается отчёт", body="Логин: x", sender="doc@clinic1.example")
        await world.settle(60.0, step=5.0)
        assert world.tracker.issues == {}  # the create waits for its journal entry on disk
        assert len(world.folder("")) == 1  # the mail is still in the inbox
        assert world.smtp.messages == []
        assert not world.task.done()  # the daemon runs on meanwhile (the loop is not held)
        gate.set()
        await world.run_until(lambda: not world.folder("") and bool(world.smtp.messages))
        await world.settle(30.0)
        assert [i.summary for i in world.tracker.issues.values()] == ["Не печатается отчёт"]
        assert len(world.folder(".Processed")) == 1
        assert len(world.smtp.messages) == 1  # the acknowledgment, once


async def test_what_follows_the_create_waits_for_its_records_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk is held from the moment Tracker has the issue: the mail's outcome and the
    acknowledgment's journal entry, both committed after the create, are not on disk, so the
    mail stays in the inbox and no email goes out; released, each happens once."""
    async with held_disk(tmp_path, monkeypatch, lambda w: bool(w.tracker.issues)) as (world, gate):
        world.mail(subject="Вопрос", body="Логин: x", sender="doc@clinic1.example")
        await world.run_until(lambda: bool(world.tracker.issues))
        await world.settle(60.0, step=5.0)
        assert len(world.tracker.issues) == 1
        assert len(world.folder("")) == 1
        assert world.smtp.messages == []
        gate.set()
        await world.run_until(lambda: not world.folder("") and bool(world.smtp.messages))
        await world.settle(30.0)
        assert len(world.tracker.issues) == 1
        assert len(world.folder(".Processed")) == 1
        assert len(world.smtp.messages) == 1


async def test_a_mail_leaves_the_inbox_only_once_its_outcome_is_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An auto-reply: no effect at all, only its outcome (ignored) recorded; with the disk
    held it stays in the inbox."""
    holding = threading.Event()
    async with held_disk(tmp_path, monkeypatch, lambda _w: holding.is_set()) as (world, gate):
        await world.settle(30.0)
        holding.set()
        auto = {"Auto-Submitted": "auto-replied"}
        world.mail(subject="Out of office", body="Я в отпуске", headers=auto)
        await world.settle(60.0, step=5.0)
        assert len(world.folder("")) == 1
        gate.set()
        await world.run_until(lambda: not world.folder(""))
        await world.settle(30.0)
        assert world.tracker.issues == {}
        assert world.smtp.messages == []
