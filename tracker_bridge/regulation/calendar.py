"""The working calendar (R6) and the working-time arithmetic of R10, R17 and R19.

Support works Mon–Fri 10:00–18:00 Moscow time on the days of the official production calendar
(:meth:`WorkCalendar.default`, data from :mod:`.production_calendar`). Conventions:

* Working time is half-open: a day is working in ``[opens, closes)``; a shortened day closes one
  hour early. All arguments must be aware datetimes (naive ones raise ``ValueError``); results are
  aware datetimes in :attr:`WorkCalendar.tz`.
* ``add_working_days(t, n)``: the same time of day (measured from the day's opening) on the n-th
  following working day. Outside working hours counting starts at the next opening, so
  Sat 12:00 + 1 = Tue 10:00 (the same working instant as Mon 18:00). On a shortened target day a
  later time of day is clamped to its close. ``add(add(t, a), b) == add(t, a + b)`` whenever
  ``add(t, a)`` was not clamped; after a clamp the composition restarts from the next opening.
* ``add_working_time(t, d)`` is the earliest instant by which ``d`` of working time has passed since
  ``t`` (so it may be a closing time such as 18:00); ``working_time_between(a, b)`` is the working
  time inside ``[a, b)`` and ``timedelta(0)`` when ``b <= a`` (never negative, so "remaining" is 0
  once a deadline has passed).
* Years outside ``covered_years`` use the ``fallback`` rules (for the default calendar: weekdays
  minus the fixed-date holidays); :meth:`WorkCalendar.covers` says False there, so the shell can
  log a warning.

Speed: the working periods are kept as sorted tables of UTC microseconds with a running total of
working time, so every operation is a bisect (O(log n)), with no per-day loop and no time-zone
arithmetic beyond reading the argument and building the result. The tables are built per year on
first use and grow geometrically; that memo is the only state and never changes an answer.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from itertools import chain
from zoneinfo import ZoneInfo

from tracker_bridge.regulation.production_calendar import (
    SpecialDays,
    decree_years,
    russian_days,
    russian_fallback,
)

__all__ = ["DEFAULT_TIMEZONE", "SpecialDays", "WorkCalendar"]

# R6: the support works on Moscow time unless `calendar.timezone` says otherwise.
DEFAULT_TIMEZONE = "Europe/Moscow"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_ZERO = timedelta(0)
_FIRST_YEAR, _LAST_YEAR = 1, 9999  # what datetime can represent
_Period = tuple[int, int] | None  # (opens, closes) in UTC microseconds, None on a day off


def _micros(t: datetime) -> int:
    """``t`` as microseconds since the epoch; refuses naive datetimes."""
    try:
        return (t - _EPOCH) // _US
    except TypeError:
        raise ValueError(f"an aware datetime is required, got {t!r}") from None


@dataclass(frozen=True, slots=True)
class _Table:
    """The working periods of the years ``first_year..last_year``, in order."""

    first_year: int
    last_year: int
    base: int  # ordinal of Jan 1 of first_year
    start: int  # local midnight opening first_year, µs
    end: int  # local midnight after last_year, µs
    opens: list[int]
    closes: list[int]
    done: list[int]  # done[k]: working µs in periods before k; one longer than opens
    first: list[int]  # first[i]: index of the first period on or after day i; one longer

    def worked(self, x: int) -> int:
        """Working µs between the table's start and ``x``."""
        k = bisect_right(self.opens, x) - 1
        return 0 if k < 0 else self.done[k] + min(x, self.closes[k]) - self.opens[k]

    def locate(self, x: int) -> tuple[int, int]:
        """The period holding ``x`` and the offset into it, else the next period and 0."""
        k = bisect_right(self.opens, x) - 1
        if k >= 0 and x < self.closes[k]:
            return k, x - self.opens[k]
        return k + 1, 0


