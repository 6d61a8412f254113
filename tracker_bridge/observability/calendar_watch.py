"""The daemon's eye on the production calendar's end (R6): metric, /healthz note, a daily warning.

Each rules pass asks :func:`~tracker_bridge.regulation.calendar_horizon.calendar_horizon` how far
ahead the calendar is known, as of the injected clock. The gauge
``tracker_bridge_calendar_data_days_left`` always says it; within ``calendar.warn_days_ahead`` of
the end, ``/healthz`` carries a note under ``notes.calendar`` (the daemon stays healthy: nothing is
broken yet) and ``calendar.data_ending`` is logged once a day, naming what to do.
"""

from __future__ import annotations

from datetime import date, datetime

import structlog

from tracker_bridge.observability.health import Health
from tracker_bridge.observability.metrics import Metrics
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.calendar_horizon import EXTEND, CalendarHorizon, calendar_horizon

__all__ = ["CalendarWatch"]

log = structlog.get_logger(__name__)


class CalendarWatch:
    """Publishes the calendar's horizon; call :meth:`observe` once per rules pass."""

    def __init__(
        self,
        calendar: WorkCalendar,
        warn_days_ahead: int,
        *,
        metrics: Metrics | None = None,
        health: Health | None = None,
    ) -> None:
        self._calendar = calendar
        self._warn_days_ahead = warn_days_ahead
        self._metrics = metrics
        self._health = health
        self._warned_on: date | None = None

    def observe(self, now: datetime) -> CalendarHorizon:
        today = now.astimezone(self._calendar.tz).date()
        horizon = calendar_horizon(self._calendar, today, self._warn_days_ahead)
        if self._metrics is not None and horizon.days_left is not None:
            self._metrics.calendar_days_left.set(horizon.days_left)
        if self._health is not None:
            note = f"{horizon.describe()}: {EXTEND}" if horizon.warn else None
            self._health.note("calendar", note)
        if horizon.warn and self._warned_on != today:
            self._warned_on = today
            log.warning(
                "calendar.data_ending",
                data_ends=str(horizon.data_ends),
                days_left=horizon.days_left,
                fix=EXTEND,
            )
        return horizon
