"""The gateway's per-action writes, each safe to repeat (after a crash or a lost answer).

How each one avoids a duplicate when an earlier attempt may have landed (the "apply then fail"
case: Tracker made the change, the answer was lost):

- create: Tracker's ``unique``; a retry first looks the unique up (``_findByUnique``), and a
  repeated create is a 409 that the client resolves to the existing issue (TRACKER-API.md §3).
- comment: every attempt first lists the issue's comments and looks for this action's marker
  (:mod:`.markers`); only if none has it is the comment posted. The check also runs on the first
  attempt, so the effects executor can redo an action a crash left pending. A Tracker that
  strips the marker (unverified) is covered within one call: a retry also takes a comment new
  since the first post, with the same text and no marker, as the earlier post landing.
- transition: every attempt re-reads the status (with the offered transitions, one request); the
  target already reached means done. The first offered transition into the target is used. A
  done or cancelled target gets a resolution (the action's, else the configured one): a
  documented workflow refuses to close without one (docs new-transition.md).
- attach: a file whose name and size the issue already has is not uploaded again.
- a comment or upload whose send got no answer within the timeout may still be applied
  later: for :data:`LATE_WRITE_WINDOW` after it, it is only re-read, never re-sent (the
  retries, then the journal's next try, see it land); after that it is sent again.
- link: a duplicate is Tracker's 422; it counts as done once a re-read shows the link.
- set fields: plain sets without a version, idempotent, so simply re-sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import structlog

from tracker_bridge.foundation.clock import Clock, SystemClock
from tracker_bridge.regulation.actions import (
    AddComment,
    AttachFiles,
    CreateIssue,
    Link,
    SetFields,
    Transition,
)
from tracker_bridge.regulation.calendar import DEFAULT_TIMEZONE
from tracker_bridge.regulation.model import Attachment
from tracker_bridge.regulation.statuses import Status, StatusMap
from tracker_bridge.tracker import remote
from tracker_bridge.tracker.defaults import DEFAULT_RESOLUTION
from tracker_bridge.tracker.errors import (
    NoTransitionError,
    TrackerBadRequest,
    TrackerNotFound,
    TrackerUnavailable,
)
from tracker_bridge.tracker.markers import (
    MarkerKind,
    find_marker,
    marker_id,
    strip_marker,
    with_marker,
)
from tracker_bridge.tracker.snapshots import CommentInfo, IssueSnapshot
from tracker_bridge.tracker.transport import Transport

__all__ = [
    "DEFAULT_DEADLINE_ZONE",
    "DEFAULT_RESOLUTION",
    "LATE_WRITE_WINDOW",
    "TIME_FIELDS",
    "Writes",
    "deadline_values",
    "tracker_datetime",
]

T = TypeVar("T")
log = structlog.get_logger(__name__)


# The day of Tracker's `deadline` date: the support calendar's zone (``calendar.timezone``).
DEFAULT_DEADLINE_ZONE = ZoneInfo(DEFAULT_TIMEZONE)


def deadline_values(value: str | None, zone: tzinfo) -> tuple[str | None, str | None]:
    """An ISO datetime → (Tracker ``deadline``: its date in the support calendar's ``zone``, the
    precise ISO value). Tracker's ``deadline`` is a date; the regulation's clocks run on the
    calendar's time (R6), so a deadline at 01:30 there is that day's, whatever UTC says."""
    if value is None:
        return None, None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"deadline {value!r} has no UTC offset")
    return moment.astimezone(zone).date().isoformat(), moment.isoformat()


# Logical fields holding an instant: written to a `datetime` local field in Tracker's own format.
TIME_FIELDS = frozenset({"deadline", "reaction_deadline", "arrived_at"})


def tracker_datetime(value: str) -> str:
    """An ISO instant in the format a Tracker ``datetime`` field takes and shows as a date and
    time in each user's zone: ``YYYY-MM-DDThh:mm:ss.sss±hhmm`` (TRACKER-API.md §2.3, docs
    ``common-format.md``), in UTC as Tracker itself writes times."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


# How long after an unanswered send a non-idempotent write is only re-read, never re-sent: it
# covers the longest retry — the client's timeout (10 s) plus the gateway's whole retry budget
# (RetryPolicy.total_seconds, 60 s) — with room for a Tracker that queues the request.
LATE_WRITE_WINDOW = timedelta(minutes=2)

