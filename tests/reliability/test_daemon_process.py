"""The test entrypoint `daemon_process`: the real daemon in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import email
from tests.reliability.support import DaemonChild, eventually, folder_files, write_config
from tracker_bridge.config.loading import EX_CONFIG
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.testing.daemon_process import FAST_INTERVALS, overrides_for
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture


async def test_the_daemon_process_registers_mail_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    """R1: started from a config file, it turns an email into an issue and an acknowledgement,
    and SIGTERM ends it with exit code 0 well within 10 s."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        child = DaemonChild(config, tmp_path / "daemon.log")
        try:
            await child.start()
            _, raw = email(subject="Не открывается карта 12", body="Карта 12 не открывается.")
            deliver(tmp_path / "Maildir", raw)
            await eventually(lambda: len(smtp.messages) == 1, 20, "acknowledged")
            assert [i.summary for i in tracker.issues.values()] == ["Не открывается карта 12"]
            assert await child.stop() == 0
        finally:
            await child.close()
    assert folder_files(tmp_path / "Maildir") == []
    assert len(folder_files(tmp_path / "Maildir", "Processed")) == 1


def test_a_missing_config_file_exits_with_ex_config(tmp_path: Path) -> None:
    """A configuration problem is exit 78, so systemd would not restart-loop on it."""
    done = subprocess.run(
        [sys.executable, "-m", "tracker_bridge.testing.daemon_process",
         "--config", str(tmp_path / "absent.toml")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == EX_CONFIG
    assert "absent.toml" in done.stderr


def test_fast_mode_shortens_every_loop_and_the_default_keeps_the_configured_pace() -> None:
    """--fast: sub-second loops for crash tests; without it the daemon's own defaults."""
    fast = overrides_for(fast=True)
    assert fast.intervals == FAST_INTERVALS
    assert max(FAST_INTERVALS.sync, FAST_INTERVALS.outbox, FAST_INTERVALS.mail_wait) <= 0.5
    assert fast.tracker_retry is not None
    slow = overrides_for(fast=False)
    assert slow.intervals.sync > FAST_INTERVALS.sync
    assert slow.tracker_retry is None


async def test_a_daemon_started_during_a_tracker_outage_comes_up_and_drains_after(
    tmp_path: Path,
) -> None:
    """A (re)start while Tracker answers 503 (a crash or a deploy mid-outage): the daemon still
    reaches READY, the mail waits in the inbox, and it is registered once Tracker is back."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        tracker.fail_next("* /*", status=503, times=10**9)
        _, raw = email(subject="Не открывается карта 13", body="Карта 13 не открывается.")
        deliver(tmp_path / "Maildir", raw)
        child = DaemonChild(write_config(tmp_path, tracker, smtp), tmp_path / "daemon.log")
        try:
            await child.start(ready_timeout=20)
            assert len(folder_files(tmp_path / "Maildir")) == 1
            tracker.clear_faults()
            await eventually(lambda: len(smtp.messages) == 1, 30, "acknowledged")
            assert len(tracker.issues) == 1
            assert await child.stop() == 0
        finally:
            await child.close()
