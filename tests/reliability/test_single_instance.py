"""Issue 13.1: exactly one active daemon per SQLite store.

Two real daemon processes (:mod:`tracker_bridge.testing.daemon_process`) on one configuration —
the operator's mistake that sent 18 acknowledgments for 10 mails. The second refuses to start
with one line naming the first (pid, host, since) and exit code 75; a ``kill -9`` of the first
frees the store for the next start, since the kernel drops the lock with its holder.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.harness import email
from tests.reliability.support import (
    DaemonChild,
    eventually,
    message_id_counts,
    write_config,
)
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.store.instance import (
    EX_ANOTHER_INSTANCE,
    AnotherInstanceError,
    InstanceLock,
    lock_path_for,
)
from tracker_bridge.store.postgres import PostgresStore
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.postgres import PostgresCluster
from tracker_bridge.testing.smtp import SmtpCapture

MAILS = 10


async def test_a_second_daemon_on_the_same_store_refuses_and_names_the_first(
    tmp_path: Path,
) -> None:
    """10 mails with two daemons started on one config: 10 issues and exactly 10
    acknowledgments; the second daemon exits 75 with one line naming pid, host and since."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        first = DaemonChild(config, tmp_path / "first.log")
        second = DaemonChild(config, tmp_path / "second.log")
        try:
            await first.start()
            pid = first.pid
            await second.start(wait_ready=False)
            code = await second.exit_code(within=60)
            refusal = (tmp_path / "second.log").read_text(encoding="utf-8").strip()
            for n in range(MAILS):
                _, raw = email(subject=f"Не открывается карта {n}", body=f"Карта {n}.")
                deliver(tmp_path / "Maildir", raw)
            await eventually(lambda: len(smtp.messages) >= MAILS, 60, "acknowledged")
            assert len(tracker.issues) == MAILS
            assert await first.stop() == 0
        finally:
            await first.close()
            await second.close()
    assert code == EX_ANOTHER_INSTANCE
    lines = refusal.splitlines()
    assert len(lines) == 1, refusal
    assert "another daemon is already active" in lines[0]
    assert f"pid {pid} on {socket.gethostname()} since " in lines[0]
    assert str(tmp_path / "state.sqlite3") in lines[0]
    assert sorted(message_id_counts(smtp.messages).values()) == [1] * MAILS


async def test_the_refusal_names_the_running_pid_and_a_kill_9_frees_the_store(
    tmp_path: Path,
) -> None:
    """The line names the live daemon's own pid; after ``kill -9`` of it (no cleanup at all) a
    new daemon starts on the same store at once and handles mail."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        first = DaemonChild(config, tmp_path / "first.log")
        second = DaemonChild(config, tmp_path / "second.log")
        third = DaemonChild(config, tmp_path / "third.log")
        try:
            await first.start()
            pid = first.pid
            await second.start(wait_ready=False)
            assert await second.exit_code(within=60) == EX_ANOTHER_INSTANCE
            line = (tmp_path / "second.log").read_text(encoding="utf-8").strip()
            assert f"pid {pid} on {socket.gethostname()} since 20" in line
            await first.kill()
            await third.start()
            _, raw = email(subject="После kill -9", body="Карта 1.")
            deliver(tmp_path / "Maildir", raw)
            await eventually(lambda: len(smtp.messages) == 1, 30, "acknowledged")
            assert await third.stop() == 0
        finally:
            for child in (first, second, third):
                await child.close()


def test_the_lock_is_exclusive_per_store_and_released_on_close(tmp_path: Path) -> None:
    """In one process too: a second claim on the same store fails with the holder's identity;
    another store is independent; after release the store can be claimed again."""
    store = tmp_path / "state.sqlite3"
    since = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    with InstanceLock(store) as first:
        me = first.acquire(since=since)
        assert (me.pid, me.host) == (os.getpid(), socket.gethostname())
        with pytest.raises(AnotherInstanceError) as refused:
            InstanceLock(store).acquire(since=since)
        assert refused.value.holder == me
        assert "since 2026-12-07T09:30:00.000000+00:00" in str(refused.value)
        with InstanceLock(tmp_path / "other.sqlite3") as other:
            other.acquire(since=since)
    assert lock_path_for(store).read_text() == ""  # no stale identity once released
    with InstanceLock(store) as again:
        again.acquire(since=since)
        assert again.held


async def test_on_postgresql_a_second_daemon_waits_as_a_standby_and_acts_only_once_it_leads(
    tmp_path: Path, postgres: PostgresCluster
) -> None:
    """Issue 13.1 + 13.4: on one PostgreSQL store (``store_url``) the second daemon never acts
    while the first leads — it waits as a hot standby, logging who leads — and takes over when
    the first stops. Mail goes to exactly one of them: one issue and one acknowledgment each."""
    url = postgres.create_database()
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        config.write_text(f'store_url = "{url}"\n' + config.read_text(encoding="utf-8"))
        first = DaemonChild(config, tmp_path / "first.log")
        second = DaemonChild(config, tmp_path / "second.log")
        try:
            await first.start()
            pid = first.pid
            await second.start(wait_ready=False)
            await eventually(
                lambda: '"leadership.standby"' in (tmp_path / "second.log").read_text(), 30,
                "the second daemon waiting as a standby",
            )  # fmt: skip
            for n in range(3):
                _, raw = email(subject=f"Не открывается карта PG {n}", body="Карта 1.")
                deliver(tmp_path / "Maildir", raw)
            await eventually(lambda: len(smtp.messages) == 3, 30, "acknowledged")
            standby_log = (tmp_path / "second.log").read_text(encoding="utf-8")
            assert '"leadership.standby"' in standby_log
            assert f"pid {pid} on {socket.gethostname()}" in standby_log
            assert '"mail.handled"' not in standby_log  # it never acted
            assert await first.stop() == 0
            await second.wait_ready(30)  # the lock is free: it leads within a check interval
            _, raw = email(subject="После смены ведущего", body="Карта 2.")
            deliver(tmp_path / "Maildir", raw)
            await eventually(lambda: len(smtp.messages) == 4, 30, "acknowledged by the new leader")
            assert await second.stop() == 0
        finally:
            await first.close()
            await second.close()
    assert len(tracker.issues) == 4
    assert sorted(message_id_counts(smtp.messages).values()) == [1] * 4
    assert not (tmp_path / "state.sqlite3").exists()  # the state went to PostgreSQL
    with PostgresStore(url) as store:
        assert store.message_outcome(parse_message(raw).message_id) is not None