_CREATED_KEPT = 4096  # created issues whose answer waits for their first evaluation


def queue_of(key: str) -> str:
    return key.rsplit("-", 1)[0]


class Writes:
    """The gateway's writes, each over the :class:`~tracker_bridge.tracker.transport.Transport`
    it shares with the gateway's reads (one attempt in a thread; the retry loop)."""

    def __init__(
        self,
        transport: Transport,
        *,
        field_ids: Mapping[str, str],
        status_map: StatusMap,
        resolution: str = DEFAULT_RESOLUTION,
        resolutions: Mapping[Status, str] | None = None,
        clock: Clock | None = None,
        late_write_window: timedelta = LATE_WRITE_WINDOW,
        deadline_zone: tzinfo = DEFAULT_DEADLINE_ZONE,
    ) -> None:
        self._transport = transport
        self._field_ids = dict(field_ids)
        self._deadline_zone = deadline_zone
        self._status_map = status_map
        self._resolution = resolution
        self._resolutions = dict(resolutions or {})
        self._local_ids: dict[str, dict[str, str]] = {}
        self._local_types: dict[str, dict[str, str]] = {}
        self._created: dict[str, IssueSnapshot] = {}
        self._clock: Clock = clock or SystemClock()
        self.late_write_window = late_write_window
        # write id → when a send of it got no answer (it may still be applied)
        self._unanswered: dict[str, datetime] = {}
        # told each issue as a create answered it (the sync: a version it need not report)
        self.on_created: Callable[[IssueSnapshot], None] | None = None

    def resolution_for(self, status: Status) -> str | None:
        """The resolution a transition into ``status`` sends: the configured one for that
        status, else the default, for every done or cancelled (terminal) status; None for the
        others (a resolution is cleared by reopening, docs new-transition.md)."""
        if not status.is_terminal:
            return None
        return self._resolutions.get(status, self._resolution)

    # --- create -------------------------------------------------------------------------------
    async def create_issue(self, a: CreateIssue) -> str:
        """R1/R7: the issue for ``a.unique``, created at most once; returns its key."""
        body = await self._create_body(a)
        tries = 0

        async def attempt() -> str:
            nonlocal tries
            tries += 1
            if tries > 1 and (found := await self._by_unique(a.unique)) is not None:
                return self._keep_created(found)
            return self._keep_created(
                await self._transport.once(remote.create_issue, body, a.attachments)
            )

        return await self._transport.retried("create_issue", attempt)

    def _keep_created(self, issue: IssueSnapshot) -> str:
        """Keep the issue as the create answered it, for :meth:`created_snapshot`."""
        self._created[issue.key] = issue
        while len(self._created) > _CREATED_KEPT:
            self._created.pop(next(iter(self._created)))
        if self.on_created is not None:
            self.on_created(issue)
        return issue.key

    def created_snapshot(self, key: str) -> IssueSnapshot | None:
        """The issue as this gateway's create answered it (once; then forgotten): evaluating a
        new request needs no read of what the create answer already says (issue 11.10)."""
        return self._created.pop(key, None)

    async def _by_unique(self, unique: str) -> IssueSnapshot | None:
        try:
            return await self._transport.once(remote.find_by_unique, unique)
        except TrackerNotFound:
            return None

    async def _create_body(self, a: CreateIssue) -> dict[str, Any]:
        body: dict[str, Any] = {
            "queue": a.queue,
            "summary": a.summary,
            "description": a.description,
            "unique": a.unique,
        }
        optional = {
            "type": a.issue_type,
            "priority": a.priority,
            "tags": list(a.tags) or None,
            "components": [a.component] if a.component else None,
            "emailFrom": a.requester or None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        logical: dict[str, str | None] = {**a.fields}
        if a.requester and "requester" in self._field_ids:
            logical["requester"] = a.requester
        if a.deadline is not None:
            logical["deadline"] = a.deadline.isoformat()
        if a.reaction_deadline is not None:
            logical["reaction_deadline"] = a.reaction_deadline.isoformat()
        if a.arrived_at is not None:
            logical["arrived_at"] = a.arrived_at.isoformat()
        body.update(await self._fields_body(a.queue, logical))
        return body

    # --- fields -------------------------------------------------------------------------------
    async def set_fields(self, a: SetFields, key: str) -> None:
        """Write logical fields: ``deadline`` (ISO or None) to Tracker's date and the precise
        local field, ``assignee`` (a login), the rest through ``field_ids``."""
        body = await self._fields_body(queue_of(key), a.fields)
        await self._transport.read(remote.patch_issue, key, body, None)

    async def update_issue(
        self, key: str, fields: Mapping[str, Any], version: str | None = None
    ) -> IssueSnapshot:
        """Raw Tracker fields; with ``version`` a concurrent change is a TrackerConflict."""
        return await self._transport.read(remote.patch_issue, key, dict(fields), version)

    async def _fields_body(self, queue: str, logical: Mapping[str, str | None]) -> dict[str, Any]:
        """Tracker fields for logical ones. A mapped local field the queue lacks is left out
        (logged): a missing card number must not stop a request from being registered, and
        ``tracker-bridge check`` names the field to add."""
        body: dict[str, Any] = {}
        for name, given in logical.items():
            value = given
            if name == "deadline":
                body["deadline"], value = deadline_values(given, self._deadline_zone)
            if name not in self._field_ids:
                if name != "deadline":
                    body[name] = value  # a standard field: assignee, priority, summary, …
                continue
            local = await self._local_id(queue, self._field_ids[name])
            if local is None:
                log.warning("tracker.local_field_missing", queue=queue, field=name)
            else:
                body[local] = self._typed(queue, self._field_ids[name], name, value)
        return body

    def _typed(self, queue: str, key: str, name: str, value: str | None) -> str | None:
        """An instant goes to a ``datetime`` field in Tracker's format (so the UI shows a date
        and time, 12.5); to a field of another type it stays ISO 8601 with its offset, which
        the bridge reads back."""
        if value is None or name not in TIME_FIELDS:
            return value
        if self._local_types.get(queue, {}).get(key) == "datetime":
            return tracker_datetime(value)
        return datetime.fromisoformat(value).isoformat()

    async def _local_id(self, queue: str, key: str) -> str | None:
        """``<queue hex id>--<key>``, the form Tracker asks for (the client warns on bare keys);
        None if the queue has no such local field. Read once per queue."""
        if queue not in self._local_ids:
            found = await self._transport.read(remote.local_fields, queue)
            self._local_ids[queue] = {f.key: f.id for f in found}
            self._local_types[queue] = {f.key: f.type for f in found}
        return self._local_ids[queue].get(key)

    # --- comments -----------------------------------------------------------------------------
    async def add_comment(self, a: AddComment, key: str) -> str:
        """R8: the comment, with its marker, at most once; returns the comment id."""
        kind: MarkerKind = "customer" if a.on_behalf_of else "bridge"
        text = with_marker(a.text, a.source_id, kind)
        before: set[str] | None = None  # the comments there were before our first post
        write = f"comment:{key}:{a.source_id}"

        async def attempt() -> str:
            nonlocal before
            comments = await self._transport.once(remote.comments, key)
            existing = _with_marker(comments, a.source_id)
            if existing is None and before is not None:
                existing = _unmarked_copy(comments, before, text)
            if existing is not None:
                self._unanswered.pop(write, None)
                return existing.id
            if before is None:
                before = {c.id for c in comments}
            self._still_landing(write)
            posted = await self._unknown_outcome(
                write, self._transport.once(remote.post_comment, key, text, a.attachments)
            )
            return posted.id

        return await self._transport.retried("add_comment", attempt)

    # --- writes whose answer never came ---------------------------------------------------------
    async def _unknown_outcome(self, write: str, call: Awaitable[T]) -> T:
        """Send a non-idempotent write; if no answer comes in time, remember when, so the write
        is not sent again while Tracker may still apply it."""
        try:
            return await call
        except TrackerUnavailable as exc:
            # No answer within the timeout: Tracker may still be working on it. (A connection
            # dropped or refused is answered by the immediate re-read: what Tracker did before
            # closing is already visible.)
            if exc.timed_out:
                self._unanswered.setdefault(write, self._clock.now())
            raise

    def _still_landing(self, write: str) -> None:
        """Refuse to send ``write`` again within :attr:`late_write_window` of an unanswered
        send: a request Tracker took but answered too late (or not at all) can still be
        applied. The caller has just re-read and not found it; this is transient — the retry
        (or the journal's next try) re-reads again, and sends only after the window."""
        sent = self._unanswered.get(write)
        if sent is None:
            return
        wait = sent + self.late_write_window - self._clock.now()
        if wait > timedelta(0):
            raise TrackerUnavailable(
                f"{write}: an earlier send got no answer at {sent.isoformat()}; re-reading, "
                f"not re-sending, for {wait.total_seconds():.0f} s more"
            )
        del self._unanswered[write]

    async def comment_with_marker(self, key: str, source_id: str) -> CommentInfo | None:
        """The comment the bridge wrote for ``source_id``, if Tracker has it."""
        return await self._transport.retried(
            "comment_with_marker", lambda: self._marked(key, source_id)
        )

    async def _marked(self, key: str, source_id: str) -> CommentInfo | None:
        return _with_marker(await self._transport.once(remote.comments, key), source_id)

    # --- transitions --------------------------------------------------------------------------
    async def transition(self, a: Transition, key: str) -> bool:
        """Move to ``a.to`` by the workflow's transition into it; False if already there."""
        target = self._status_map.tracker_key(a.to)
        comment = with_marker(a.comment, a.event_id, "bridge") if a.comment else None
        resolution = a.resolution or self.resolution_for(a.to)
        sent = False

        async def attempt() -> bool:
            nonlocal sent
            issue, offered = await self._transport.once(remote.issue_with_transitions, key)
            if issue.status == target:
                return sent  # an earlier attempt landed, or someone else moved it
            choice = next((t for t in offered if t.to == target), None)
            if choice is None:
                raise NoTransitionError(key, issue.status, target, [t.id for t in offered])
            sent = True
            await self._transport.once(
                remote.execute_transition, key, choice.id, comment, resolution
            )
            return True

        return await self._transport.retried("transition", attempt)

    # --- links and files ----------------------------------------------------------------------
    async def link(self, a: Link, key: str) -> None:
        """R20: relate ``key`` to ``a.other``; an existing link is success."""
        try:
            await self._transport.read(remote.create_link, key, a.relationship, a.other)
        except TrackerBadRequest:
            if not any(x.other == a.other for x in await self._transport.read(remote.links, key)):
                raise

    async def attach(self, a: AttachFiles, key: str) -> None:
        """R7: upload the files the issue does not have yet (by name and size)."""
        present = {(x.name, x.size) for x in await self._transport.read(remote.attachments, key)}
        for file in a.attachments:
            if (file.filename, file.size) not in present:
                await self._upload(key, file)
                present.add((file.filename, file.size))

    async def _upload(self, key: str, file: Attachment) -> None:
        tries = 0
        write = f"attach:{key}:{file.filename}:{file.size}"

        async def attempt() -> None:
            nonlocal tries
            tries += 1
            if tries > 1 or write in self._unanswered:
                files = await self._transport.once(remote.attachments, key)
                if any((x.name, x.size) == (file.filename, file.size) for x in files):
                    self._unanswered.pop(write, None)
                    return
            self._still_landing(write)
            await self._unknown_outcome(
                write, self._transport.once(remote.upload_to_issue, key, file)
            )

        await self._transport.retried("attach", attempt)


def _with_marker(comments: list[CommentInfo], source_id: str) -> CommentInfo | None:
    wanted = marker_id(source_id)
    for comment in comments:
        found = find_marker(comment.text)
        if found is not None and found[1] == wanted:
            return comment
    return None


def _unmarked_copy(comments: list[CommentInfo], before: set[str], text: str) -> CommentInfo | None:
    """A comment that appeared since our first post with our text but no marker: ours, from
    a Tracker that strips HTML comments (unverified, TRACKER-API.md §2.3), whose answer was
    lost. Only comments new since that post count, so an earlier identical one (a customer
    writing "Спасибо" twice) is never taken for this one."""
    wanted = " ".join(strip_marker(text).split())
    for comment in comments:
        if comment.id in before or find_marker(comment.text) is not None:
            continue
        if " ".join(comment.text.split()) == wanted:
            return comment
    return None
