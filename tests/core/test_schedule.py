"""The wake-up schedule behind the cheap periodic pass."""

from __future__ import annotations

from datetime import timedelta

from tests.core.builders import msk
from tracker_bridge.regulation.schedule import WakeupSchedule

T = msk("2026-03-02 12:00")


def test_due_returns_each_key_once_when_its_time_comes() -> None:
    """Keys come out in time order, once, and only when due."""
    schedule = WakeupSchedule()
    schedule.set("SUP-2", T + timedelta(hours=2))
    schedule.set("SUP-1", T + timedelta(hours=1))
    assert schedule.due(T) == []
    assert schedule.next_due() == T + timedelta(hours=1)
    assert schedule.due(T + timedelta(hours=3)) == ["SUP-1", "SUP-2"]
    assert schedule.due(T + timedelta(hours=3)) == []
    assert len(schedule) == 0


def test_rescheduling_replaces_the_old_moment() -> None:
    """A changed issue's new moment wins; the stale one is never returned."""
    schedule = WakeupSchedule()
    schedule.set("SUP-1", T + timedelta(hours=1))
    schedule.set("SUP-1", T + timedelta(hours=5))
    schedule.set("SUP-1", T + timedelta(hours=5))
    assert schedule.due(T + timedelta(hours=2)) == []
    assert schedule.when("SUP-1") == T + timedelta(hours=5)
    schedule.set("SUP-1", None)
    assert schedule.due(T + timedelta(days=1)) == []
    assert schedule.next_due() is None
    schedule.set("SUP-9", None)
    assert len(schedule) == 0


def test_rescheduling_one_issue_many_times_keeps_the_heap_small() -> None:
    """1,000 moves of one issue's moment, each later than the last, leave a bounded heap."""
    schedule = WakeupSchedule()
    for minutes in range(1, 1001):
        schedule.set("SUP-1", T + timedelta(minutes=minutes))
    assert len(schedule) == 1
    assert schedule.entries <= 2 + 16
    assert schedule.due(T + timedelta(minutes=999)) == []
    assert schedule.due(T + timedelta(minutes=1000)) == ["SUP-1"]


def test_unscheduled_issues_leave_the_heap_too() -> None:
    """Issues scheduled and then dropped (finished) do not stay in the heap for ever."""
    schedule = WakeupSchedule()
    schedule.set("SUP-0", T + timedelta(days=1))
    for n in range(1, 500):
        schedule.set(f"SUP-{n}", T + timedelta(days=30))
        schedule.set(f"SUP-{n}", None)
    assert len(schedule) == 1
    assert schedule.entries <= 2 + 16
    assert schedule.due(T + timedelta(days=60)) == ["SUP-0"]
