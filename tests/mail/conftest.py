"""Fixtures for the mail-source tests: a real private Dovecot, Maildirs, a manual clock.

Dovecot is required: when the binary is missing the tests fail (never skip) and say how to
install it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.mail.imap_source import ImapSettings, ImapSource
from tracker_bridge.mail.maildir_source import MaildirSource, deliver
from tracker_bridge.mail.source import MailSource, MemoryWatermarkStore
from tracker_bridge.testing.dovecot import Dovecot, DovecotMissingError, MailAccount

NO_MOVE_NO_IDLE = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "NAMESPACE", "UIDPLUS"]
_users = itertools.count(1)


def start_dovecot(**kwargs: Any) -> Dovecot:
    try:
        return Dovecot(**kwargs).__enter__()
    except DovecotMissingError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session", name="dovecot")
def fixture_dovecot() -> Iterator[Dovecot]:
    """One Dovecot for the session; each test takes its own fresh account."""
    dc = start_dovecot()
    yield dc
    dc.close()


@pytest.fixture(scope="session", name="plain_dovecot")
def fixture_plain_dovecot() -> Iterator[Dovecot]:
    """A Dovecot that advertises neither IDLE nor MOVE (old servers)."""
    dc = start_dovecot(capabilities=NO_MOVE_NO_IDLE)
    yield dc
    dc.close()


@pytest.fixture(name="own_dovecot")
def fixture_own_dovecot() -> Iterator[Dovecot]:
    """A Dovecot this test alone may stop, kill and restart."""
    dc = start_dovecot()
    yield dc
    dc.close()


@pytest.fixture(name="account")
def fixture_account(dovecot: Dovecot) -> MailAccount:
    return dovecot.add_user(f"user{next(_users)}")


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture(name="advancing")
async def fixture_advancing(clock: ManualClock) -> AsyncIterator[ManualClock]:
    """The manual clock, jumped to each sleeper's wake-up time as soon as one waits."""

    async def advance_forever() -> None:
        while True:
            await asyncio.sleep(0.002)  # a real yield to the loop, not a wait for clock time
            due = clock.next_wakeup()
            if due is not None:
                clock.set(due)

    task = asyncio.create_task(advance_forever())
    yield clock
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def imap_settings(account: MailAccount, **overrides: Any) -> ImapSettings:
    """Settings for the plain port of ``account``; small backoff so retries stay cheap."""
    values: dict[str, Any] = {
        "host": account.host,
        "port": account.port,
        "user": account.user,
        "password": account.password,
        "security": "plain",
        "timeout": 5.0,
        "backoff_initial": 0.5,
        "backoff_max": 2.0,
        "reconnect_attempts": 5,
    }
    values.update(overrides)
    return ImapSettings(**values)


def message(n: int, subject: str | None = None) -> bytes:
    """A small RFC 5322 message numbered ``n`` (CRLF line ends, as IMAP returns them)."""
    return (
        f"From: client{n}@example.test\r\nTo: support@example.test\r\n"
        f"Message-ID: <m{n}@example.test>\r\nSubject: {subject or f'm{n}'}\r\n\r\nbody {n}\r\n"
    ).encode()


class SourceKit(Protocol):
    """One mail-source implementation plus the means to look at its mailbox from outside."""

    kind: str

    def deliver(self, raw: bytes) -> None: ...
    def deliver_many(self, raws: list[bytes]) -> None: ...
    def open(self, **overrides: Any) -> MailSource: ...
    def inbox(self) -> list[bytes]: ...
    def folder(self, name: str) -> list[bytes]: ...


@dataclass
class ImapKit:
    account: MailAccount
    clock: ManualClock
    store: MemoryWatermarkStore = field(default_factory=MemoryWatermarkStore)
    kind: str = "imap"

    def deliver(self, raw: bytes) -> None:
        self.account.append("INBOX", raw)

    def deliver_many(self, raws: list[bytes]) -> None:
        self.account.append_many("INBOX", raws)

    def open(self, **overrides: Any) -> MailSource:
        settings = imap_settings(self.account, **overrides)
        return ImapSource(settings, clock=self.clock, store=self.store)

    def inbox(self) -> list[bytes]:
        return self.account.messages("INBOX")

    def folder(self, name: str) -> list[bytes]:
        return self.account.messages(name)


@dataclass
class MaildirKit:
    root: Path
    clock: ManualClock
    kind: str = "maildir"

    def deliver(self, raw: bytes) -> None:
        deliver(self.root, raw)

    def deliver_many(self, raws: list[bytes]) -> None:
        for raw in raws:
            deliver(self.root, raw)

    def open(self, **overrides: Any) -> MailSource:
        return MaildirSource(self.root, clock=self.clock, **overrides)

    def inbox(self) -> list[bytes]:
        return read_maildir(self.root)

    def folder(self, name: str) -> list[bytes]:
        return read_maildir(MaildirSource(self.root, clock=self.clock).folder_path(name))


def read_maildir(root: Path) -> list[bytes]:
    files = [p for sub in ("new", "cur") if (root / sub).is_dir() for p in (root / sub).iterdir()]
    return [p.read_bytes() for p in sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))]


@pytest.fixture(name="kit", params=["imap", "maildir"])
def fixture_kit(request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path) -> SourceKit:
    """Each contract test runs against the IMAP source (real Dovecot) and the Maildir source."""
    if request.param == "imap":
        account = request.getfixturevalue("account")
        return ImapKit(account, clock)
    return MaildirKit(tmp_path / "Maildir", clock)
