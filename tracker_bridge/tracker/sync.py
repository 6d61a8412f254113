"""Incremental polling of Tracker: which issues changed since the last cycle.

One search per cycle over the configured queues::

    Queue: SUP, OPS AND (Updated: >= "<since>" OR "Last comment": >= "<since>")
    "Sort by": Updated ASC

with ``since`` = cursor − overlap. The cursor is the latest activity (``updatedAt`` or
``lastCommentUpdatedAt``) among the issues the search actually returned — never the wall clock —
stored through :class:`CursorStore`. The overlap re-reads the last minutes on purpose: two issues
changed in the same second, an index that lags, a query zone off by hours (TRACKER-API.md §4);
what was already seen is dropped by (key, version, last comment time). The price: until a
newer change moves the cursor, every cycle re-reads the changes of the last ``overlap`` before
it (see ``benchmarks/bench_tracker.py``).

The search is a *scroll* (a snapshot, up to 1,000 issues a request), not paged output: paged
results are recomputed per page (§2.4), so an issue edited while we page moves to the end of
the ``Updated`` order and shifts the next page by one — the issue at the boundary would be
skipped, and the cursor would move past it. A scroll context is left to expire (60 s) instead
of costing a ``_clear`` request every cycle.

New comments: whether a comment moves ``updatedAt`` is not known for the real API (§4), so the
query also matches ``"Last comment"``; this costs nothing extra. ``comments="poll"`` adds one
``keys`` search per cycle over the issues the bridge tracks (open and waiting ones, from
``tracked()``), for a Tracker that would not support the ``"Last comment"`` clause; a Tracker
that answers the clause with a 400 turns this on by itself (checked at each full resync, and
on the cycle that meets the 400).

Dates: the docs do not say which zone a zone-less literal is read in (the API itself speaks
UTC; a third-party exporter writes Moscow time, TRACKER-API.md §4). Unless ``query_zone`` is
given, the zone is learned from Tracker at the first full resync (or the first cycle that sees
an issue) with a few ``_count`` requests, so a literal means the same instant whatever zone the
organisation is in (:meth:`TrackerSync._learn_dates`).

With no cursor yet, or on :meth:`TrackerSync.request_full_resync`, a cycle reads every issue of
the queues with a scroll (no 10,000 cap, §2.4), and everything counts as changed A full read
happens once: when the queues are still empty, the moment it began (``now``) becomes the cursor,
so the next cycles are incremental instead of reading the queues in full every time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Literal, Protocol

import structlog

from tracker_bridge.regulation.model import IssueView
from tracker_bridge.store.ports import CursorStore
from tracker_bridge.tracker.errors import TrackerBadRequest, TrackerPermanent
from tracker_bridge.tracker.parse import parse_time
from tracker_bridge.tracker.snapshots import ChangelogEntry, CommentInfo, IssueSnapshot
from tracker_bridge.tracker.views import StoreFacts, ViewSettings, build_view

__all__ = [
    "CursorStore",
    "IssueSource",
    "SyncResult",
    "TrackerSync",
    "ViewSource",
    "learn_query_zone",
    "read_view",
]

log = structlog.get_logger(__name__)

CURSOR = "tracker.updated"


class IssueSource(Protocol):
    """The part of :class:`~tracker_bridge.tracker.gateway.TrackerGateway` sync uses (and
    ``count``, when it has one, to learn how Tracker reads query dates)."""

    async def search(self, query: str, *, scroll: bool = False) -> list[IssueSnapshot]: ...

    async def search_keys(self, keys: Sequence[str]) -> list[IssueSnapshot]: ...


# The zone offsets a query literal could be read in, in quarter hours (UTC−12 … UTC+14).
_QUARTER = timedelta(minutes=15)
_OFFSETS = range(-48, 57)


@dataclass(frozen=True)
class SyncResult:
    """The issues that changed, as fresh snapshots in the order Tracker sorted them."""

    changed: tuple[IssueSnapshot, ...]
    cursor: datetime | None
    full: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.changed)


def _stamp(issue: IssueSnapshot) -> tuple[str, datetime | None]:
    return issue.version, issue.last_comment_updated_at


class TrackerSync:
    """Finds changed issues, one cycle at a time; keeps the cursor in ``store``."""

    def __init__(
        self,
        tracker: IssueSource,
        store: CursorStore,
        *,
        queues: Sequence[str],
        overlap: timedelta = timedelta(minutes=5),
        query_zone: tzinfo | None = None,
        comments: Literal["query", "poll"] = "query",
        tracked: Callable[[], Iterable[str]] = tuple,
        cursor_name: str = CURSOR,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if not queues:
            raise ValueError("TrackerSync needs at least one queue")
        self._tracker, self._store = tracker, store
        self._queues = tuple(queues)
        self._overlap = overlap
        # None until learned: the zone Tracker reads query literals in (see _learn_dates)
        self._zone: tzinfo | None = query_zone
        self._explicit_zone = query_zone
        self._comments, self._tracked = comments, tracked
        self._name = cursor_name
        # key → (version and last comment time last reported, its latest activity)
        self._seen: dict[str, tuple[tuple[str, datetime | None], datetime]] = {}
        self._full_requested = False
        self._now = now

    def seen(self, issue: IssueSnapshot) -> bool:
        r"""Whether this version of ``issue`` was already reported (or :meth:`note`\ d)."""
        return self._seen.get(issue.key, (None,))[0] == _stamp(issue)

    def note(self, issue: IssueSnapshot) -> None:
        """``issue`` at this version was handled elsewhere (a webhook's read): a cycle that finds
        it unchanged since does not report it again. An older snapshot than the one already
        recorded changes nothing."""
        known = self._seen.get(issue.key)
        if known is None or known[1] <= issue.last_activity:
            self._seen[issue.key] = (_stamp(issue), issue.last_activity)

    def request_full_resync(self) -> None:
        """The next cycle reads every issue again and reports them all."""
        self._full_requested = True

    @property
    def cursor(self) -> datetime | None:
        text = self._store.get_cursor(self._name)
        return parse_time(text) if text else None

    async def cycle(self) -> SyncResult:
        """One polling cycle: the issues changed since the cursor (everything the first time)."""
        cursor = self.cursor
        if cursor is None or self._full_requested:
            return await self.full_resync()
        since = cursor - self._overlap
        found = await self._incremental(since)
        if self._zone is None and found:
            self._zone = await self._learn_dates(found[-1])
            if self._zone.utcoffset(None) != timedelta(0):
                found = await self._incremental(since)  # again, in the zone Tracker reads
        if self._comments == "poll":
            found += await self._polled(since)
        changed = self._fresh(found)
        self._advance(cursor, found)
        self._forget_before(since)
        log.debug("tracker.sync.cycle", found=len(found), changed=len(changed))
        return SyncResult(tuple(changed), self.cursor)

    async def full_resync(self) -> SyncResult:
        """Read every issue of the queues (scroll) and report each one as changed."""
        began = self._now() if self._now is not None else None
        found = await self._tracker.search(self._queue_query(), scroll=True)
        if found:
            await self._learn(found[-1])
        self._full_requested = False
        self._seen = {i.key: (_stamp(i), i.last_activity) for i in found}
        self._advance(None, found)
        if not found and began is not None and self.cursor is None:
            # Empty queues leave no activity to take the cursor from: without one every cycle
            # would read the queues in full again. Our clock at the start of this read serves
            # instead — the overlap covers a skew between our clock and Tracker's of minutes.
            self._store.set_cursor(self._name, began.isoformat())
        log.info("tracker.sync.full", issues=len(found))
        return SyncResult(tuple(found), self.cursor, full=True)

    # --- how Tracker reads the query ----------------------------------------------------------
    async def _incremental(self, since: datetime) -> list[IssueSnapshot]:
        """The cycle's search; a Tracker that refuses ``"Last comment"`` (400) turns on polling
        of the tracked issues instead, for good (logged once)."""
        try:
            return await self._tracker.search(self._incremental_query(since), scroll=True)
        except TrackerBadRequest:
            if self._comments == "poll":
                raise
            self._comments = "poll"
            log.warning("tracker.sync.last_comment_refused", fallback="poll tracked issues")
            return await self._tracker.search(self._incremental_query(since), scroll=True)

    async def _learn(self, sample: IssueSnapshot) -> None:
        """At a full resync: the literal zone (unless configured), and whether Tracker takes
        ``"Last comment"`` in a query (one ``_count``; a 400 turns on polling instead)."""
        if self._explicit_zone is None:
            self._zone = await self._learn_dates(sample)
        count = getattr(self._tracker, "count", None)
        if self._comments == "query" and count is not None:
            clause = f'Key: {sample.key} "Last comment": >= {self._literal(sample.created_at)}'
            try:
                await count(clause)
            except TrackerBadRequest:
                self._comments = "poll"
                log.warning("tracker.sync.last_comment_refused", fallback="poll tracked issues")
            except TrackerPermanent:
                pass  # no answer either way (no _count?): the cycle's own query will tell

    async def _learn_dates(self, sample: IssueSnapshot) -> tzinfo:
        """The literal zone (:func:`learn_query_zone`); UTC — what the API speaks everywhere
        else — from a source without ``count`` or one that refuses the counting queries."""
        count = getattr(self._tracker, "count", None)
        if count is None:
            return UTC
        try:
            return await learn_query_zone(count, sample)
        except TrackerPermanent as exc:
            log.warning("tracker.sync.query_zone_unknown", error=str(exc), assumed="UTC")
            return UTC

    @property
    def query_zone(self) -> tzinfo | None:
        """The zone query literals are written in (None until learned)."""
        return self._zone

    # --- helpers ------------------------------------------------------------------------------
    def _literal(self, moment: datetime) -> str:
        return moment.astimezone(self._zone or UTC).strftime('"%Y-%m-%d %H:%M:%S"')

    def _queue_query(self) -> str:
        return f'Queue: {", ".join(self._queues)} "Sort by": Updated ASC'

    def _incremental_query(self, since: datetime) -> str:
        at = self._literal(since)
        queues = ", ".join(self._queues)
        if self._comments == "poll":
            return f'Queue: {queues} AND Updated: >= {at} "Sort by": Updated ASC'
        return (
            f"Queue: {queues} "
            f'AND (Updated: >= {at} OR "Last comment": >= {at}) "Sort by": Updated ASC'
        )

    async def _polled(self, since: datetime) -> list[IssueSnapshot]:
        """Tracked issues with a comment since ``since`` (one ``keys`` search, not per issue)."""
        keys = sorted(set(self._tracked()))
        if not keys:
            return []
        issues = await self._tracker.search_keys(keys)
        return [
            i
            for i in issues
            if i.last_comment_updated_at is not None and i.last_comment_updated_at >= since
        ]

    def _fresh(self, found: list[IssueSnapshot]) -> list[IssueSnapshot]:
        """Drop what this process already reported at the same version and comment time."""
        changed = []
        for issue in found:
            stamp = _stamp(issue)
            if self._seen.get(issue.key, (None,))[0] != stamp:
                changed.append(issue)
            self._seen[issue.key] = (stamp, issue.last_activity)
        return changed

    def _advance(self, cursor: datetime | None, found: list[IssueSnapshot]) -> None:
        latest = max((i.last_activity for i in found), default=None)
        if latest is not None and (cursor is None or latest > cursor):
            self._store.set_cursor(self._name, latest.isoformat())

    def _forget_before(self, since: datetime) -> None:
        """An issue last active before the overlap window cannot come back through it: any new
        activity makes it a change anyway, so its stamp is no longer needed."""
        stale = [key for key, (_, active) in self._seen.items() if active < since]
        for key in stale:
            del self._seen[key]


async def learn_query_zone(count: Callable[[str], Awaitable[int]], sample: IssueSnapshot) -> tzinfo:
    """The zone Tracker reads a zone-less query literal in (docs user/query-filter.md do not
    say; TRACKER-API.md §4 "time zone trap"), learned from an issue whose ``createdAt`` is
    known: ``Key: K Created: >= "<T + d>"`` finds it exactly when the literal's zone is at least
    ``d`` ahead of UTC, so a binary search over the offsets the world uses (15-minute steps,
    −12 h … +14 h) takes about seven ``_count`` requests. If Tracker answers oddly, UTC — what
    the API uses everywhere else.

    ``Created`` (a documented query parameter, TRACKER-API.md §5), not ``Updated``: the search
    assumes the instant stands still while it counts, and an issue's update time does not — the
    bridge's own card tag right after a clock jump, or a person's edit, between two counts read
    as a zone that much ahead, and every change of that span was then missed."""
    base = sample.created_at.astimezone(UTC).replace(microsecond=0)

    async def ahead_by_at_least(quarters: int) -> bool:
        literal = (base + quarters * _QUARTER).strftime('"%Y-%m-%d %H:%M:%S"')
        return int(await count(f"Key: {sample.key} Created: >= {literal}")) > 0

    low, high = _OFFSETS[0], _OFFSETS[-1]
    if not await ahead_by_at_least(low):
        log.warning("tracker.sync.query_zone_unknown", issue=sample.key, assumed="UTC")
        return UTC
    while low < high:
        middle = (low + high + 1) // 2
        if await ahead_by_at_least(middle):
            low = middle
        else:
            high = middle - 1
    zone = UTC if low == 0 else timezone(low * _QUARTER)
    log.info("tracker.sync.query_zone", zone=str(zone), issue=sample.key)
    return zone


class ViewSource(Protocol):
    async def changelog(self, key: str) -> list[ChangelogEntry]: ...

    async def comments(self, key: str) -> list[CommentInfo]: ...


async def read_view(
    tracker: ViewSource, issue: IssueSnapshot, facts: StoreFacts, settings: ViewSettings
) -> IssueView:
    """The full view of a changed issue: its changelog, then its comments (two requests; the
    snapshot comes from the sync search).

    In this order, never concurrently: a transition made between the two reads is then seen
    whole or as its comment alone (which the rules hold briefly), never as a status change
    without its comment — that would send "info requested" without the question, for good.
    """
    changelog = await tracker.changelog(issue.key)
    comments = await tracker.comments(issue.key)
    return build_view(issue, changelog, comments, facts, settings)
