"""Reading one issue as the core sees it: Tracker's state plus what the bridge remembers.

The Tracker adapter gives the snapshot, changelog and comments; the store gives the customer and
requester (for issues the bridge made), when the bridge started watching (older events are
history, not news), and the journal's done keys. An issue the bridge meets for the first time —
one support filed by hand, or one a customer quotes — is tracked from now on, its customer found
by its queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import timedelta

import structlog

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.regulation.model import Customer, IssueView
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.store.ports import IssueFactsStore
from tracker_bridge.store.records import TrackedIssue
from tracker_bridge.tracker.defaults import DEFAULT_FIELD_IDS
from tracker_bridge.tracker.errors import TrackerNotFound
from tracker_bridge.tracker.gateway import TrackerGateway
from tracker_bridge.tracker.read_cache import ReadCache
from tracker_bridge.tracker.snapshots import ChangelogEntry, IssueSnapshot
from tracker_bridge.tracker.views import StoreFacts, ViewSettings, build_view

__all__ = ["TrackerIssueReader", "customer_of"]

log = structlog.get_logger(__name__)


class TrackerIssueReader:
    """Implements :class:`tracker_bridge.service.intake.IssueReader` over the gateway and the
    store."""

    def __init__(
        self,
        gateway: TrackerGateway,
        store: IssueFactsStore,
        clock: Clock,
        customers: Sequence[Customer],
        settings: ViewSettings,
    ) -> None:
        self._gateway, self._store, self._clock = gateway, store, clock
        self._customers = tuple(customers)
        self._settings = settings
        # Who the bridge's robot is (its own priority changes are not support's) is asked of
        # Tracker on first use, not at start: a start during an outage must still come up.
        self._robot_known = settings.robot_uid is not None
        self._primed: dict[str, IssueSnapshot] = {}
        self._cache = ReadCache()

    def prime(self, snapshots: Iterable[IssueSnapshot]) -> None:
        """Use these fresh snapshots (from the sync search) instead of reading them again."""
        for snapshot in snapshots:
            self._primed[snapshot.key] = snapshot

    async def view(self, key: str) -> IssueView | None:
        if not self._robot_known:
            robot = await self._gateway.myself()
            self._settings = replace(self._settings, robot_uid=robot.uid)
            self._robot_known = True
        created = self._gateway.created_snapshot(key)
        snapshot = self._primed.pop(key, None) or created
        if snapshot is None:
            try:
                snapshot = await self._gateway.issue(key)
            except TrackerNotFound:
                log.warning("issue.not_found", issue=key)
                return None
        tracked = self._tracked(snapshot)
        if tracked is None:
            return None
        facts = _facts(tracked, self._store)
        if snapshot is created and snapshot.untouched:
            # the create's own answer: its history is its creation, it has no comment, so the
            # view needs neither read (issue 11.10: one Tracker request per new email)
            self._cache.store(snapshot, [], [])
            view = build_view(snapshot, [], [], facts, self._settings)
        else:
            view = await self._read_view(snapshot, facts)
        if tracked.finished is not None and not view.status.is_terminal:
            self._store.finish(key, None)  # reopened: watched at start-up and polled again
        return view

    async def _read_view(self, snapshot: IssueSnapshot, facts: StoreFacts) -> IssueView:
        """:func:`~tracker_bridge.tracker.sync.read_view`, reading only what the snapshot shows
        has changed since the last read (:mod:`~tracker_bridge.tracker.read_cache`). Its order
        still holds: when the changelog read now shows a change after the snapshot (a transition
        made meanwhile), the comments are read afresh too, so a status change is never seen
        without the comment that came with it."""
        key = snapshot.key
        changelog = self._cache.changelog(snapshot)
        if changelog is None:
            changelog = await self._gateway.changelog(key)
        comments = self._cache.comments(snapshot)
        if comments is None or _moved_on(changelog, snapshot):
            comments = await self._gateway.comments(key)
        self._cache.store(snapshot, changelog, comments)
        return build_view(snapshot, changelog, comments, facts, self._settings)

    def finish(self, key: str, status: Status) -> None:
        """Nothing more is owed for ``key``, which ended in ``status``: start-up skips it."""
        self._store.finish(key, status.value)
        self._cache.drop(key)

    def _tracked(self, snapshot: IssueSnapshot) -> TrackedIssue | None:
        tracked = self._store.tracked(snapshot.key)
        if tracked is None:
            customer = customer_of(snapshot, self._customers)
            if customer is None:
                return None  # not a queue the bridge serves
            requester = snapshot.local.get(self._requester_field, "") or snapshot.email_from or ""
            # One the bridge made itself was watched from its creation (a crash came between the
            # create and the intake's commit): what happened since is news, not history.
            ours = (
                snapshot.created_by is not None and snapshot.created_by == self._settings.robot_uid
            )
            since = snapshot.created_at if ours else self._clock.now()
            self._store.track(snapshot.key, customer.name, requester, since)
            tracked = self._store.tracked(snapshot.key)
            assert tracked is not None
        return tracked

    @property
    def _requester_field(self) -> str:
        return self._settings.field_ids.get("requester", DEFAULT_FIELD_IDS["requester"])


# Tracker stamps an edit and its changelog entry separately (milliseconds apart): a later entry
# within this is the snapshot's own change, not one made after it
_STAMP_SLACK = timedelta(seconds=1)


def _moved_on(changelog: Sequence[ChangelogEntry], snapshot: IssueSnapshot) -> bool:
    """Whether the changelog shows a change made after the snapshot was taken: its latest
    status is not the snapshot's, or an entry is clearly later than the snapshot's activity."""
    statuses = [d.after for e in changelog if (d := e.diff("status")) is not None]
    if statuses and statuses[-1] != snapshot.status:
        return True
    return any(entry.at > snapshot.last_activity + _STAMP_SLACK for entry in changelog)


def _facts(tracked: TrackedIssue, store: IssueFactsStore) -> StoreFacts:
    return StoreFacts(
        customer=tracked.customer,
        requester=tracked.requester,
        tracked_since=tracked.since,
        done=store.done_keys(tracked.issue_key),
        own_comments=store.own_comments(tracked.issue_key),
    )


def customer_of(snapshot: IssueSnapshot, customers: Sequence[Customer]) -> Customer | None:
    """The customer an issue belongs to: by queue, narrowed by component or tag in a shared one."""
    candidates = [c for c in customers if c.queue == snapshot.queue]
    narrowed = [
        c
        for c in candidates
        if (c.component and c.component in snapshot.components)
        or (c.tag and c.tag in snapshot.tags)
    ]
    found = narrowed or candidates
    return found[0] if found else None
