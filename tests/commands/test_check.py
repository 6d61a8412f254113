"""``tracker-bridge check``: one ✓/✗ line per check, exit 0 only when all pass."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.commands.world import run_cli, write_config
from tracker_bridge.mail.maildir_source import ensure_maildir
from tracker_bridge.store.location import SYSTEMD_STATE_DIRECTORY, state_dir_report
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.postgres import PostgresCluster
from tracker_bridge.testing.smtp import SmtpCapture


def test_check_passes_every_line_against_working_fakes_and_sends_nothing(tmp_path: Path) -> None:
    """Tracker, Maildir, SMTP EHLO, Telegram getMe and the store all ✓; no mail is sent."""
    ensure_maildir(tmp_path / "Maildir")
    with FakeTracker() as tracker, SmtpCapture() as smtp, FakeTelegram() as telegram:
        config = write_config(tmp_path, tracker, smtp, telegram=telegram)
        result = run_cli("check", "--config", str(config))
        assert smtp.messages == []
        assert telegram.calls("getMe")
    assert result.code == 0, result.out
    assert "✗" not in result.out
    assert "  ✓ token and organisation accepted" in result.out
    assert f"  ✓ Maildir {tmp_path / 'Maildir'} exists" in result.out
    assert "nothing sent" in result.out
    assert "  ✓ Telegram: the bot is @" in result.out
    assert f"  ✓ store {tmp_path / 'state.sqlite3'} opens (schema version" in result.out
    assert result.out.endswith("All checks passed.\n")


def test_check_reports_each_failure_with_its_fix_and_exits_1(tmp_path: Path) -> None:
    """A missing queue, a missing Maildir and a dead SMTP server are three ✗ lines."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        config.write_text(config.read_text().replace('queue = "SUP"', 'queue = "NOPE"'))
        smtp.stop()
        result = run_cli("check", "--config", str(config))
    assert result.code == 1
    assert "  ✗ queue NOPE exists — create it or fix the queue in config" in result.out
    assert f"  ✗ Maildir {tmp_path / 'Maildir'} has new, cur, tmp/" in result.out
    assert "  ✗ SMTP 127.0.0.1:" in result.out
    assert "  ✓ Telegram: disabled" in result.out
    assert result.out.endswith("3 problem(s) to fix.\n")


def test_check_verbose_prints_the_configuration_with_secrets_hidden(tmp_path: Path) -> None:
    """-v shows the whole configuration; the Tracker token appears only as ***."""
    with _configured(tmp_path) as (tracker, config):
        result = run_cli("check", "-v", "--config", config)
    assert '"tracker_token": "***"' in result.out
    assert tracker.token not in result.out


def test_a_missing_config_file_exits_78_and_says_so(tmp_path: Path) -> None:
    """No such file: EX_CONFIG, with the path named on stderr."""
    result = run_cli("check", "--config", str(tmp_path / "absent.toml"))
    assert result.code == 78
    assert "absent.toml" in result.err and "not found" in result.err


@contextmanager
def _configured(tmp_path: Path) -> Iterator[tuple[FakeTracker, str]]:
    """A working setup: the fakes running, a Maildir, and the config file's path."""
    ensure_maildir(tmp_path / "Maildir")
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        yield tracker, str(write_config(tmp_path, tracker, smtp))


def test_check_live_probes_the_sandbox_and_prints_findings_and_settings(tmp_path: Path) -> None:
    """Issue 11.9: --live --sandbox runs the probe after the checks: its throwaway issue in the
    sandbox only, the findings each with the setting to use; exit 0 when all is well."""
    with _configured(tmp_path) as (tracker, config):
        tracker.add_queue("SANDBOX", "Песочница")
        result = run_cli("check", "--config", config, "--live", "--sandbox", "SANDBOX")
        assert list(tracker.issues) == ["SANDBOX-1"]
    assert result.code == 0, result.out
    assert "Live probe\n  ✓ throwaway issue SANDBOX-1 created in SANDBOX" in result.out
    assert "  ✓ comment marker: kept verbatim and hidden when rendered → none" in result.out
    assert "  ✓ query date literals: read in UTC → none: the daemon adapts by itself" in result.out
    assert result.out.endswith("Live probe passed.\n")


def test_check_live_refuses_without_a_sandbox_or_with_a_customers_queue(tmp_path: Path) -> None:
    """No --sandbox, or a customer's queue as the sandbox: exit 2 before any write."""
    with _configured(tmp_path) as (tracker, config):
        bare = run_cli("check", "--config", config, "--live")
        customer = run_cli("check", "--config", config, "--live", "--sandbox", "SUP")
        writes = [m for m, _, _ in tracker.sent if m not in {"GET", "POST"}]
        assert tracker.issues == {} and writes == []
    assert bare.code == 2 and "name a sandbox queue with --sandbox QUEUE" in bare.err
    assert customer.code == 2 and "SUP is a customer's queue" in customer.err


def test_check_before_the_first_start_passes_and_says_who_creates_the_state_directory(
    tmp_path: Path,
) -> None:
    """Issue 12.3: install, then check, then start — the state directory does not exist yet.
    check passes, says who will create it, and creates nothing (run does, or systemd)."""
    ensure_maildir(tmp_path / "Maildir")
    state = tmp_path / "not-yet" / "tracker-bridge"
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        store = str(tmp_path / "state.sqlite3")
        config.write_text(config.read_text().replace(store, str(state / "state.sqlite3")))
        result = run_cli("check", "--config", str(config))
    assert result.code == 0, result.out
    assert (
        f"  ✓ state directory {state} does not exist yet: `tracker-bridge run` creates it"
        in result.out
    )
    assert not state.parent.exists()


def test_the_systemd_state_directory_is_systemd_s_to_create() -> None:
    """Under the shipped unit the directory is StateDirectory='s: check names systemd."""
    if SYSTEMD_STATE_DIRECTORY.exists():
        pytest.skip(f"{SYSTEMD_STATE_DIRECTORY} exists on this machine (a real installation)")
    ok, what, _ = state_dir_report(SYSTEMD_STATE_DIRECTORY / "state.sqlite3")
    assert ok
    assert "systemd creates it at the first start (StateDirectory=tracker-bridge" in what


def test_a_state_directory_that_cannot_be_created_is_a_problem_with_its_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    ok, what, fix = state_dir_report(blocker / "state" / "state.sqlite3")
    assert not ok
    assert (
        what == f"state directory {blocker / 'state'} does not exist, and {blocker} is not writable"
    )
    assert "store_path" in fix


def test_check_opens_a_postgresql_store_and_asks_nothing_of_the_state_directory(
    tmp_path: Path, postgres: PostgresCluster
) -> None:
    """A PostgreSQL store (store_url) keeps nothing in the state directory: check opens the
    database (migrating it, as the daemon would) instead of a SQLite file, and says so; a
    database that cannot be reached is a ✗ line with its fix."""
    ensure_maildir(tmp_path / "Maildir")
    url = postgres.create_database("check")
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        text = config.read_text()
        config.write_text(f'store_url = "{url}"\n' + text)
        good = run_cli("check", "--config", str(config))
        config.write_text(f'store_url = "{url}-missing"\n' + text)
        bad = run_cli("check", "--config", str(config))
    assert good.code == 0, good.out
    assert f"  ✓ store {url} opens (PostgreSQL)" in good.out
    assert "state directory" not in good.out
    assert not (tmp_path / "state.sqlite3").exists()
    assert bad.code == 1
    assert f"  ✗ store {url}-missing: " in bad.out
    assert "check store_url and store_password" in bad.out
