"""Working calendar: operations per second against the issue's goal of 200,000/s.

Inputs are random instants of 2024–2027 (Moscow and UTC), day counts 0–20 and durations up to 60
working hours. The baseline is the obvious day-by-day implementation on ``holidays.RU``
(``is_working_day`` per day, opening hours built per day), measured in the same run on the same
inputs; its answers are checked against the calendar's before anything is timed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from benchmarks._timing import Row, median_seconds, table
from tracker_bridge.regulation.calendar import WorkCalendar

TITLE = "Working calendar"
GOAL = 200_000  # operations per second (issue)
OPS = 20_000  # calls per timed batch of the calendar
BASELINE_OPS = 1_000  # calls per timed batch of the slow baseline
ZERO, DAY = timedelta(0), timedelta(days=1)

Op = Callable[[], object]


class NaiveCalendar:
    """Day-by-day working-time arithmetic: what one writes without precomputed tables."""

    def __init__(self, shortened: set[date]) -> None:
        self.tz = ZoneInfo("Europe/Moscow")
        self.ru = holidays.country_holidays("RU", years=range(2023, 2030), language="ru")
        self.shortened = shortened

    def hours(self, d: date) -> tuple[datetime, datetime] | None:
        if not self.ru.is_working_day(d):
            return None
        closes = time(17) if d in self.shortened else time(18)
        return datetime.combine(d, time(10), self.tz), datetime.combine(d, closes, self.tz)

    def is_working_time(self, t: datetime) -> bool:
        hours = self.hours(t.astimezone(self.tz).date())
        return hours is not None and hours[0] <= t < hours[1]

    def add_working_days(self, t: datetime, n: int) -> datetime:
        day = t.astimezone(self.tz).date()
        hours = self.hours(day)
        offset = ZERO
        if hours and hours[0] <= t < hours[1]:
            offset = t - hours[0]
        elif not (hours and t < hours[0]):  # after the close or on a day off
            day = self._next_working(day + DAY)
        for _ in range(n):
            day = self._next_working(day + DAY)
        opens, closes = self.hours(day) or (t, t)
        return min(opens + offset, closes).astimezone(self.tz)

    def _next_working(self, day: date) -> date:
        while not self.ru.is_working_day(day):
            day += DAY
        return day

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        total, day = ZERO, a.astimezone(self.tz).date()
        while day <= b.astimezone(self.tz).date():
            hours = self.hours(day)
            if hours:
                total += max(ZERO, min(hours[1], b) - max(hours[0], a))
            day += DAY
        return total

    def add_working_time(self, t: datetime, delta: timedelta) -> datetime:
        day, left = t.astimezone(self.tz).date(), delta
        while True:
            hours = self.hours(day)
            if hours and hours[1] > t:
                start = max(hours[0], t)
                if start + left <= hours[1]:
                    return (start + left).astimezone(self.tz)
                left -= hours[1] - start
            day += DAY


def _inputs(cal: WorkCalendar, count: int, seed: int = 6) -> list[tuple[datetime, int, timedelta]]:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    span = 4 * 365 * 86_400 - 90 * 86_400  # stay clear of the end of 2027
    zones = [cal.tz, UTC]
    return [
        (
            datetime.fromtimestamp(start + rng.randrange(span), rng.choice(zones)),
            rng.randrange(21),
            timedelta(minutes=rng.randrange(60 * 60)),
        )
        for _ in range(count)
    ]


def _workloads(
    cal: WorkCalendar | NaiveCalendar, inputs: list[tuple[datetime, int, timedelta]]
) -> dict[str, Op]:
    def days() -> None:
        for t, n, _ in inputs:
            cal.add_working_days(t, n)

    def hours() -> None:
        for t, _, d in inputs:
            cal.add_working_time(t, d)

    def between() -> None:
        for t, _, d in inputs:
            cal.working_time_between(t, t + 3 * d)

    def working() -> None:
        for t, _, _ in inputs:
            cal.is_working_time(t)

    def mixed() -> None:  # the mix: day arithmetic, a membership test, a span
        for t, n, d in inputs:
            if n % 3 == 0:
                cal.add_working_days(t, n)
            elif n % 3 == 1:
                cal.is_working_time(t)
            else:
                cal.working_time_between(t, t + 3 * d)

    return {
        "add_working_days": days,
        "add_working_time": hours,
        "working_time_between": between,
        "is_working_time": working,
        "mixed: add_working_days / is_working_time / working_time_between": mixed,
    }


def _check_same_answers(
    cal: WorkCalendar, naive: NaiveCalendar, inputs: list[tuple[datetime, int, timedelta]]
) -> None:
    """The baseline must do the same job, or the ratio means nothing."""
    for t, n, d in inputs:
        assert cal.add_working_days(t, n) == naive.add_working_days(t, n), (t, n)
        assert cal.add_working_time(t, d) == naive.add_working_time(t, d), (t, d)
        assert cal.working_time_between(t, t + 3 * d) == naive.working_time_between(t, t + 3 * d)
        assert cal.is_working_time(t) == naive.is_working_time(t), t


def _rate(op: Op, count: int) -> float:
    return count / median_seconds(op, repeats=7)


def run() -> str:
    cal = WorkCalendar.default()
    shortened = {d for d in _days(2023, 2030) if (h := cal.opening_hours(d)) and h[1].hour == 17}
    naive = NaiveCalendar(shortened)
    inputs = _inputs(cal, OPS)
    _check_same_answers(cal, naive, inputs[:BASELINE_OPS])
    fast = _workloads(cal, inputs)
    slow = _workloads(naive, inputs[:BASELINE_OPS])
    rows = []
    for name, op in fast.items():
        rate, base = _rate(op, OPS), _rate(slow[name], BASELINE_OPS)
        verdict = f"{'met' if rate >= GOAL else 'MISSED'}, {rate / base:.0f}x baseline"
        rows.append(
            Row(name, f"{rate:,.0f} ops/s", f">= {GOAL:,}/s", f"{base:,.0f} ops/s", verdict)
        )
    note = (
        f"\n{OPS:,} calls per batch ({BASELINE_OPS:,} for the day-by-day baseline on holidays.RU), "
        "random instants of 2024–2027 in Moscow and UTC, median of 7 batches; the baseline's "
        "answers were checked equal to the calendar's first.\n"
    )
    return table(rows) + note


def _days(first_year: int, last_year: int) -> list[date]:
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
