"""Regulation core: recomputing every clock of 10,000 open requests, and the idle pass."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from benchmarks._timing import Row, median_seconds, table
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import IssueView, StatusChange
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.rules import evaluate
from tracker_bridge.regulation.schedule import WakeupSchedule
from tracker_bridge.regulation.sla import execution_clock, reaction_clock, silence_clock
from tracker_bridge.regulation.statuses import Status

TITLE = "Regulation core: clocks for 10,000 open requests"
MSK = ZoneInfo("Europe/Moscow")
N_ISSUES = 10_000
N_CHANGES = 20
CYCLE = [
    Status.IN_PROGRESS,
    Status.INFO_REQUESTED,
    Status.IN_PROGRESS,
    Status.AWAITING_TESTING,
    Status.ERROR_FOUND,
]


def make_issues(seed: int = 7) -> list[IssueView]:
    """Open requests with 20 status changes each, created over 2025–2026."""
    rnd = random.Random(seed)
    start = datetime(2025, 1, 9, 10, tzinfo=MSK)
    issues = []
    for i in range(N_ISSUES):
        created = start + timedelta(minutes=rnd.randrange(0, 600_000))
        at, history = created, [StatusChange(created, Status.OPEN)]
        for k in range(N_CHANGES):
            at += timedelta(minutes=rnd.randrange(5, 600))
            history.append(StatusChange(at, CYCLE[k % len(CYCLE)]))
        issues.append(
            IssueView(
                key=f"SUP-{i + 1}",
                customer=f"clinic-{i % 40}",
                requester=f"user{i}@clinic.example",
                created_at=created,
                status=history[-1].status,
                priority=rnd.choice(["critical", "normal", "normal", "minor"]),
                status_history=tuple(history),
            )
        )
    return issues


def run() -> str:
    cal, policy = WorkCalendar.default(), Policy()
    issues = make_issues()
    now = datetime(2026, 11, 26, 12, tzinfo=MSK)

    def clocks() -> None:
        for view in issues:
            reaction_clock(view, now, cal, policy)
            execution_clock(view, now, cal, policy)
            silence_clock(view, now, cal, policy)

    def full_pass() -> None:
        for view in issues:
            evaluate(view, now, cal, policy)

    schedule = WakeupSchedule()
    for view in issues:
        schedule.set(view.key, evaluate(view, now, cal, policy).next_check_at)
    idle_now = now + timedelta(seconds=30)

    def idle_pass() -> None:
        assert schedule.due(idle_now) == []

    t_clocks = median_seconds(clocks, repeats=5)
    t_full = median_seconds(full_pass, repeats=3)
    t_idle = median_seconds(idle_pass, repeats=50)
    return table(
        [
            Row(
                "recompute the three clocks of 10,000 issues × 20 status changes",
                f"{t_clocks * 1000:.0f} ms",
                "≤ 1 s",
                f"full rules pass (every rule + clocks): {t_full * 1000:.0f} ms",
                "met" if t_clocks <= 1.0 else "MISSED",
            ),
            Row(
                "idle periodic pass (nothing changed, nothing due)",
                f"{t_idle * 1e6:.0f} µs",
                "≤ 50 ms",
                f"full rules pass: {t_full * 1000:.0f} ms (×{t_full / t_idle:,.0f})",
                "met" if t_idle <= 0.05 else "MISSED",
            ),
            Row(
                "per issue, full rules pass",
                f"{t_full / N_ISSUES * 1e6:.0f} µs",
                "",
                f"clocks only: {t_clocks / N_ISSUES * 1e6:.0f} µs",
                "",
            ),
        ]
    )
