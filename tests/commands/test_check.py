"""``tracker-bridge check``: one ✓/✗ line per check, exit 0 only when all pass."""

from __future__ import annotations

from pathlib import Path

from tests.commands.world import run_cli, write_config
from tracker_bridge.mail.maildir_source import ensure_maildir
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
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
    ensure_maildir(tmp_path / "Maildir")
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        result = run_cli("check", "-v", "--config", str(config))
    assert '"tracker_token": "***"' in result.out
    assert tracker.token not in result.out


def test_a_missing_config_file_exits_78_and_says_so(tmp_path: Path) -> None:
    """No such file: EX_CONFIG, with the path named on stderr."""
    result = run_cli("check", "--config", str(tmp_path / "absent.toml"))
    assert result.code == 78
    assert "absent.toml" in result.err and "not found" in result.err
