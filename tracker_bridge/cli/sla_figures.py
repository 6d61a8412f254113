"""A month's SLA figures per customer, from issue views: pure, so the report is testable alone.

Per customer: requests created in the month; for high priorities the reaction clock's outcome
(R10: taken into work in time, late, not yet taken); for every request the execution clock's
outcome (met, breached, still open, or no clock for enhancements, R18) and the median execution
time in *working* hours (counted time only: waiting for the customer, R14, is not the team's
time); and how many were auto-closed for silence (R19).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.sla import (
    ClockReading,
    ClockState,
    execution_clock,
    reaction_clock,
)
from tracker_bridge.regulation.statuses import Status

__all__ = ["CustomerMonth", "month_bounds", "render_table", "tally", "working_hours_counted"]


@dataclass
class CustomerMonth:
    """One customer's line of the report."""

    customer: str
    requests: int = 0
    reaction_met: int = 0
    reaction_breached: int = 0
    reaction_open: int = 0
    met: int = 0
    breached: int = 0
    running: int = 0
    no_clock: int = 0
    auto_closed: int = 0
    execution_hours: list[float] = field(default_factory=list)

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.execution_hours) if self.execution_hours else None


def month_bounds(month: str, cal: WorkCalendar) -> tuple[datetime, datetime]:
    """``YYYY-MM`` → [first midnight, next month's first midnight) in the calendar's zone."""
    year, _, number = month.partition("-")
    if not (year.isdigit() and number.isdigit() and 1 <= int(number) <= 12 and len(year) == 4):
        raise ValueError(f"--month {month!r}: expected YYYY-MM, e.g. 2026-03")
    start = datetime(int(year), int(number), 1, tzinfo=cal.tz)
    nxt = datetime(int(year) + int(number) // 12, int(number) % 12 + 1, 1, tzinfo=cal.tz)
    return start, nxt


def working_hours_counted(reading: ClockReading, cal: WorkCalendar) -> float | None:
    """Working hours a finished clock counted (waits for the customer excluded); None while it
    runs."""
    if reading.ended_at is None:
        return None
    counted = sum(
        (
            cal.working_time_between(i.start, i.end)
            for i in reading.intervals
            if i.kind == "counted"
        ),
        timedelta(0),
    )
    return counted.total_seconds() / 3600


def tally(
    views: Iterable[IssueView],
    customers: Sequence[str],
    now: datetime,
    cal: WorkCalendar,
    policy: Policy,
) -> list[CustomerMonth]:
    """The report's lines, one per customer in ``customers`` order (others appended)."""
    lines = {name: CustomerMonth(name) for name in customers}
    for view in views:
        line = lines.setdefault(view.customer, CustomerMonth(view.customer))
        line.requests += 1
        line.auto_closed += view.status is Status.CLOSED_NO_RESPONSE
        reaction = reaction_clock(view, now, cal, policy)
        if reaction is not None:
            _count(line, reaction, ("reaction_met", "reaction_breached", "reaction_open"))
        reading = execution_clock(view, now, cal, policy)
        if reading is None:
            line.no_clock += 1
            continue
        _count(line, reading, ("met", "breached", "running"))
        hours = working_hours_counted(reading, cal)
        if hours is not None:
            line.execution_hours.append(hours)
    return list(lines.values())


def _count(line: CustomerMonth, reading: ClockReading, names: tuple[str, str, str]) -> None:
    """Add one to the line's met, breached or open counter of this clock."""
    met, breached, still_open = names
    name = {ClockState.MET: met, ClockState.BREACHED: breached}.get(reading.state, still_open)
    setattr(line, name, getattr(line, name) + 1)


def render_table(lines: Sequence[CustomerMonth], title: str) -> str:
    """A plain-text table with a total line."""
    head = (
        "CUSTOMER",
        "REQUESTS",
        "REACT MET",
        "REACT BREACHED",
        "REACT OPEN",
        "EXEC MET",
        "EXEC BREACHED",
        "EXEC OPEN",
        "NO CLOCK",
        "MEDIAN H",
        "AUTO-CLOSED",
    )
    rows = [_row(line) for line in lines]
    total = CustomerMonth("TOTAL")
    for line in lines:
        for name in _COUNTS:
            setattr(total, name, getattr(total, name) + getattr(line, name))
        total.execution_hours += line.execution_hours
    width = max([len(head[0]), *(len(r[0]) for r in rows), len("TOTAL")])
    table = [head, *rows, _row(total)]
    text = [
        f"{r[0]:<{width}}  "
        + "  ".join(f"{c:>{len(h)}}" for c, h in zip(r[1:], head[1:], strict=True))
        for r in table
    ]
    notes = (
        "REACT MET/BREACHED/OPEN: the reaction clock of high priorities (R10: taken into work "
        "by a person\nwithin 72 h of the mail's arrival); EXEC MET/BREACHED/OPEN: the "
        "execution clock (R17, waits for the\ncustomer excluded, R14); NO CLOCK: enhancements "
        "(R18); MEDIAN H: working hours of finished execution\nclocks; AUTO-CLOSED: for "
        "silence (R19)."
    )
    return f"{title}\n\n" + "\n".join(text) + f"\n\n{notes}\n"


_COUNTS = (
    "requests",
    "reaction_met",
    "reaction_breached",
    "reaction_open",
    "met",
    "breached",
    "running",
    "no_clock",
    "auto_closed",
)


def _row(line: CustomerMonth) -> tuple[str, ...]:
    median = "-" if line.median_hours is None else f"{line.median_hours:.1f}"
    counts = [getattr(line, name) for name in _COUNTS[:-1]]
    return (line.customer, *(str(c) for c in counts), median, str(line.auto_closed))
