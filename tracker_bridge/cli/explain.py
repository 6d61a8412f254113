"""``tracker-bridge explain KEY``: where an issue's SLA clocks stand, and why.

The issue is read from Tracker (its status history and comments) as the daemon reads it, the
clocks are computed by :mod:`tracker_bridge.regulation.sla` at ``now``, and each clock's counted,
paused and skipped intervals are printed in the calendar's time zone. Nothing is written: an
issue the store does not know is not started being tracked.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta

from tracker_bridge.cli.common import (
    calendar_of,
    clock_of,
    local_time,
    read_only_issues,
    run_quietly,
    settings_of,
)
from tracker_bridge.config import Settings
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.policy import ClockUnit, Policy
from tracker_bridge.regulation.sla import (
    ClockReading,
    Interval,
    execution_clock,
    explain,
    is_enhancement,
    reaction_clock,
    silence_clock,
)

__all__ = ["describe", "duration", "main"]


def duration(span: timedelta, *, days: bool = True) -> str:
    """``2d 03h 05m`` (wall time); ``51h 05m`` when ``days`` is False (working time)."""
    minutes = int(span.total_seconds() // 60)
    whole_days, rest = divmod(minutes, 24 * 60) if days else (0, minutes)
    hours, mins = divmod(rest, 60)
    return f"{whole_days}d {hours:02d}h {mins:02d}m" if whole_days else f"{hours}h {mins:02d}m"


def _interval(item: Interval, cal: WorkCalendar) -> str:
    span = f"{local_time(item.start, cal.tz)} → {local_time(item.end, cal.tz)}"
    status = item.status.value if item.status is not None else ""
    note = f" — {item.note}" if item.note else ""
    return f"    {item.kind:<8} {span}  {duration(item.end - item.start):>11}  {status}{note}"


def _clock(title: str, reading: ClockReading, now: datetime, cal: WorkCalendar) -> list[str]:
    lines = [
        f"{title}: {reading.state.value}, target {reading.target_text}",
        f"  started   {local_time(reading.started_at, cal.tz)}",
        f"  deadline  {local_time(reading.deadline, cal.tz)}",
    ]
    if reading.ended_at is not None:
        lines.append(f"  ended     {local_time(reading.ended_at, cal.tz)}")
    wall = reading.unit is ClockUnit.CALENDAR_HOURS
    used, left = (duration(x, days=wall) for x in (reading.used, reading.remaining))
    lines.append(f"  counted   {used}; left {left} ({'wall' if wall else 'working'} time)")
    for days, when in reading.reminders:
        due = "due" if when <= now else "planned"
        lines.append(f"  reminder  {days} working day(s) left: {local_time(when, cal.tz)} ({due})")
    lines.append("  intervals:")
    lines += [_interval(item, cal) for item in explain(reading, cal).intervals]
    lines += [f"  note: {note}" for note in reading.notes]
    return lines


def describe(view: IssueView, now: datetime, cal: WorkCalendar, policy: Policy) -> str:
    """The whole explanation of one issue's clocks at ``now``, as text."""
    out = [
        f"{view.key} «{view.summary}» — {view.customer}",
        f"  status {view.status.value} ({view.status.title_ru}) since "
        f"{local_time(view.status_since, cal.tz)}; priority {view.priority}; "
        f"created {local_time(view.created_at, cal.tz)}",
        f"  as of {local_time(now, cal.tz)}",
        "",
    ]
    if view.arrived_at is not None:
        out.insert(3, f"  mail arrived {local_time(view.appeared_at, cal.tz)}")
    enhancement = is_enhancement(view, policy)
    clocks = (
        (
            "Reaction clock — take into work (R10)",
            reaction_clock(view, now, cal, policy),
            "an enhancement (R18)" if enhancement else "not a high priority",
        ),
        (
            "Execution clock (R10, R14, R17)",
            execution_clock(view, now, cal, policy),
            "an enhancement (R18)",
        ),
        (
            "Silence clock (R19)",
            silence_clock(view, now, cal, policy),
            "the request is not waiting for the customer",
        ),
    )
    for n, (title, reading, why_none) in enumerate(clocks):
        if n:
            out.append("")
        out += (
            [f"{title}: none — {why_none}"] if reading is None else _clock(title, reading, now, cal)
        )
    return "\n".join(out) + "\n"


async def _view(settings: Settings, key: str) -> IssueView | None:
    async with read_only_issues(settings) as issues:
        return await issues.view(key)


def main(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    now = clock_of(args).now()
    view = run_quietly(args, _view(settings, args.key))
    if view is None:
        sys.stderr.write(f"{args.key}: no such issue in a queue the bridge serves\n")
        return 1
    sys.stdout.write(describe(view, now, calendar_of(settings), settings.policy()))
    return 0
