"""``tracker-bridge demo`` plays the regulation on made-up requests and exits 0."""

from __future__ import annotations

import io

from tracker_bridge.cli import main
from tracker_bridge.demo import run_demo


def test_the_demo_walks_through_the_whole_life_of_a_request() -> None:
    """The walk shows registration, clarification, testing, reminders, auto-close, R20, R15."""
    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    for expected in (
        "2026: 247 working days",
        "email «registered»",
        "received out of hours (R6)",
        "status_info_requested",
        "back to work (R8, R14)",
        "days_left=3",
        "days_left=1",
        "(R19 auto-close)",
        "R20: reply to SUP-1",
        "Telegram alert [warning]",
        "R15: the customer confirmed the change",
        "ready_for_production",
        "R5 Telegram card posted",
        "paused",
    ):
        assert expected in text, expected


def test_the_demo_command_runs_from_the_cli(capsys) -> None:  # type: ignore[no-untyped-def]
    """``tracker-bridge demo`` is the command ``make demo`` runs."""
    assert main(["demo"]) == 0
    assert "Story 2" in capsys.readouterr().out
