"""The rules pass: evaluate one issue now, apply what is owed, remember when to look again.

Called for every issue sync reports as changed, and for every issue whose scheduled moment has come
(:class:`~tracker_bridge.regulation.schedule.WakeupSchedule`), so an idle minute over thousands of
issues costs a heap peek. Once a working day, at the opening, it also posts the digest (R21).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

import structlog

from tracker_bridge.clock import Clock
from tracker_bridge.effects import Effects
from tracker_bridge.intake import IssueReader
from tracker_bridge.metrics import Metrics
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.digest import daily_digests
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.rules import Evaluation, evaluate
from tracker_bridge.regulation.schedule import WakeupSchedule
from tracker_bridge.regulation.sla import ClockKind, ClockState

__all__ = ["RulesPass"]

log = structlog.get_logger(__name__)


class RulesPass:
    """Applies the rules to issues, one at a time, through the effects."""

    def __init__(
        self,
        *,
        clock: Clock,
        calendar: WorkCalendar,
        policy: Policy,
        effects: Effects,
        issues: IssueReader,
        schedule: WakeupSchedule | None = None,
        views: dict[str, IssueView] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._clock, self._cal, self._policy = clock, calendar, policy
        self._effects, self._issues = effects, issues
        self.schedule = schedule or WakeupSchedule()
        self._digest_day: date | None = None
        self._metrics = metrics
        self._states: dict[str, tuple[tuple[ClockKind, ClockState], ...]] = {}
        # the latest view of each issue, shared with the Telegram cards and commands
        self.views: dict[str, IssueView] = {} if views is None else views

    async def issue(self, key: str) -> Evaluation | None:
        """Evaluate one issue now and carry out what is owed."""
        view = await self._issues.view(key)
        if view is None:
            self.schedule.set(key, None)
            return None
        self.views[key] = view
        now = self._clock.now()
        result = evaluate(view, now, self._cal, self._policy)
        if result.actions:
            log.info("rules.actions", issue=key, actions=[a.key for a in result.actions])
            await self._effects.run(result.actions, customer=view.customer, issue_key=key)
        if not self._cal.covers(now.astimezone(self._cal.tz).date()):
            log.warning("calendar.beyond_data", day=str(now.date()), issue=key)
        self.schedule.set(key, result.next_check_at)
        self._record_clocks(key, result)
        return result

    def _record_clocks(self, key: str, result: Evaluation) -> None:
        """Keep the clocks-by-state gauges in step (observability)."""
        if self._metrics is None:
            return
        self._states[key] = tuple(
            (r.kind, r.state) for r in (result.intake, result.silence) if r is not None
        )
        self._metrics.set_clocks(Counter(s for states in self._states.values() for s in states))

    async def many(self, keys: Iterable[str]) -> int:
        """Evaluate each key once; the number evaluated."""
        count = 0
        for key in dict.fromkeys(keys):
            await self.issue(key)
            count += 1
        return count

    async def due(self) -> int:
        """Evaluate every issue whose scheduled moment has come. On a failure the ones not yet
        evaluated go back on the schedule (due now): popped and dropped, their reminders and
        auto-closes would wait for the issue's next change."""
        keys = self.schedule.due(self._clock.now())
        for done, key in enumerate(keys):
            try:
                await self.issue(key)
            except Exception:
                now = self._clock.now()
                for rest in keys[done:]:
                    if self.schedule.when(rest) is None:
                        self.schedule.set(rest, now)
                raise
        return len(keys)

    async def digest(self, customers: Sequence[str]) -> bool:
        """R21: once per working day, from the opening on, one digest per customer."""
        now = self._clock.now()
        today = now.astimezone(self._cal.tz).date()
        if self._digest_day == today:
            return False
        digests = daily_digests(self.views.values(), customers, now, self._cal, self._policy)
        if not digests:
            return False
        await self._effects.run(digests, customer="digest")
        self._digest_day = today
        return True
