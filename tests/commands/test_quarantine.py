"""``tracker-bridge quarantine``: list what was kept aside; release puts it back to be handled."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.commands.daemon import running
from tests.commands.world import STRANGER, email, msk, run_cli, write_config
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture
from tracker_bridge.testing.waiting import eventually


def test_a_released_message_is_handled_again_by_the_daemon(tmp_path: Path) -> None:
    """Safety rule: a stranger's mail is quarantined; once allowed and released, it is filed."""
    clock = ManualClock(msk("2026-03-02 11:00"))
    maildir, store_path = tmp_path / "Maildir", tmp_path / "state.sqlite3"
    with FakeTracker(clock=clock) as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        deliver(maildir, email(sender=STRANGER, subject="Помогите с отчётом")[1])

        async def quarantine_it() -> None:
            async with running(config, clock):
                await eventually(lambda: _held(store_path) == 1, 600.0, clock=clock)

        asyncio.run(quarantine_it())
        listing = run_cli("quarantine", "list", "--config", str(config))
        assert listing.code == 0
        (row,) = listing.out.splitlines()[1:]
        assert row.split()[:5] == ["1", "2026-03-02", "11:00", "MSK", STRANGER]
        assert "Помогите с отчётом" in row and "may not file requests for clinic-one" in row

        # The operator allows the sender's domain, restarts the daemon, and releases the mail.
        config.write_text(
            config.read_text().replace(
                '"clinic1.example"]', '"clinic1.example", "elsewhere.example"]'
            )
        )
        released = run_cli("quarantine", "release", "1", "--config", str(config))
        assert released.code == 0, released.err
        assert f"put back into {maildir / 'new'}" in released.out

        async def file_it() -> None:
            async with running(config, clock):
                await eventually(lambda: len(tracker.issues) == 1, 600.0, clock=clock)

        asyncio.run(file_it())
        (issue,) = tracker.issues.values()
        assert issue.summary == "Помогите с отчётом"
        assert run_cli("quarantine", "list", "--config", str(config)).out == (
            "The quarantine is empty.\n"
        )
        again = run_cli("quarantine", "release", "1", "--config", str(config))
        assert again.code == 1 and "was released at" in again.err


def test_releasing_an_unknown_item_or_without_a_store_fails_clearly(tmp_path: Path) -> None:
    """No store yet, or no such id: exit 1 with the reason, nothing written."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        missing = run_cli("quarantine", "list", "--config", str(config))
        assert missing.code == 1 and "no store at" in missing.err
        SqliteStore(tmp_path / "state.sqlite3").close()
        unknown = run_cli("quarantine", "release", "7", "--config", str(config))
    assert unknown.code == 1 and "no quarantined message #7" in unknown.err
    assert not (tmp_path / "Maildir" / "new").exists()


def _held(path: Path) -> int:
    if not path.exists():
        return 0
    with SqliteStore(path) as store:
        return len(store.quarantine_list())


def test_raw_8bit_headers_and_terminal_escapes_are_stored_quarantined_and_shown_safely(
    tmp_path: Path,
) -> None:
    """Issue 17: a raw 8-bit byte in From:/To: no longer makes the store refuse the message
    (nor its quarantine); the stranger's escape sequences reach the operator's terminal as
    visible text, never as control characters."""
    clock = ManualClock(msk("2026-03-02 11:00"))
    maildir, store_path = tmp_path / "Maildir", tmp_path / "state.sqlite3"
    raw = (
        b"From: Ivan \xff <iv\xffan@elsewhere.example>\r\n"
        b"To: support\xfe-clinic1@vendor.example\r\n"
        b"Subject: \x1b]0;owned\x07\x1b[31mred\x1b[0m \xe2\x80\xaeevil\r\n"
        b"Message-ID: <eight@elsewhere.example>\r\n"
        b"Date: Mon, 02 Mar 2026 10:00:00 +0300\r\n\r\nbody\r\n"
    )
    with FakeTracker(clock=clock) as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        deliver(maildir, raw)

        async def quarantine_it() -> None:
            async with running(config, clock):
                await eventually(lambda: _held(store_path) == 1, 600.0, clock=clock)

        asyncio.run(quarantine_it())
        with SqliteStore(store_path) as store:
            (item,) = store.quarantine_list()
            assert item.raw == raw  # the bytes themselves are kept whole
            assert item.sender == "ivÿan@elsewhere.example"
        listing = run_cli("quarantine", "list", "--config", str(config))
        assert listing.code == 0
        assert not any(ord(c) < 32 and c not in "\n\t" for c in listing.out)
        assert "\x1b" not in listing.out and "\u202e" not in listing.out
        assert "\\x1b]0;owned\\x07\\x1b[31mred" in listing.out
        assert "\\u202eevil" in listing.out
        assert not tracker.issues
