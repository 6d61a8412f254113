"""``calendar.decree_file``: production-calendar decrees the installed ``holidays`` does not know.

The Government publishes next year's calendar in the autumn; ``holidays`` ships it some weeks
later. Until a newer ``holidays`` is installed, the operator writes the decree here, one TOML
table per year (docs/operations.md, "The production calendar"):

    [2028]
    decree = "Постановление Правительства РФ от … № …"
    days_off = [2028-01-03, 2028-01-04, …]   # every Mon–Fri that is a day off
    working_days = [2028-…]                   # Saturdays/Sundays that are worked
    shortened_days = [2028-02-22, …]          # working days one hour shorter

A year listed here is authoritative with exactly these rules (nothing is derived for it). The
file is checked as strictly as the configuration: dates outside their year, a weekend "day off",
a weekday "working day", a shortened day that is not worked, a fixed holiday (Labour Code
art. 112) missing from the days off, or a year that leaves a gap after the package's data are
refused, each named.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tracker_bridge.regulation.production_calendar import (
    FIRST_DECREE_YEAR,
    NON_WORKING_HOLIDAYS,
    SpecialDays,
    decree_years,
)

__all__ = ["load_decrees"]

_KEYS = {"decree", "days_off", "working_days", "shortened_days"}
_WEEKDAYS = frozenset(range(5))


def load_decrees(path: Path) -> dict[int, SpecialDays]:
    """The years of the decree file at ``path``; ValueError naming every problem found."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    problems: list[str] = []
    decrees: dict[int, SpecialDays] = {}
    named: list[int] = []
    for key, table in data.items():
        year = int(key) if key.isdigit() else None
        if year is None or not FIRST_DECREE_YEAR <= year < 9999:
            problems.append(f"[{key}]: a table per year from {FIRST_DECREE_YEAR}, e.g. [2028]")
        elif not isinstance(table, dict):
            problems.append(f"[{key}]: a table with decree, days_off, working_days, shortened_days")
        else:
            named.append(year)
            rules, found = _year(year, table)
            problems += [f"[{year}] {problem}" for problem in found]
            if not found:
                decrees[year] = rules
    if not data:
        problems.append("no year in the file (a table per year, e.g. [2028])")
    problems += _gaps(sorted(named))
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return decrees


def _year(year: int, table: dict[str, Any]) -> tuple[SpecialDays, list[str]]:
    """The year's rules and what is wrong with them (the rules count only without problems)."""
    problems = [f"{k}: unknown key" for k in sorted(set(table) - _KEYS)]
    decree = table.get("decree")
    if not isinstance(decree, str) or not decree.strip():
        problems.append("decree: name the decree (its title, date and number)")
    lists = {name: table.get(name, []) for name in ("days_off", "working_days", "shortened_days")}
    for name, days in lists.items():
        if not isinstance(days, list) or not all(type(d) is date for d in days):
            problems.append(f"{name}: a list of dates (2028-01-03, no quotes)")
            lists[name] = []
    off, working, short = (frozenset(lists[n]) for n in lists)
    problems += [f"{d} is not in {year}" for d in sorted(off | working | short) if d.year != year]
    problems += [f"days_off: {d} is a {d:%A}, off anyway" for d in sorted(off) if d.weekday() > 4]
    problems += [
        f"working_days: {d} is a {d:%A}, worked anyway" for d in sorted(working) if d.weekday() < 5
    ]
    problems += [
        f"shortened_days: {d} is not a working day"
        for d in sorted(short)
        if d in off or (d.weekday() > 4 and d not in working)
    ]
    problems += [
        f"days_off: {d} ({d:%A}) is a holiday of the Labour Code art. 112 and must be listed"
        for d in _fixed_holidays_on_weekdays(year)
        if d not in off
    ]
    return SpecialDays(off, working, short), problems


def _fixed_holidays_on_weekdays(year: int) -> list[date]:
    days = (date(year, 1, 1) + timedelta(days=n) for n in range(366))
    return [
        d
        for d in days
        if d.year == year and (d.month, d.day) in NON_WORKING_HOLIDAYS and d.weekday() in _WEEKDAYS
    ]


def _gaps(years: list[int]) -> list[str]:
    known = decree_years()
    last = known[-1] if known else FIRST_DECREE_YEAR - 1
    missing = [y for y in range(last + 1, max(years, default=last) + 1) if y not in years]
    if not missing:
        return []
    after = f"after {last}, the last year the installed holidays package knows"
    return [f"{', '.join(map(str, missing))} missing {after}: the years must follow on"]
