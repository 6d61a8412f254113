"""``tracker-bridge explain KEY``: the clocks' counted, paused and skipped intervals."""

from __future__ import annotations

from pathlib import Path

from tests.commands.world import msk, run_cli, write_config
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture


def test_explain_shows_counted_skipped_and_paused_intervals_in_moscow_time(tmp_path: Path) -> None:
    """R10/R14/R19: working time counted, the night skipped, the wait for the customer paused."""
    clock = ManualClock(msk("2026-03-02 16:00"))  # a Monday; support works 10–18
    with FakeTracker(clock=clock) as tracker, SmtpCapture() as smtp:
        issue = tracker.create_issue("SUP", "Не открывается карта")
        clock.set(msk("2026-03-03 12:00"))
        tracker.transition(issue.key, "request_info", comment="Уточните логин")
        config = write_config(tmp_path, tracker, smtp)
        result = run_cli(
            "explain", issue.key, "--config", str(config), "--now", "2026-03-04T11:00+03:00"
        )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"{issue.key} «Не открывается карта» — clinic-one"
    assert "Execution clock (R10, R14, R17): paused, target 14 working days" in lines
    intervals = [line.split() for line in lines if line.startswith("    ")]
    spans = [(i[0], i[2], i[6]) for i in intervals[:4]]
    assert spans == [
        ("counted", "16:00", "18:00"),
        ("skipped", "18:00", "10:00"),
        ("counted", "10:00", "12:00"),
        ("paused", "12:00", "11:00"),
    ]
    assert "  counted   4h 00m; left 108h 00m (working time)" in lines
    assert "Silence clock (R19): running, target 10 working days" in lines
    assert "  started   2026-03-03 12:00 MSK" in lines


def test_explain_of_an_unknown_issue_says_so_and_exits_1(tmp_path: Path) -> None:
    """A key Tracker does not know is an error, not an empty report."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        result = run_cli("explain", "SUP-404", "--config", str(config))
    assert result.code == 1
    assert "SUP-404: no such issue" in result.err
