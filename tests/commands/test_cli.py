"""The command line itself: help, version, options before or after the command, env default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.commands.world import run_cli
from tracker_bridge import __version__

COMMANDS = (
    "run",
    "check",
    "regulation",
    "demo",
    "explain",
    "sla-report",
    "quarantine",
    "replay",
    "webhook",
    "backup",
)


def test_help_lists_every_command_with_a_short_description() -> None:
    """--help names each command on a line of its own, with what it does."""
    result = run_cli("--help")
    assert result.code == 0
    listed = set(re.findall(r"^    ([a-z-]+) +\w", result.out, flags=re.MULTILINE))
    assert listed == set(COMMANDS)
    assert "--config PATH" in result.out


def test_version_prints_the_package_version() -> None:
    """--version answers with the installed version."""
    result = run_cli("--version")
    assert (result.code, result.out) == (0, f"tracker-bridge {__version__}\n")


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_may_come_before_or_after_the_command(tmp_path: Path, where: str) -> None:
    """`tracker-bridge --config F check` and `tracker-bridge check --config F` are the same."""
    config = ["--config", str(tmp_path / "none.toml")]
    argv = [*config, "check"] if where == "before" else ["check", *config]
    result = run_cli(*argv)
    assert result.code == 78
    assert "none.toml' not found" in result.err


def test_config_defaults_to_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --config, $TRACKER_BRIDGE_CONFIG names the file."""
    monkeypatch.setenv("TRACKER_BRIDGE_CONFIG", str(tmp_path / "from-env.toml"))
    result = run_cli("quarantine", "list")
    assert result.code == 78
    assert "from-env.toml" in result.err


def test_the_hidden_now_must_carry_a_zone(tmp_path: Path) -> None:
    """--now without an offset would be a guess: refused before anything runs."""
    from tests.commands.world import write_config
    from tracker_bridge.testing.fake_tracker import FakeTracker
    from tracker_bridge.testing.smtp import SmtpCapture

    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        result = run_cli("explain", "SUP-1", "--config", str(config), "--now", "2026-03-02T10:00")
    assert result.code == 2
    assert "give a zone offset" in result.err


def test_a_command_that_cannot_reach_tracker_says_why_in_one_line(tmp_path: Path) -> None:
    """A refused token is one readable line on stderr and exit 1, not a traceback."""
    from tests.commands.world import write_config
    from tracker_bridge.testing.fake_tracker import FakeTracker
    from tracker_bridge.testing.smtp import SmtpCapture

    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        config.write_text(config.read_text().replace(tracker.token, "a-revoked-token"))
        result = run_cli("explain", "SUP-1", "--config", str(config))
    assert result.code == 1
    assert result.err.startswith("tracker-bridge explain: TrackerAuthError")
    assert "Traceback" not in result.err
