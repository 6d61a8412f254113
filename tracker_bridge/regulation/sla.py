"""The regulation's clocks, read from an issue's own history and ``now`` (R10, R14, R16–R19).

Two clocks:

* the **intake** clock (R10, R17): from creation until the request is taken into work. High
  priorities get 72 calendar hours by default, the rest 14 working days; every interval spent in a
  paused status (R14) is added back to the deadline. Enhancements have no clock (R18).
* the **silence** clock (R19): while the request waits for the customer, 10 working days from the
  later of entering the paused status and the customer's last reply; reminders before, auto-close
  at the end.

Both are pure functions of an :class:`IssueView`, ``now``, a :class:`WorkCalendar` and a
:class:`Policy`, so a restart recomputes exactly the same deadlines. Each reading carries its
**explanation**: the counted, paused and (for working-time units) skipped intervals, which
``tracker-bridge explain KEY`` prints.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, NamedTuple

from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import IssueView, StatusChange
from tracker_bridge.regulation.policy import ClockUnit, Policy
from tracker_bridge.regulation.statuses import PAUSED_STATUSES, Status

__all__ = [
    "ClockKind",
    "ClockReading",
    "ClockState",
    "Interval",
    "explain",
    "intake_clock",
    "is_enhancement",
    "silence_clock",
]

_ZERO = timedelta(0)


class ClockKind(StrEnum):
    INTAKE = "intake"
    SILENCE = "silence"


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


class Interval(NamedTuple):
    """One stretch of a clock's life and how it counted (a tuple: a history makes many)."""

    kind: Literal["counted", "paused", "skipped"]
    start: datetime
    end: datetime
    status: Status | None = None
    note: str = ""


@dataclass(frozen=True)
class ClockReading:
    """Where one clock stands at ``now``, and why."""

    kind: ClockKind
    state: ClockState
    unit: ClockUnit
    target: int
    started_at: datetime
    deadline: datetime
    used: timedelta  # counted so far, in the unit's measure (wall or working time)
    remaining: timedelta  # left until the deadline in the same measure (0 once past)
    ended_at: datetime | None = None  # when the clock was met or stopped
    intervals: tuple[Interval, ...] = ()
    notes: tuple[str, ...] = ()
    reminders: tuple[tuple[int, datetime], ...] = ()  # silence clock: (days left, when)

    @property
    def fraction_used(self) -> float:
        total = self.used + self.remaining
        return 1.0 if total <= _ZERO else min(1.0, self.used / total)

    @property
    def target_text(self) -> str:
        unit = {
            ClockUnit.CALENDAR_HOURS: "calendar hours",
            ClockUnit.WORKING_HOURS: "working hours",
            ClockUnit.WORKING_DAYS: "working days",
        }[self.unit]
        return f"{self.target} {unit}"


def is_enhancement(view: IssueView, policy: Policy) -> bool:
    """R18: enhancements are outside the support regulation and get no clock."""
    return view.issue_type in policy.enhancement_types or bool(view.tags & policy.enhancement_tags)


@dataclass
class _Measure:
    """How a clock unit measures and extends time on a calendar."""

    between: Callable[[datetime, datetime], timedelta]
    extend: Callable[[datetime, timedelta], datetime]


def _measure(unit: ClockUnit, cal: WorkCalendar) -> _Measure:
    if unit is ClockUnit.CALENDAR_HOURS:
        return _Measure(between=lambda a, b: max(_ZERO, b - a), extend=lambda t, d: t + d)
    return _Measure(between=cal.working_time_between, extend=cal.add_working_time)


def _base_deadline(start: datetime, unit: ClockUnit, target: int, cal: WorkCalendar) -> datetime:
    if unit is ClockUnit.CALENDAR_HOURS:
        return start + timedelta(hours=target)
    if unit is ClockUnit.WORKING_HOURS:
        return cal.add_working_time(start, timedelta(hours=target))
    return cal.add_working_days(start, target)


class _IntakeWalk:
    """One pass over the status history, segment by segment (local to :func:`intake_clock`)."""

    def __init__(self, deadline: datetime, measure: _Measure, policy: Policy) -> None:
        self.deadline = deadline
        self.extend = measure.extend
        self.stops = policy.intake_stops
        self.used = _ZERO
        self.breached = False
        self.paused = False
        self.ended_at: datetime | None = None
        self.intervals: list[Interval] = []

    def step(self, status: Status, a: datetime, b: datetime, length: timedelta) -> None:
        """Count the segment [a, b) spent in ``status``; ``length`` is its measure."""
        if status in self.stops:
            self.ended_at = a  # taken into work (or finished) at a
            self.breached = self.breached or a > self.deadline
            return
        self.paused = status in PAUSED_STATUSES
        if self.paused and not self.breached and a < self.deadline:
            # R14: the clock stops while waiting for the customer: the deadline moves by as much
            self.deadline = self.extend(self.deadline, length)
            self.intervals.append(Interval("paused", a, b, status, "waiting for the customer"))
            return
        if self.paused:
            note = "deadline already passed" if a >= self.deadline else ""
            self.breached = True
            self.intervals.append(Interval("paused", a, b, status, note))
            return
        self.used += length
        self.intervals.append(Interval("counted", a, b, status))
        self.breached = self.breached or b > self.deadline

    def state(self, now: datetime) -> ClockState:
        if self.ended_at is None and not self.paused and now >= self.deadline:
            self.breached = True
        if self.breached:
            return ClockState.BREACHED
        if self.ended_at is not None:
            return ClockState.MET
        return ClockState.PAUSED if self.paused else ClockState.RUNNING


