"""MaildirSource: polling on the clock, Maildir++ folders, mail clients moving files."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.mail.conftest import message, read_maildir
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.mail.maildir_source import MaildirSource, deliver
from tracker_bridge.mail.source import IncomingMessage, MailSourceError
from tracker_bridge.testing.dovecot import Dovecot
from tracker_bridge.testing.waiting import eventually


@pytest.fixture(name="root")
def fixture_root(tmp_path: Path) -> Path:
    return tmp_path / "Maildir"


def names(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


async def until_sleeping(clock: ManualClock) -> None:
    await eventually(lambda: bool(clock.sleepers), 1.0, "asleep on the clock")


class TestDelivery:
    def test_deliver_writes_through_tmp_into_new(self, root: Path) -> None:
        """Delivery leaves the message complete in new/ and nothing in tmp/."""
        name = deliver(root, message(1))
        assert names(root / "tmp") == []
        assert (root / "new" / name).read_bytes() == message(1)

    async def test_mail_already_in_cur_is_fetched_too(self, root: Path, clock: ManualClock) -> None:
        """A message a mail client already moved to cur/ (with flags) is still inbox mail."""
        name = deliver(root, message(1))
        (root / "new" / name).rename(root / "cur" / f"{name}:2,S")
        async with MaildirSource(root, clock=clock) as source:
            [msg] = await source.fetch()
        assert msg.source_id == f"maildir:{name}"
        assert msg.raw == message(1)


class TestWaiting:
    async def test_new_mail_is_noticed_at_the_next_poll_of_the_clock(
        self, root: Path, clock: ManualClock
    ) -> None:
        """wait_for_new sleeps poll_interval on the clock between looks at the Maildir."""
        async with MaildirSource(root, clock=clock, poll_interval=5) as source:
            assert await source.fetch() == []
            waiting = asyncio.create_task(source.wait_for_new(timeout=60))
            await until_sleeping(clock)
            deliver(root, message(1))
            await asyncio.sleep(0.01)
            assert not waiting.done()
            clock.advance(5)
            await asyncio.wait_for(waiting, 5)
            assert [m.raw for m in await source.fetch()] == [message(1)]

    async def test_a_wait_without_mail_lasts_its_timeout_on_the_clock(
        self, root: Path, advancing: ManualClock
    ) -> None:
        """Nothing arrives: the wait returns after exactly its timeout of clock time."""
        start = advancing.now()
        async with MaildirSource(root, clock=advancing, poll_interval=4) as source:
            assert await source.fetch() == []
            await asyncio.wait_for(source.wait_for_new(timeout=10), 5)
        assert (advancing.now() - start).total_seconds() == 10


class TestSettle:
    async def test_settled_mail_is_seen_in_the_cur_of_a_maildir_plus_plus_folder(
        self, root: Path, clock: ManualClock
    ) -> None:
        """The file moves to .Processed/cur/<name>:2,S in a folder marked maildirfolder."""
        name = deliver(root, message(1))
        async with MaildirSource(root, clock=clock) as source:
            [msg] = await source.fetch()
            await source.settle(msg, "done")
        folder = root / ".Processed"
        assert names(folder / "cur") == [f"{name}:2,S"]
        assert (folder / "maildirfolder").exists()
        assert names(root / "new") == names(root / "cur") == []

    async def test_mail_a_client_moved_to_cur_after_fetch_is_still_settled(
        self, root: Path, clock: ManualClock
    ) -> None:
        """Between fetch and settle a mail client may rename the file; settle finds it."""
        name = deliver(root, message(1))
        async with MaildirSource(root, clock=clock) as source:
            [msg] = await source.fetch()
            (root / "new" / name).rename(root / "cur" / f"{name}:2,RS")
            await source.settle(msg, "quarantine")
        assert read_maildir(root) == []
        assert read_maildir(root / ".Quarantine") == [message(1)]

    async def test_mail_removed_before_settle_is_left_alone(
        self, root: Path, clock: ManualClock
    ) -> None:
        """A message someone else already took away settles as a no-op."""
        name = deliver(root, message(1))
        async with MaildirSource(root, clock=clock) as source:
            [msg] = await source.fetch()
            (root / "new" / name).unlink()
            await source.settle(msg, "done")
        assert read_maildir(root / ".Processed") == []

    async def test_settle_refuses_a_message_from_another_source(
        self, root: Path, clock: ManualClock
    ) -> None:
        """An IMAP message has no file here."""
        async with MaildirSource(root, clock=clock) as source:
            with pytest.raises(ValueError, match="not come from a Maildir source"):
                await source.settle(IncomingMessage("imap:1:1", b"", 1, 1), "done")

    async def test_a_closed_source_refuses_work(self, root: Path, clock: ManualClock) -> None:
        """Using a source after close() is a programming error, reported as such."""
        source = MaildirSource(root, clock=clock)
        await source.close()
        with pytest.raises(MailSourceError, match="closed"):
            await source.fetch()


def test_folder_directories_are_named_the_way_dovecot_names_them(
    dovecot: Dovecot, clock: ManualClock
) -> None:
    """Cyrillic folder names become the same modified UTF-7 directory names Dovecot uses."""
    account = dovecot.add_user("maildir-names")
    account.append("Обработано", message(1))
    maildir = dovecot.maildir(account.user)
    source = MaildirSource(maildir, clock=clock)
    assert source.folder_path("Обработано").is_dir()
    on_disk = message(1).replace(b"\r\n", b"\n")  # Dovecot stores LF; IMAP serves CRLF
    assert read_maildir(source.folder_path("Обработано")) == [on_disk]


async def test_r10_a_message_carries_its_delivery_time_as_its_arrival(
    root: Path, clock: ManualClock
) -> None:
    """R10 "с момента появления": the delivery time (the file's mtime, set by the delivery
    agent) comes with each message, so the clocks start there, not when it was read."""
    arrived = datetime(2026, 3, 2, 8, 15, 30, tzinfo=UTC)
    deliver(root, message(1), at=arrived)
    async with MaildirSource(root, clock=clock) as source:
        (fetched,) = await source.fetch()
    assert fetched.received_at == arrived
