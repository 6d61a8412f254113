"""The Russian production calendar as data (R6), built from the ``holidays`` package.

``holidays.RU`` knows the days off (public holidays, days off transferred by government decree,
"observed" Mondays) and the transferred working Saturdays (``weekend_workdays``). It does not know
the shortened pre-holiday days, so they are derived here.

**Shortened days** (Labour Code art. 95: the working day immediately before a non-working holiday
is one hour shorter). A *non-working holiday* is one of the art. 112 dates (Jan 1–8, Feb 23, Mar 8,
May 1, May 9, Jun 12, Nov 4) that is a day off; days off moved there by decree or an observed Monday
are not holidays, so the day before them is a full day. A working day ``D`` is shortened when

(a) ``D + 1`` is a non-working holiday, or
(b) ``D`` is a working Saturday/Sunday whose day off was transferred to ``T`` and ``T + 1`` is a
    non-working holiday: the Saturday is worked *instead of* ``T``, so it is as short as ``T`` would
    have been (the Ministry of Labour's explanation of 2024-11-02 and 2025-11-01).

Checked against the official calendars (ConsultantPlus via d10xa/holidays-calendar, xmlcalendar.ru):
2024: 02-22, 03-07, 05-08, 06-11, 11-02 (5 days, 1979 h norm; **2024-12-28 is a full day**: the
Sunday after it is followed by the transferred days off 12-30/12-31, not by a holiday; likewise
2024-04-27); 2025: 03-07, 04-30, 06-11, 11-01; 2026: 04-30, 05-08, 06-11, 11-03 (12-31 is a day
off); 2027: 02-20, 04-30, 06-11, 11-03. Rule (a) alone would miss 11-02-2024, 11-01-2025 and
02-20-2027; a "skip the weekend" rule would wrongly shorten 2026-02-20.

**The authoritative range** (:func:`decree_years`) runs from 2024 to the last year for which the
installed ``holidays`` knows the Government's decree (every decree since 2005 transfers at least
one day off, so a year with a transfer is a year with its decree): a newer ``holidays`` extends it
by itself. A decree the package does not know yet comes in as ``decrees`` (a year's complete
rules, from the operator's decree file, see ``tracker_bridge.config.decree_file``): that year is
then authoritative with exactly those rules.

**Years outside the authoritative range** get :func:`russian_fallback`: weekdays minus the
art. 112 holidays the package lists for that year, with rule (a); no transfers, no observed days.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from holidays import HolidayBase, country_holidays

__all__ = [
    "FIRST_DECREE_YEAR",
    "NON_WORKING_HOLIDAYS",
    "SpecialDays",
    "decree_years",
    "russian_days",
    "russian_fallback",
]

FIRST_DECREE_YEAR = 2024  # the first year the regulation ran on; earlier years are fallback
_LOOK_AHEAD = 10  # years past the first to ask the package about

# Labour Code art. 112: the non-working public holidays, as (month, day).
NON_WORKING_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    {(1, d) for d in range(1, 9)} | {(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)}
)

# RU(language="ru") names a transferred day off "Выходной (перенесено с DD.MM.YYYY)".
_TRANSFERRED_FROM = re.compile(r"перенесено с (\d{2})\.(\d{2})\.(\d{4})")
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SpecialDays:
    """The exceptions to the weekday rule: what a decree or the law says about particular dates."""

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()  # e.g. transferred working Saturdays
    shortened_days: frozenset[date] = frozenset()  # working days that close early

    def is_working(self, d: date, weekdays: frozenset[int]) -> bool:
        """Whether ``d`` is worked under these exceptions and the ``weekdays`` rule."""
        if d in self.working_days:
            return True
        return d not in self.days_off and d.weekday() in weekdays

    def over(self, guess: SpecialDays) -> SpecialDays:
        """These exceptions first; ``guess`` only for the dates they say nothing about."""
        said = self.days_off | self.working_days
        return SpecialDays(
            self.days_off | (guess.days_off - said),
            self.working_days | (guess.working_days - said),
            self.shortened_days | (guess.shortened_days - self.days_off),
        )


def decree_years(first: int = FIRST_DECREE_YEAR) -> range:
    """The years from ``first`` whose decree the installed ``holidays`` knows, without a gap."""
    last = first - 1
    for year in range(first, first + _LOOK_AHEAD):
        if not any(_transferred_from(name) for name in _russia((year,)).values()):
            break
        last = year
    return range(first, last + 1)


def russian_days(
    years: range,
    *,
    weekdays: frozenset[int],
    extra_days_off: Iterable[date] = (),
    extra_working_days: Iterable[date] = (),
    shortened_days: Iterable[date] | None = None,
    unshortened_days: Iterable[date] = (),
    decrees: Mapping[int, SpecialDays] | None = None,
) -> SpecialDays:
    """The official calendar for ``years`` plus config overrides (a decree newer than the package).

    ``decrees`` gives whole years the package does not know (their days off on weekdays, working
    weekend days and shortened days, nothing derived). ``shortened_days`` replaces the derived
    shortened days when given; ``unshortened_days`` removes days from either.
    """
    decreed = dict(decrees or {})
    extra_off, extra_work = frozenset(extra_days_off), frozenset(extra_working_days)
    if clash := extra_off & extra_work:
        raise ValueError(f"dates both off and working: {sorted(clash)}")
    # One more year, so that Jan 1 after the last year shortens its Dec 31.
    known = _russia(range(years.start, years.stop + 1))
    from_package = [y for y in years if y not in decreed]
    off = frozenset(d for d in known if d.year in from_package)
    working = frozenset(d for d in known.weekend_workdays if d.year in from_package)
    for rules in decreed.values():
        off, working = off | rules.days_off, working | rules.working_days
    off = (off | extra_off) - extra_work
    working = (working | extra_work) - off

    def is_working(d: date) -> bool:  # `known` also holds the look-ahead year's Jan 1
        listed = d in known and d.year not in decreed
        return d in working or (d.weekday() in weekdays and d not in off and not listed)

    if shortened_days is None:
        feasts = _non_working_holidays(known, is_working)
        derived = _day_before(feasts, is_working) | _worked_instead(known, feasts, is_working)
        short = frozenset(d for d in derived if d.year in years and d.year not in decreed)
        short |= frozenset(d for rules in decreed.values() for d in rules.shortened_days)
    else:
        short = frozenset(shortened_days)
    return SpecialDays(off, working, short - frozenset(unshortened_days))


def russian_fallback(year: int, *, weekdays: frozenset[int]) -> SpecialDays:
    """A best guess for a year without a decree: weekdays minus the fixed-date holidays."""
    known = _russia((year, year + 1))
    feasts = frozenset(d for d in known if (d.month, d.day) in NON_WORKING_HOLIDAYS)
    off = frozenset(d for d in feasts if d.year == year)

    def is_working(d: date) -> bool:
        return d.weekday() in weekdays and d not in off

    short = frozenset(d for d in _day_before(feasts, is_working) if d.year == year)
    return SpecialDays(days_off=off, shortened_days=short)


def _russia(years: Iterable[int]) -> HolidayBase:
    """``holidays.RU`` (typed). Russian names always: the transfer dates are read from them."""
    return country_holidays("RU", years=years, language="ru", expand=False)


def _non_working_holidays(
    known: HolidayBase, is_working: Callable[[date], bool]
) -> frozenset[date]:
    """The art. 112 dates that are days off (not transferred days off, not observed Mondays)."""
    return frozenset(
        d for d in known if (d.month, d.day) in NON_WORKING_HOLIDAYS and not is_working(d)
    )


def _day_before(feasts: frozenset[date], is_working: Callable[[date], bool]) -> frozenset[date]:
    """Rule (a): the working days immediately before a non-working holiday."""
    return frozenset(d - _DAY for d in feasts if is_working(d - _DAY))


def _worked_instead(
    known: HolidayBase, feasts: frozenset[date], is_working: Callable[[date], bool]
) -> frozenset[date]:
    """Rule (b): working weekend days standing in for a day off that precedes a holiday."""
    return frozenset(
        source
        for day_off, name in known.items()
        for source in _transferred_from(name)
        if is_working(source) and day_off + _DAY in feasts
    )


def _transferred_from(name: str) -> list[date]:
    """The dates a day off was moved from, read from its Russian name."""
    return [date(int(y), int(m), int(d)) for d, m, y in _TRANSFERRED_FROM.findall(name)]
