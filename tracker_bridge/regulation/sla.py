"""The regulation's clocks, read from an issue's own history and ``now`` (R10, R14, R16–R19).

Three clocks, each named in every text that speaks of it:

* the **reaction** clock (R10, "принимаются в работу … не позднее 3-х суток с момента
  появления"): high priorities only, from the mail's arrival until a person first takes the
  request into work — any move out of «Открыто» made by support, not by the bridge (its move to
  «В работе» after a customer's answer does not count). 72 calendar hours by default; it does not
  pause (the text subtracts waiting from the execution term only).
* the **execution** clock (R17, R10 with R14: "срок ожидания вычитается из срока исполнения"):
  from arrival until the customer accepts the solution (``Policy.execution_done``) or the request
  ends; every interval spent waiting for the customer (R14) is added back to the deadline.
  14 working days by default, for every priority. Enhancements have neither clock (R18).
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
    "Clocks",
    "Interval",
    "execution_clock",
    "explain",
    "is_enhancement",
    "reaction_clock",
    "read_clocks",
    "silence_clock",
]

_ZERO = timedelta(0)


class ClockKind(StrEnum):
    REACTION = "reaction"
    EXECUTION = "execution"
    SILENCE = "silence"

    @property
    def title_ru(self) -> str:
        """How every Russian text names the clock."""
        return _CLOCK_TITLES[self]

    @property
    def deadline_ru(self) -> str:
        """ "Срок …" naming the clock's deadline."""
        return _DEADLINE_TITLES[self]


_CLOCK_TITLES = {
    ClockKind.REACTION: "срок взятия в работу",
    ClockKind.EXECUTION: "срок исполнения",
    ClockKind.SILENCE: "срок ожидания ответа",
}
_DEADLINE_TITLES = {
    ClockKind.REACTION: "Срок взятия в работу",
    ClockKind.EXECUTION: "Срок исполнения",
    ClockKind.SILENCE: "Срок ожидания ответа",
}


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


class Clocks(NamedTuple):
    """A request's two deadline clocks; either is None where it has none (R18, R10)."""

    reaction: ClockReading | None
    execution: ClockReading | None

    def present(self) -> tuple[ClockReading, ...]:
        return tuple(r for r in self if r is not None)

    def first_breach(self) -> ClockReading | None:
        return next((r for r in self.present() if r.state is ClockState.BREACHED), None)


def read_clocks(view: IssueView, now: datetime, cal: WorkCalendar, policy: Policy) -> Clocks:
    """The reaction and the execution clock of ``view`` at ``now``."""
    return Clocks(reaction_clock(view, now, cal, policy), execution_clock(view, now, cal, policy))


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


class _ExecutionWalk:
    """One pass over the status history, segment by segment (local to
    :func:`execution_clock`)."""

    def __init__(self, deadline: datetime, measure: _Measure, policy: Policy) -> None:
        self.deadline = deadline
        self.extend = measure.extend
        self.stops = policy.execution_stops
        self.used = _ZERO
        self.breached = False
        self.paused = False
        self.ended_at: datetime | None = None
        self.intervals: list[Interval] = []

    def step(self, status: Status, a: datetime, b: datetime, length: timedelta) -> None:
        """Count the segment [a, b) spent in ``status``; ``length`` is its measure."""
        if status in self.stops:
            self.ended_at = a  # accepted by the customer (or finished) at a
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
    created = view.appeared_at
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


def reaction_clock(
    view: IssueView, now: datetime, cal: WorkCalendar, policy: Policy
) -> ClockReading | None:
    """R10: from the mail's arrival until a person first takes the request into work.

    ``None`` for enhancements (R18) and for priorities that are not high (the text sets them no
    reaction term). The target follows the *current* priority (R9).
    """
    if is_enhancement(view, policy) or not policy.is_high(view.priority):
        return None
    unit, target = policy.high_reaction_unit, policy.high_reaction
    measure = _measure(unit, cal)
    start = view.appeared_at
    deadline = _base_deadline(start, unit, target, cal)
    taken = _taken_into_work(view)
    end = min(now, taken) if taken is not None else now
    end = max(start, end)
    if taken is not None and taken <= now:
        state = ClockState.MET if taken <= deadline else ClockState.BREACHED
        ended: datetime | None = taken
    else:
        state = ClockState.BREACHED if now >= deadline else ClockState.RUNNING
        ended = None
    running = state is ClockState.RUNNING
    notes = [f"reaction target for high priority {view.priority!r}"]
    if taken is not None and taken <= now:
        notes.append(f"taken into work by a person at {taken.isoformat()}")
    return ClockReading(
        kind=ClockKind.REACTION,
        state=state,
        unit=unit,
        target=target,
        started_at=start,
        deadline=deadline,
        used=measure.between(start, end),
        remaining=measure.between(now, deadline) if running else _ZERO,
        ended_at=ended,
        intervals=(Interval("counted", start, end, Status.OPEN),),
        notes=tuple(notes),
    )


_NOT_TAKEN = frozenset({Status.OPEN, Status.REOPENED})


def _taken_into_work(view: IssueView) -> datetime | None:
    """The first move by a person out of «Открыто» (into work, a question, or an end), or the
    request's end whoever made it (R16)."""
    for change in view.history[1:]:
        if change.status.is_terminal or (change.by_person and change.status not in _NOT_TAKEN):
            return change.at
    return None


def execution_clock(
    view: IssueView, now: datetime, cal: WorkCalendar, policy: Policy
) -> ClockReading | None:
    """R17/R10 (waiting time subtracted, R14): the execution deadline and where it stands.

    ``None`` for enhancements (R18). The target follows the *current* priority (R9: a priority
    corrected by support re-targets the clock from arrival).
    """
    if is_enhancement(view, policy):
        return None
    high = policy.is_high(view.priority)
    unit = policy.high_execution_unit if high else policy.normal_execution_unit
    target = policy.high_execution if high else policy.normal_execution
    measure = _measure(unit, cal)
    start = view.appeared_at
    walk = _ExecutionWalk(_base_deadline(start, unit, target, cal), measure, policy)
    segments, notes = _segments(view, now)
    for (status, a, b), length in zip(segments, _lengths(segments, unit, cal), strict=True):
        walk.step(status, a, b, length)
        if walk.ended_at is not None:
            break
    state = walk.state(now)
    running = state in (ClockState.RUNNING, ClockState.PAUSED)
    return ClockReading(
        kind=ClockKind.EXECUTION,
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
    return (f"execution target for {kind} priority {view.priority!r}",)


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
