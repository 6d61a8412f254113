"""The rules pass: evaluate one issue now, apply what is owed, remember when to look again.

Called for every issue sync reports as changed, and for every issue whose scheduled moment has come
(:class:`~tracker_bridge.regulation.schedule.WakeupSchedule`), so an idle minute over thousands of
issues costs a heap peek. Once a working day, at the opening, it also posts the digest (R21).

Memory follows the open issues, not every issue ever seen: between evaluations an open issue is
a compact view (:func:`~tracker_bridge.tracker.views.compact_view`), a schedule entry and its
clock states. An issue in a terminal status with nothing more owed (its final card and notices
carried out, no wake-up pending) is dropped and marked finished in the store, so a restart does
not load it again; a change to it later (a comment, a reopen) brings it back.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from functools import partial
from typing import Protocol

import structlog

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.observability.metrics import Metrics
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.digest import daily_digests
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.rules import Evaluation, evaluate
from tracker_bridge.regulation.schedule import WakeupSchedule
from tracker_bridge.regulation.sla import ClockKind, ClockState
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.service.effects import Effects, TransientEffectError
from tracker_bridge.service.lanes import Job, JobResult, run_ordered
from tracker_bridge.tracker.errors import TrackerTransient
from tracker_bridge.tracker.views import compact_view

__all__ = ["Issues", "RulesPass"]

log = structlog.get_logger(__name__)

ClockStates = tuple[tuple[ClockKind, ClockState], ...]


class Issues(Protocol):
    """Where the rules pass reads issues (the wired one: ``issue_reader.TrackerIssueReader``)."""

    async def view(self, key: str) -> IssueView | None: ...

    def finish(self, key: str, status: Status) -> None:
        """Nothing more is owed for ``key``: a restart need not look at it."""
        ...


class RulesPass:
    """Applies the rules to issues through the effects (due ones several at a time)."""

    def __init__(
        self,
        *,
        clock: Clock,
        calendar: WorkCalendar,
        policy: Policy,
        effects: Effects,
        issues: Issues,
        schedule: WakeupSchedule | None = None,
        views: dict[str, IssueView] | None = None,
        metrics: Metrics | None = None,
        concurrency: int = 1,
    ) -> None:
        """``concurrency``: how many due issues are evaluated at once (each its own Tracker
        reads and writes; the effects lock per issue)."""
        self._clock, self._cal, self._policy = clock, calendar, policy
        self._concurrency = concurrency
        self._effects, self._issues = effects, issues
        self.schedule = schedule or WakeupSchedule()
        self._digest_day: date | None = None
        self._metrics = metrics
        # the clock states of each open issue and their sum, for the gauges (kept only with metrics)
        self._states: dict[str, ClockStates] = {}
        self._clock_counts: Counter[tuple[ClockKind, ClockState]] = Counter()
        # the latest compact view of each open issue, shared with the Telegram cards and commands
        self.views: dict[str, IssueView] = {} if views is None else views
        # the intake's watermark (R19: no auto-close before the mail that came in time is read);
        # the daemon sets it, a pass without a mailbox leaves it None
        self.mail_taken_until: Callable[[], datetime] | None = None

    async def issue(self, key: str) -> Evaluation | None:
        """Evaluate one issue now and carry out what is owed; a failure is logged as
        ``rules.failed`` (with the issue) and raised to the caller, which retries it."""
        key = sys.intern(key)  # one string per open issue, shared by its view, wake-up and clocks
        try:
            return await self._issue(key)
        except (TransientEffectError, TrackerTransient) as exc:  # an outage: no traceback
            log.warning("rules.failed", issue=key, error=repr(exc), transient=True)
            raise
        except Exception as exc:
            log.error("rules.failed", issue=key, error=repr(exc), transient=False, exc_info=True)
            raise

    async def _issue(self, key: str) -> Evaluation | None:
        view = await self._issues.view(key)
        if view is None:
            self._forget(key)
            return None
        # before the effects: the Telegram card of this evaluation is rendered from it
        self.views[key] = compact_view(view)
        now = self._clock.now()
        taken = self.mail_taken_until() if self.mail_taken_until is not None else None
        result = evaluate(view, now, self._cal, self._policy, mail_taken_until=taken)
        if result.actions:
            log.info("rules.actions", issue=key, actions=[a.key for a in result.actions])
            await self._effects.run(result.actions, customer=view.customer, issue_key=key)
        if not self._cal.covers(now.astimezone(self._cal.tz).date()):
            log.warning("calendar.beyond_data", day=str(now.date()), issue=key)
        if view.status.is_terminal and result.next_check_at is None:
            # its final actions are done (a failure would have raised above): nothing to keep
            self._forget(key)
            self._issues.finish(key, view.status)
            return result
        self.schedule.set(key, result.next_check_at)
        self._record_clocks(key, result)
        return result

    def _forget(self, key: str) -> None:
        """Hold nothing more for ``key``."""
        self.views.pop(key, None)
        self.schedule.set(key, None)
        self._set_states(key, ())

    def _record_clocks(self, key: str, result: Evaluation) -> None:
        """Keep the clocks-by-state gauges in step (observability), in O(1) per evaluation."""
        if self._metrics is None:
            return
        states = tuple((r.kind, r.state) for r in result.clocks)
        self._set_states(key, _SHARED.setdefault(states, states))

    def _set_states(self, key: str, states: ClockStates) -> None:
        old = self._states.pop(key, ())
        if states:
            self._states[key] = states
        if old == states or self._metrics is None:
            return
        self._clock_counts.subtract(old)
        self._clock_counts.update(states)
        self._metrics.set_clocks(self._clock_counts)

    async def many(self, keys: Iterable[str]) -> int:
        """Evaluate each key once; the number evaluated."""
        count = 0
        for key in dict.fromkeys(keys):
            await self.issue(key)
            count += 1
        return count

    async def side_by_side(
        self,
        keys: Sequence[str],
        *,
        stop: Callable[[], bool] = lambda: False,
        stop_on_error: bool = True,
    ) -> list[JobResult[Evaluation | None]]:
        """Evaluate ``keys`` (distinct), up to ``concurrency`` at once; one result per key, in
        order (:func:`~tracker_bridge.service.lanes.run_ordered` semantics for failures and
        ``stop``)."""
        jobs = [Job((key,), partial(self.issue, key)) for key in keys]
        return await run_ordered(
            jobs, limit=self._concurrency, stop=stop, stop_on_error=stop_on_error
        )

    async def due(self, *, stop: Callable[[], bool] = lambda: False) -> int:
        """Evaluate every issue whose scheduled moment has come, up to ``concurrency`` at once;
        the number evaluated. After a failure (or once ``stop()`` says so) no further one
        starts, and those not evaluated go back on the schedule, due now: popped and dropped,
        their reminders and auto-closes would wait for the issue's next change."""
        keys = self.schedule.due(self._clock.now())
        results = await self.side_by_side(keys, stop=stop)
        now = self._clock.now()
        for key, result in zip(keys, results, strict=True):
            if not result.ok and self.schedule.when(key) is None:
                self.schedule.set(key, now)
        failure = next((r.error for r in results if r.error is not None), None)
        if failure is not None:
            raise failure
        return sum(result.ok for result in results)

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


# the few distinct clock-state combinations, shared by every issue in one of them
_SHARED: dict[ClockStates, ClockStates] = {}
