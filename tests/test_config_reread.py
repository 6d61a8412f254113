"""Inline secrets read again once their configuration file changed (issue 18 §3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from tests.reliability.support import write_config
from tracker_bridge.config import load_settings
from tracker_bridge.config.reread import Reread
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture


@pytest.fixture(name="config")
def fixture_config(tmp_path: Path) -> Path:
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        return write_config(tmp_path, tracker, smtp)


def _with_token(config: Path, token: str) -> None:
    lines = config.read_text(encoding="utf-8").splitlines()
    lines[0] = f'tracker_token = "{token}"'
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_secret_follows_the_file_and_is_loaded_only_when_it_changed(config: Path) -> None:
    loads = 0
    reread = Reread.of(config, {})

    def counted() -> object:
        nonlocal loads
        loads += 1
        return reread.load()

    counting = Reread(counted, reread.files, reread.directories)  # type: ignore[arg-type]
    settings = load_settings(config, environ={})
    assert settings.tracker_token is not None
    token = counting.secret(settings.tracker_token, lambda s: s.tracker_token)
    before = token()
    assert [token() for _ in range(5)] == [before] * 5 and loads == 0  # a stat, no parse
    _with_token(config, "a-rotated-token-longer")
    with capture_logs() as logs:
        assert token() == "a-rotated-token-longer"
    assert loads == 1 and [e["event"] for e in logs] == ["config.secret_reread"]
    assert "a-rotated-token-longer" not in str(logs)


def test_a_file_caught_half_written_keeps_the_secret_in_use(config: Path) -> None:
    settings = load_settings(config, environ={})
    assert settings.tracker_token is not None
    token = Reread.of(config, {}).secret(settings.tracker_token, lambda s: s.tracker_token)
    before = token()
    config.write_text('tracker_token = "s3cr3t-being-typed', encoding="utf-8")
    with capture_logs() as logs:
        assert token() == before
    (event,) = logs
    assert event["event"] == "config.reread_failed" and "s3cr3t" not in str(event)
    assert "cannot read the configuration" in event["error"]