def _segments(
    view: IssueView, now: datetime
) -> tuple[list[tuple[Status, datetime, datetime]], list[str]]:
    """The status history as (status, start, end) segments up to ``now``, cleaned of anomalies."""
    notes: list[str] = []
    history = list(view.history)
    times = [c.at for c in history]
    if times != sorted(times):
        notes.append("status history was out of order; sorted by time")
        history.sort(key=lambda change: change.at)
        times.sort()
    created = view.created_at
    if times[0] > created:
        history.insert(0, StatusChange(created, Status.OPEN))
        times.insert(0, created)
    elif times[0] < created:
        notes.append("status changes before creation were moved to the creation time")
    if times[-1] > now and times[0] <= now:
        kept = [c for c in history if c.at <= now]
        notes.append(f"{len(history) - len(kept)} status change(s) after now were ignored")
        history, times = kept, [c.at for c in kept]
    ends = [*times[1:], now]
    segments = []
    for change, at, end in zip(history, times, ends, strict=True):
        start = at if at > created else created
        segments.append((change.status, start, max(start, min(end, now))))
    return segments, notes


def intake_clock(
    view: IssueView, now: datetime, cal: WorkCalendar, policy: Policy
) -> ClockReading | None:
    """R10/R17 (paused time excluded, R14): the intake deadline and where it stands.

    ``None`` for enhancements (R18). The target follows the *current* priority (R9: a priority
    corrected by support re-targets the clock from creation).
    """
    if is_enhancement(view, policy):
        return None
    high = policy.is_high(view.priority)
    unit = policy.high_intake_unit if high else policy.normal_intake_unit
    target = policy.high_intake if high else policy.normal_intake
    measure = _measure(unit, cal)
    start = view.created_at
    walk = _IntakeWalk(_base_deadline(start, unit, target, cal), measure, policy)
    segments, notes = _segments(view, now)
    for (status, a, b), length in zip(segments, _lengths(segments, unit, cal), strict=True):
        walk.step(status, a, b, length)
        if walk.ended_at is not None:
            break
    state = walk.state(now)
    running = state in (ClockState.RUNNING, ClockState.PAUSED)
    return ClockReading(
        kind=ClockKind.INTAKE,
        state=state,
        unit=unit,
        target=target,
        started_at=start,
        deadline=walk.deadline,
        used=walk.used,
        remaining=measure.between(now, walk.deadline) if running else _ZERO,
        ended_at=walk.ended_at,
        intervals=tuple(walk.intervals),
        notes=(*notes, *_priority_note(view, high)),
    )


def _lengths(
    segments: list[tuple[Status, datetime, datetime]], unit: ClockUnit, cal: WorkCalendar
) -> list[timedelta]:
    """Each segment's measure: wall time, or working time read for the whole history at once."""
    if unit is ClockUnit.CALENDAR_HOURS:
        return [max(_ZERO, b - a) for _, a, b in segments]
    if any(prev[2] != nxt[1] for prev, nxt in itertools.pairwise(segments)):
        return [cal.working_time_between(a, b) for _, a, b in segments]
    return cal.working_time_steps([segments[0][1], *(b for _, _, b in segments)])


def _priority_note(view: IssueView, high: bool) -> tuple[str, ...]:
    kind = "high" if high else "normal"
    return (f"target for {kind} priority {view.priority!r}",)


def silence_clock(
    view: IssueView, now: datetime, cal: WorkCalendar, policy: Policy
) -> ClockReading | None:
    """R19: while waiting for the customer, 10 working days until auto-close; reset by a reply."""
    if not view.status.is_paused:
        return None
    entered = view.status_since
    reply = view.last_customer_reply_at
    start = max(entered, reply) if reply is not None and reply >= entered else entered
    deadline = cal.add_working_days(start, policy.silence_days)
    reminders = tuple(
        (days, cal.add_working_days(start, policy.silence_days - days))
        for days in sorted(policy.silence_reminders, reverse=True)
    )
    expired = now >= deadline
    notes = ["reset by the customer's reply"] if start != entered else []
    return ClockReading(
        kind=ClockKind.SILENCE,
        state=ClockState.BREACHED if expired else ClockState.RUNNING,
        unit=ClockUnit.WORKING_DAYS,
        target=policy.silence_days,
        started_at=start,
        deadline=deadline,
        used=cal.working_time_between(start, min(now, deadline)),
        remaining=cal.working_time_between(now, deadline),
        intervals=(Interval("counted", start, min(now, deadline), view.status),),
        notes=tuple(notes),
        reminders=reminders,
    )


def explain(reading: ClockReading, cal: WorkCalendar) -> ClockReading:
    """The same reading with non-working time inside counted intervals split out as skipped."""
    if reading.unit is ClockUnit.CALENDAR_HOURS:
        return reading
    detailed: list[Interval] = []
    for interval in reading.intervals:
        if interval.kind != "counted":
            detailed.append(interval)
            continue
        detailed.extend(_split_working(interval, cal))
    return replace(reading, intervals=tuple(detailed))


def _split_working(interval: Interval, cal: WorkCalendar) -> list[Interval]:
    out: list[Interval] = []
    cursor = interval.start
    for a, b in cal.working_intervals(interval.start, interval.end):
        if a > cursor:
            out.append(Interval("skipped", cursor, a, interval.status, "outside working hours"))
        out.append(Interval("counted", a, b, interval.status))
        cursor = b
    if cursor < interval.end:
        out.append(
            Interval("skipped", cursor, interval.end, interval.status, "outside working hours")
        )
    return out
