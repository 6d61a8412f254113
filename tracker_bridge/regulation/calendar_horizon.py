"""How far ahead the production calendar is known, and whether to warn about its end (R6).

Beyond its last decree the calendar guesses (weekdays minus the fixed holidays, no transfers), so
deadlines there can be a day off. The Government publishes a year's decree in the autumn before;
:func:`calendar_horizon` says, for a given day, when the data ends and whether that is within the
warning window, for ``check``, the log, ``/healthz`` and the metric alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker_bridge.regulation.calendar import WorkCalendar

__all__ = ["EXTEND", "CalendarHorizon", "calendar_horizon"]

EXTEND = (
    "upgrade the holidays package (pip install --upgrade holidays) once it has the next year's "
    "decree, or write the decree into calendar.decree_file (docs/operations.md)"
)


@dataclass(frozen=True)
class CalendarHorizon:
    """When the calendar's data ends as seen from ``today``, and whether to warn about it."""

    today: date
    data_ends: date | None  # None: the configuration gives every year (nothing ends)
    warn_days_ahead: int

    @property
    def days_left(self) -> int | None:
        """Days from today to the last day with data (0 on that day, negative after it)."""
        return None if self.data_ends is None else (self.data_ends - self.today).days

    @property
    def warn(self) -> bool:
        left = self.days_left
        return left is not None and left < self.warn_days_ahead

    def describe(self) -> str:
        """One line for people: where the data ends and what that means."""
        left = self.days_left
        if left is None:
            return "production calendar: every year comes from the configuration"
        if left < 0:
            return (
                f"production calendar data ended on {self.data_ends} ({-left} days ago): "
                "working days after it are a guess (fixed holidays only, no transfers)"
            )
        if self.warn:
            return (
                f"production calendar data ends on {self.data_ends}, in {left} days: "
                "working days after it will be a guess"
            )
        return f"production calendar: decrees up to {self.data_ends} ({left} days ahead)"


def calendar_horizon(calendar: WorkCalendar, today: date, warn_days_ahead: int) -> CalendarHorizon:
    """The horizon of ``calendar`` as of ``today`` (a date in the calendar's zone)."""
    return CalendarHorizon(today, calendar.data_ends, warn_days_ahead)
