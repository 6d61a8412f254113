"""The script's stage: how the story sends mail, acts as support, moves time and looks.

A :class:`Stage` is what every scene (:mod:`.scenes_week1`, :mod:`.scenes_week2`) works with:
it delivers emails into the intake Maildir, makes support's changes through the FakeTracker's
own API (as a person would in the web UI), types commands into the Telegram group, and then
runs the clock until the observed records show the expected outcome, printing what they show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from tracker_bridge.demo.observe import Batch, Observer, collect
from tracker_bridge.demo.timeline import Timeline
from tracker_bridge.demo.world import CHAT, MSK, SUPPORT_LOGIN, SUPPORT_USER, Sent, World
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.sla import (
    ClockReading,
    execution_clock,
    reaction_clock,
    silence_clock,
)
from tracker_bridge.regulation.statuses import Status

ClockFunction = Callable[[IssueView, datetime, WorkCalendar, Policy], ClockReading | None]

__all__ = ["Keys", "Stage", "body_of", "created"]

SETTLE = 60.0  # seconds of clock time a jump lets the loops run before the next event


@dataclass
class Keys:
    """The issue keys the story learns as Tracker assigns them."""

    saturday: str = ""
    urgent: str = ""
    unattended: str = ""


class Stage:
    """The world, the observer and the timeline, with the verbs of the script."""

    def __init__(self, world: World, timeline: Timeline) -> None:
        self.w, self.t = world, timeline
        self.obs = Observer(world)
        # news seen by the last ``at`` that the next ``until`` may be waiting for (a reminder
        # that fell due on the way); any new action by the script starts afresh
        self._carry = Batch()

    # --- things that happen -------------------------------------------------------------------
    async def at(self, when: datetime, text: str = "") -> Batch:
        """Time passes until ``when`` (the loops run meanwhile); whatever they did is shown.

        The clock jumps over nights and idle days, but a working day the story lands on is
        entered at its opening, so its digest (R21) is seen at 10:00 as support would see it.
        """
        news = await self._opening(when)
        if when > self.w.clock.now():
            await self.w.jump(when - timedelta(seconds=SETTLE))
        if text:
            self.t.event(text)
        batch = self.obs.poll()
        self.t.show(batch)
        news.extend(batch)
        self._carry = news
        return news

    async def _opening(self, when: datetime) -> Batch:
        hours = self.w.bridge.calendar.opening_hours(when.astimezone(MSK).date())
        if hours is None or not self.w.clock.now() < hours[0] <= when:
            return Batch()
        await self.w.jump(hours[0] - timedelta(seconds=SETTLE))
        self.t.event("the working day opens")
        seen, _ = await collect(self.w, self.obs, _digest_posted, limit=600.0, step=5.0)
        self.t.show(seen)
        return seen

    def mail(self, text: str, **email: Any) -> Sent:
        self._carry = Batch()
        sent = self.w.mail(**email)
        self.obs.expect_outcome(sent)
        self.t.event(f"✉ {text}: from {sent.sender}, «{sent.subject}»")
        return sent

    def support(self, text: str, action: Callable[[], object]) -> None:
        """Support does something in Tracker's web UI (here: the fake's own API, as ivanov)."""
        self._carry = Batch()
        self.t.event(f"support ({SUPPORT_LOGIN}) in Tracker: {text}")
        action()

    def transition(self, key: str, transition_id: str, text: str, **body: Any) -> None:
        self.support(
            text,
            lambda: self.w.tracker.transition(key, transition_id, by=SUPPORT_LOGIN, **body),
        )

    def update(self, key: str, text: str, **fields: Any) -> None:
        self.support(text, lambda: self.w.tracker.update_issue(key, by=SUPPORT_LOGIN, **fields))

    def telegram(self, command: str) -> None:
        self._carry = Batch()
        self.t.event(f"Telegram: {SUPPORT_LOGIN} writes «{command}» in the group")
        self.w.telegram.inject_command(CHAT, SUPPORT_USER, command)

    async def until(
        self, what: Callable[[Batch], bool], *, limit: float = 900.0, step: float = 5.0
    ) -> Batch:
        """Run until the observed news satisfy ``what``; show them."""
        seen, self._carry = self._carry, Batch()
        batch, ok = await collect(self.w, self.obs, what, seen=seen, limit=limit, step=step)
        self.t.show(batch)
        if not ok:
            self.t.note(f"(nothing more after {limit:.0f} s of clock time)")
        seen.extend(batch)
        return seen

    # --- looking at the bridge's own picture ----------------------------------------------------
    async def view(self, key: str) -> IssueView | None:
        """The issue as the bridge's rules see it, read fresh from Tracker and the store."""
        return await self.w.bridge.reader.view(key)

    async def reaction(self, key: str) -> ClockReading | None:
        """R10: the reaction clock (taken into work by a person)."""
        return await self._clock(key, reaction_clock)

    async def execution(self, key: str) -> ClockReading | None:
        """R17: the execution clock (waiting for the customer excluded)."""
        return await self._clock(key, execution_clock)

    async def _clock(self, key: str, clock: ClockFunction) -> ClockReading | None:
        view = await self.view(key)
        if view is None:
            return None
        b = self.w.bridge
        return clock(view, self.w.clock.now(), b.calendar, b.settings.policy())

    async def silence(self, key: str) -> ClockReading | None:
        view = await self.view(key)
        if view is None:
            return None
        b = self.w.bridge
        return silence_clock(view, self.w.clock.now(), b.calendar, b.settings.policy())

    def deadline_of(self, key: str, field: str = "slaDeadline") -> datetime | None:
        """A precise deadline field of the issue in Tracker (``slaDeadline``: execution,
        ``reactionDeadline``: take into work)."""
        with self.w.tracker.lock:
            value = self.w.tracker.issues[key].local.get(field)
        return None if value is None else datetime.fromisoformat(str(value)).astimezone(MSK)

    def status_key(self, status: Status) -> str:
        """The Tracker key the configured workflow uses for a regulation status (R13)."""
        return self.w.bridge.settings.status_map().to_tracker[status]

    def check(self, clause: str, shown: str, ok: bool) -> bool:
        return self.t.check(clause, shown, ok)


def _digest_posted(batch: Batch) -> bool:
    return any("Сводка" in p.message.text for p in batch.posts)


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if isinstance(part, EmailMessage) else ""


def created(batch: Batch) -> str | None:
    """The key of the issue the batch shows being created."""
    return next((c.issue for c in batch.changes if c.kind == "IssueCreated"), None)