class WorkCalendar:
    """When support works, and working-time arithmetic on top of it (R6)."""

    def __init__(
        self,
        *,
        timezone: str = DEFAULT_TIMEZONE,
        opens: time = time(10),
        closes: time = time(18),
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        days_off: Iterable[date] = (),
        working_days: Iterable[date] = (),
        shortened_days: Iterable[date] = (),
        shortened_by: timedelta = timedelta(hours=1),
        covered_years: range = range(_FIRST_YEAR, _LAST_YEAR + 1),
        fallback: Callable[[int], SpecialDays] | None = None,
    ) -> None:
        """A calendar from explicit rules (complete for every year unless ``covered_years`` says
        otherwise; ``fallback(year)`` then gives the rules of the other years)."""
        self.tz = ZoneInfo(timezone)
        self.opens, self.closes = opens, closes
        self.weekdays = frozenset(weekdays)
        self.short_closes = (datetime.combine(date(2000, 1, 1), closes) - shortened_by).time()
        self._special = SpecialDays(
            frozenset(days_off), frozenset(working_days), frozenset(shortened_days)
        )
        self._covered = covered_years
        self._fallback = fallback
        self._check()
        self._periods: dict[int, list[_Period]] = {}
        self._table: _Table | None = None

    @classmethod
    def default(
        cls,
        *,
        timezone: str = DEFAULT_TIMEZONE,
        opens: time = time(10),
        closes: time = time(18),
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        shortened_days: Iterable[date] | None = None,
        unshortened_days: Iterable[date] = (),
        years: range | None = None,
        decrees: Mapping[int, SpecialDays] | None = None,
        transferred_saturdays: bool = True,
        shortened_by: timedelta = timedelta(hours=1),
    ) -> WorkCalendar:
        """R6: Moscow 10–18 on the working days of the Russian production calendar.

        ``years``: the authoritative years, by default those whose decree ``holidays`` knows
        (:func:`decree_years`); ``decrees`` adds whole years beyond them, which must follow on
        without a gap (a year in between would be a guess inside the "authoritative" range).

        Two readings of R6 are settings (docs/regulation.md, "Settings that change a reading"):
        ``transferred_saturdays`` — support works the weekend days the production calendar makes
        working ("в рабочие дни"); ``shortened_by`` — how much earlier a pre-holiday day closes
        (the Labour Code's hour; zero: support works until the usual close).
        """
        days = frozenset(weekdays)
        extra_working_days = tuple(extra_working_days)
        known = decree_years() if years is None else years
        years = _with_decrees(known, decrees or {})
        special = russian_days(
            years,
            weekdays=days,
            extra_days_off=extra_days_off,
            extra_working_days=extra_working_days,
            shortened_days=shortened_days,
            unshortened_days=unshortened_days,
            decrees=decrees,
        )
        working = special.working_days
        if not transferred_saturdays:
            transferred = {d for d in working if d.weekday() not in days}
            working = working - (transferred - set(extra_working_days))
        calendar = cls(
            timezone=timezone,
            opens=opens,
            closes=closes,
            weekdays=days,
            days_off=special.days_off,
            working_days=working,
            shortened_days=(special.shortened_days & working)
            | {d for d in special.shortened_days if d.weekday() in days}
            if shortened_by
            else (),
            shortened_by=shortened_by or timedelta(hours=1),
            covered_years=years,
            fallback=partial(russian_fallback, weekdays=days),
        )
        if years:
            calendar._table_for_years(years[0], years[-1])  # built now, so the first call is fast
        return calendar

    def __repr__(self) -> str:
        return (
            f"WorkCalendar({self.tz.key}, {self.opens:%H:%M}-{self.closes:%H:%M}, "
            f"weekdays={sorted(self.weekdays)}, covered_years={self._covered})"
        )

    # --- days ---------------------------------------------------------------------------------

    def covers(self, d: date) -> bool:
        """Whether ``d`` lies in the years with authoritative data (else: a fallback guess)."""
        return d.year in self._covered

    @property
    def data_ends(self) -> date | None:
        """The last day with authoritative data; None when every year is covered or none is."""
        if not self._covered or self._fallback is None or self._covered[-1] >= _LAST_YEAR:
            return None
        return date(self._covered[-1], 12, 31)

    def is_working_day(self, d: date) -> bool:
        """R6: whether support works on ``d`` at all."""
        tab = self._table_for_years(d.year, d.year)
        i = d.toordinal() - tab.base
        return tab.first[i] < tab.first[i + 1]

    def opening_hours(self, d: date) -> tuple[datetime, datetime] | None:
        """When support opens and closes on ``d``; ``None`` on a day off."""
        tab = self._table_for_years(d.year, d.year)
        i = d.toordinal() - tab.base
        k = tab.first[i]
        if k == tab.first[i + 1]:
            return None
        return self._datetime(tab.opens[k]), self._datetime(tab.closes[k])

    # --- instants -----------------------------------------------------------------------------

    def is_working_time(self, t: datetime) -> bool:
        """R6: whether ``t`` is inside working hours (half-open: the closing instant is not)."""
        x = _micros(t)
        tab = self._covering(x, x)
        k = bisect_right(tab.opens, x) - 1
        return k >= 0 and x < tab.closes[k]

    def next_opening(self, t: datetime) -> datetime:
        """``t`` itself during working hours, else the next opening instant."""
        tab, k, offset = self._located(_micros(t), 0)
        if offset:
            return t.astimezone(self.tz)
        return self._datetime(tab.opens[k])

    def add_working_days(self, t: datetime, n: int) -> datetime:
        """R17/R19: the same time of day on the n-th following working day (see module doc)."""
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        tab, k, offset = self._located(_micros(t), n)
        return self._datetime(min(tab.opens[k + n] + offset, tab.closes[k + n]))

    def add_working_hours(self, t: datetime, hours: float) -> datetime:
        """:meth:`add_working_time` with the duration given in hours."""
        return self.add_working_time(t, timedelta(hours=hours))

    def add_working_time(self, t: datetime, delta: timedelta) -> datetime:
        """The earliest instant by which ``delta`` of working time has passed since ``t``."""
        if delta < _ZERO:
            raise ValueError(f"delta must not be negative, got {delta}")
        x = _micros(t)
        if not delta:
            return t.astimezone(self.tz)
        tab = self._covering(x, x)
        while (goal := tab.worked(x) + delta // _US) > tab.done[-1]:
            tab = self._later(tab)  # totals are recomputed: a rebuild may start earlier
        k = bisect_left(tab.done, goal) - 1  # the period during which the total reaches goal
        return self._datetime(tab.opens[k] + goal - tab.done[k])

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """The working time inside ``[a, b)``; zero when ``b <= a``."""
        x, y = _micros(a), _micros(b)
        if y <= x:
            return _ZERO
        tab = self._covering(x, y)
        return timedelta(microseconds=tab.worked(y) - tab.worked(x))

    def working_time_steps(self, points: Sequence[datetime]) -> list[timedelta]:
        """The working time between each pair of consecutive ``points`` (zero where a point is
        not after the previous one): ``working_time_between`` for a whole status history at the
        cost of one conversion and one search per point."""
        if len(points) < 2:
            return []
        xs = [_micros(t) for t in points]
        tab = self._covering(min(xs), max(xs))
        totals = [tab.worked(x) for x in xs]
        return [
            timedelta(microseconds=max(0, b - a)) if y > x else _ZERO
            for x, y, a, b in zip(xs, xs[1:], totals, totals[1:], strict=False)
        ]

    def working_intervals(self, a: datetime, b: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working periods inside ``[a, b)``, clipped to it, in order (SLA explanations)."""
        x, y = _micros(a), _micros(b)
        if y <= x:
            return iter(())
        return self._intervals(self._covering(x, y), x, y)

    def _intervals(self, tab: _Table, x: int, y: int) -> Iterator[tuple[datetime, datetime]]:
        k, _ = tab.locate(x)
        while k < len(tab.opens) and tab.opens[k] < y:
            yield self._datetime(max(tab.opens[k], x)), self._datetime(min(tab.closes[k], y))
            k += 1

    # --- tables -------------------------------------------------------------------------------

    def _datetime(self, x: int) -> datetime:
        """Microseconds since the epoch as an aware datetime in the calendar's zone."""
        if x % 1_000_000:  # exact (a float timestamp would lose microseconds far from 1970)
            return (_EPOCH + timedelta(microseconds=x)).astimezone(self.tz)
        return datetime.fromtimestamp(x // 1_000_000, self.tz)

    def _covering(self, x: int, y: int) -> _Table:
        """A table whose span holds the instants ``x <= y``."""
        tab = self._table
        if tab is not None and tab.start <= x and y < tab.end:
            return tab
        return self._table_for_years(self._year_of(x), self._year_of(y))

    def _year_of(self, x: int) -> int:
        return (_EPOCH + timedelta(microseconds=x)).astimezone(self.tz).year

    def _located(self, x: int, ahead: int) -> tuple[_Table, int, int]:
        """A table, the period holding ``x`` with the offset into it (else the next period and 0),
        and at least ``ahead`` periods after it."""
        tab = self._covering(x, x)
        k, offset = tab.locate(x)
        while k + ahead >= len(tab.opens):
            tab = self._later(tab)
            k, offset = tab.locate(x)  # again: a rebuild may also start earlier (other threads)
        return tab, k, offset

    def _later(self, tab: _Table) -> _Table:
        """A table reaching at least one year beyond ``tab`` (grown geometrically)."""
        return self._table_for_years(tab.first_year, tab.last_year + 1)

    def _table_for_years(self, lo: int, hi: int) -> _Table:
        tab = self._table
        if tab is not None:
            if tab.first_year <= lo and hi <= tab.last_year:
                return tab
            span = tab.last_year - tab.first_year + 1  # grow geometrically: O(log) rebuilds
            lo = min(tab.first_year, lo if lo >= tab.first_year else lo - span)
            hi = max(tab.last_year, hi if hi <= tab.last_year else hi + span)
        lo, hi = max(lo, _FIRST_YEAR), min(hi, _LAST_YEAR)
        if tab is not None and (lo, hi) == (tab.first_year, tab.last_year):
            raise OverflowError("working time beyond the years datetime can represent")
        self._table = self._build(lo, hi)
        return self._table

    def _build(self, lo: int, hi: int) -> _Table:
        opens: list[int] = []
        closes: list[int] = []
        done, first = [0], []
        for period in chain.from_iterable(self._year(y) for y in range(lo, hi + 1)):
            first.append(len(opens))
            if period is not None:
                opens.append(period[0])
                closes.append(period[1])
                done.append(done[-1] + period[1] - period[0])
        first.append(len(opens))
        start = _micros(datetime(lo, 1, 1, tzinfo=self.tz))
        last = datetime.combine(date(hi, 12, 31), time.max, self.tz)
        end = _micros(last) + 1
        base = date(lo, 1, 1).toordinal()
        return _Table(lo, hi, base, start, end, opens, closes, done, first)

    def _year(self, year: int) -> list[_Period]:
        """Every day of ``year`` as its working period (memoised)."""
        periods = self._periods.get(year)
        if periods is None:
            rules = self._special
            if self._fallback is not None and year not in self._covered:
                rules = rules.over(self._fallback(year))
            jan1 = date(year, 1, 1).toordinal()
            days = range(jan1, date(year, 12, 31).toordinal() + 1)
            periods = [self._period(date.fromordinal(o), rules) for o in days]
            self._periods[year] = periods
        return periods

    def _period(self, d: date, rules: SpecialDays) -> _Period:
        if not rules.is_working(d, self.weekdays):
            return None
        closes = self.short_closes if d in rules.shortened_days else self.closes
        opening = datetime.combine(d, self.opens, self.tz)
        return _micros(opening), _micros(datetime.combine(d, closes, self.tz))

    def _check(self) -> None:
        """Refuse rules that cannot describe a working week."""
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError(f"weekdays must be a non-empty subset of 0..6: {self.weekdays}")
        if not self.opens < self.short_closes <= self.closes:
            raise ValueError("need opens < closes - shortened_by, within one day")
        special = self._special
        if clash := special.days_off & special.working_days:
            raise ValueError(f"dates both off and working: {sorted(clash)}")
        if idle := sorted(
            d for d in special.shortened_days if not special.is_working(d, self.weekdays)
        ):
            raise ValueError(f"shortened days must be working days: {idle}")


def _with_decrees(known: range, decrees: Mapping[int, SpecialDays]) -> range:
    """``known`` extended by the decreed years, which must continue it year by year."""
    if not decrees:
        return known
    last = max(known[-1] if known else min(decrees) - 1, *decrees)
    first = known.start if known else min(decrees)
    if gaps := [y for y in range(first, last + 1) if y not in known and y not in decrees]:
        raise ValueError(f"the decrees leave {', '.join(map(str, gaps))} without data")
    return range(first, last + 1)
