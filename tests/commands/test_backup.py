"""``tracker-bridge backup`` (issue 13.2): SQLite's online backup while the store is written."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.commands.world import run_cli, write_config
from tracker_bridge.store.records import MailOutcome
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def config_for(root: Path) -> Path:
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        return write_config(root, tracker, smtp)


def test_a_backup_taken_while_the_store_is_written_is_one_consistent_moment(
    tmp_path: Path,
) -> None:
    """Another connection commits mails (each one unit: processed mark + thread entry) all
    through the backup; the copy passes its integrity check, opens as a store, and holds
    every mail it knows of whole — never a processed mark without its thread entry."""
    config = config_for(tmp_path)
    with SqliteStore(tmp_path / "state.sqlite3") as store:
        for n in range(2000):  # some pages to copy in several steps
            store.record_message(f"<old{n}@x>", "created", at=AT, issue_key=f"SUP-{n}")
        stop, written = threading.Event(), [0]

        def write() -> None:
            while not stop.is_set():
                n = written[0]
                store.commit_mail(MailOutcome(f"<new{n}@x>", "created", AT, issue_key=f"SUP-{n}"))
                written[0] += 1

        writer = threading.Thread(target=write)
        writer.start()
        try:
            result = run_cli("backup", str(tmp_path / "copy.sqlite3"), "--config", str(config))
        finally:
            stop.set()
            writer.join()
    assert result.code == 0, result.err
    assert result.out.startswith(f"backup: {tmp_path / 'copy.sqlite3'} (")
    assert "integrity ok" in result.out and len(result.out.splitlines()) == 1
    with SqliteStore(tmp_path / "copy.sqlite3") as copy:
        assert copy.message_outcome("<old1999@x>") is not None
        kept = [n for n in range(written[0]) if copy.message_outcome(f"<new{n}@x>")]
        assert all(copy.issue_for_message(f"<new{n}@x>") == f"SUP-{n}" for n in kept)
    assert written[0] > 0
    assert not list(tmp_path.glob(".copy.sqlite3.*"))  # no partial file left behind


def test_a_directory_target_gets_a_stamped_file_and_the_default_is_backups(
    tmp_path: Path,
) -> None:
    config = config_for(tmp_path)
    SqliteStore(tmp_path / "state.sqlite3").close()
    now = (AT + timedelta(hours=1)).isoformat()
    (tmp_path / "nightly").mkdir()
    to_dir = run_cli("backup", str(tmp_path / "nightly"), "--config", str(config), "--now", now)
    default = run_cli("backup", "--config", str(config), "--now", now)
    assert (to_dir.code, default.code) == (0, 0)
    assert (tmp_path / "nightly" / "state-20260302T100000Z.sqlite3").is_file()
    assert (tmp_path / "backups" / "state-20260302T100000Z.sqlite3").is_file()


def test_without_a_store_there_is_nothing_to_back_up(tmp_path: Path) -> None:
    result = run_cli(
        "backup", str(tmp_path / "copy.sqlite3"), "--config", str(config_for(tmp_path))
    )
    assert result.code == 1
    assert result.err.strip() == (
        f"tracker-bridge backup: {tmp_path / 'state.sqlite3'}: no store to back up"
    )
    assert not (tmp_path / "copy.sqlite3").exists()


def test_a_postgresql_store_is_left_to_postgresqls_own_tools(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    config.write_text('store_url = "postgresql://tb@db.example/tb"\n' + config.read_text())
    result = run_cli("backup", "--config", str(config))
    assert result.code == 1
    assert "pg_dump" in result.err and len(result.err.splitlines()) == 1


def test_the_copy_forgets_the_bots_sends(tmp_path: Path) -> None:
    """The send ledger is emptied in the copy: restored, it could not know what the bot
    posted after the backup, so no chat is probed from its stale floor (issue 13.5)."""
    config = config_for(tmp_path)
    with SqliteStore(tmp_path / "state.sqlite3") as store:
        store.send_begin("card-post:SUP-1", -100, "{}", AT)
        store.send_done("card-post:SUP-1", 7, AT, prune=AT)
        store.send_begin("card-post:SUP-2", -100, "{}", AT)
        store.save_card("SUP-1", -100, 7, "fp", AT)
        result = run_cli("backup", str(tmp_path / "copy.sqlite3"), "--config", str(config))
    assert result.code == 0, result.err
    with SqliteStore(tmp_path / "copy.sqlite3") as copy:
        assert copy.send_get("card-post:SUP-1") is None and copy.sends_unresolved(-100) == []
        assert copy.send_begin("card-post:SUP-3", -100, "{}", AT).floor is None
        card = copy.card("SUP-1")  # the rest is kept
        assert card is not None and card.message_id == 7
