"""How far ahead the production calendar is known, and when to warn (R6, issue 14.4)."""

from __future__ import annotations

from datetime import date

import pytest

from tracker_bridge.config.regulation import CalendarSettings
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.calendar_horizon import calendar_horizon
from tracker_bridge.regulation.production_calendar import decree_years

WARN = CalendarSettings().warn_days_ahead  # the production default


def test_the_default_warns_three_months_ahead() -> None:
    """warn_days_ahead defaults to 90: the decree for next year is out by early autumn."""
    assert WARN == 90


def test_r6_the_data_ends_with_the_last_decree_the_package_knows() -> None:
    """With the pinned holidays the decrees run 2024–2027: the data ends on 2027-12-31."""
    assert decree_years() == range(2024, 2028)
    assert WorkCalendar.default().data_ends == date(2027, 12, 31)


@pytest.mark.parametrize(
    ("today", "left", "warn", "says"),
    [
        (date(2027, 10, 1), 91, False, "production calendar: decrees up to 2027-12-31 (91 days"),
        (date(2027, 10, 2), 90, False, "production calendar: decrees up to 2027-12-31 (90 days"),
        (date(2027, 10, 3), 89, True, "data ends on 2027-12-31, in 89 days: working days after"),
        (date(2027, 12, 31), 0, True, "data ends on 2027-12-31, in 0 days"),
        (date(2028, 1, 1), -1, True, "data ended on 2027-12-31 (1 days ago): working days after"),
    ],
)
def test_r6_the_warning_starts_warn_days_before_the_end(
    today: date, left: int, warn: bool, says: str
) -> None:
    """Under 90 days left (production default) is a warning; after the end, it says so."""
    horizon = calendar_horizon(WorkCalendar.default(), today, WARN)
    assert (horizon.days_left, horizon.warn) == (left, warn)
    assert says in horizon.describe()


def test_a_calendar_given_whole_by_rules_never_ends() -> None:
    """Explicit rules for every year: no end, no warning, a line that says why."""
    horizon = calendar_horizon(WorkCalendar(timezone="UTC"), date(2030, 1, 1), WARN)
    assert (horizon.data_ends, horizon.days_left, horizon.warn) == (None, None, False)
    assert horizon.describe() == "production calendar: every year comes from the configuration"


def test_r6_a_newer_holidays_with_the_next_decree_extends_the_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The years follow the package: give holidays a 2028 transfer (as its next release will)
    and 2028 becomes authoritative, with that transfer, and the warning moves a year on."""
    from holidays.calendars.gregorian import JAN, MAY
    from holidays.countries.russia import RussiaStaticHolidays

    decrees = RussiaStaticHolidays.special_public_holidays
    monkeypatch.setattr(
        RussiaStaticHolidays, "special_public_holidays", {**decrees, 2028: ((MAY, 2, JAN, 1),)}
    )
    cal = WorkCalendar.default()
    assert decree_years() == range(2024, 2029)
    assert cal.data_ends == date(2028, 12, 31)
    assert not cal.is_working_day(date(2028, 5, 2))  # the transferred day off
    assert not calendar_horizon(cal, date(2027, 11, 1), WARN).warn
