"""``TrackerGateway``: the bridge's async door to Yandex Tracker. It holds a
:class:`~.transport.Transport` (the only importer of ``yandex_tracker_client``) as a
collaborator, and its writes (:mod:`.writes`) hold the same one.

The sync client runs in the transport's own worker threads (sized for the daemon's concurrency,
not the event loop's default pool, which other adapters share), one client per concurrent call
(its collections keep per-call state, ENV-NOTES.md §2), with its own retry loop off
(``retries=0``). Everything it returns is copied into :mod:`.snapshots` values inside the thread,
and every error leaves as one of :mod:`.errors`, chained ``from`` the client's.

Retries (:mod:`tracker_bridge.foundation.retry`) cover transient errors only and wait on the
injected
clock. Reads are simply re-sent; writes that are not idempotent are never re-sent blindly — each
attempt first re-reads the state that shows whether an earlier attempt already landed
(:mod:`.writes`). Once a call has used up its retries Tracker is taken for down, and until a call
succeeds again each call makes one attempt: the daemon's own schedule does the waiting, so an
outage costs one request per scheduled retry instead of a burst per piece of work.

The token may be given as a function: it is called before every attempt, so a token file that a
timer refreshes (an IAM token lives at most 12 hours) or a rotated OAuth token is picked up
without a restart; clients made with an older token are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta, tzinfo
from types import TracebackType
from typing import Any, Self

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.regulation import actions
from tracker_bridge.regulation.statuses import Status, StatusMap
from tracker_bridge.tracker import remote, trigger_calls
from tracker_bridge.tracker.defaults import DEFAULT_FIELD_IDS, DEFAULT_RESOLUTION
from tracker_bridge.tracker.errors import TrackerNotFound
from tracker_bridge.tracker.snapshots import (
    AttachmentInfo,
    ChangelogEntry,
    CommentInfo,
    FieldInfo,
    IssueSnapshot,
    LinkInfo,
    NamedEntry,
    QueueInfo,
    TransitionInfo,
    UserInfo,
    WorkflowInfo,
)
from tracker_bridge.tracker.transport import Credential, Transport, translate
from tracker_bridge.tracker.writes import DEFAULT_DEADLINE_ZONE, LATE_WRITE_WINDOW, Writes

__all__ = ["DEFAULT_FIELD_IDS", "Credential", "TrackerGateway", "translate"]


class TrackerGateway:
    """Async Tracker operations returning plain values. Close it (or use ``async with``)."""

    def __init__(
        self,
        *,
        base_url: str,
        token: Credential | None = None,
        iam_token: Credential | None = None,
        org_id: str | None = None,
        cloud_org_id: str | None = None,
        field_ids: Mapping[str, str] = DEFAULT_FIELD_IDS,
        status_map: StatusMap | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        workers: int = 16,
        clock: Clock | None = None,
        resolution: str = DEFAULT_RESOLUTION,
        resolutions: Mapping[Status, str] | None = None,
        late_write_window: timedelta = LATE_WRITE_WINDOW,
        deadline_zone: tzinfo = DEFAULT_DEADLINE_ZONE,
        observer: Callable[[BaseException | None], None] | None = None,
    ) -> None:
        if (token is None) == (iam_token is None):
            raise ValueError("give exactly one of token (OAuth) and iam_token")
        if (org_id is None) == (cloud_org_id is None):
            raise ValueError("give exactly one of org_id (Yandex 360) and cloud_org_id (Cloud)")
        credential = token if token is not None else iam_token
        assert credential is not None  # exactly one of the two, checked above
        self._transport = Transport(
            base_url=base_url,
            credential=credential,
            kind="token" if token is not None else "iam_token",
            org_id=org_id,
            cloud_org_id=cloud_org_id,
            retry=retry,
            timeout=timeout,
            workers=workers,
            clock=clock,
            observer=observer,
        )
        self._writes = Writes(
            self._transport,
            field_ids=field_ids,
            status_map=status_map or StatusMap(),
            resolution=resolution,
            resolutions=resolutions,
            clock=clock,
            late_write_window=late_write_window,
            deadline_zone=deadline_zone,
        )

    # --- lifecycle ----------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every HTTP session the gateway opened, and its threads."""
        await self._transport.aclose()

    # --- the transport's state ----------------------------------------------------------------
    @property
    def down(self) -> bool:
        """A call used up its retries and none has succeeded since."""
        return self._transport.down

    @property
    def observer(self) -> Callable[[BaseException | None], None] | None:
        """Told every call's outcome (``None``: success), for the daemon's outage record."""
        return self._transport.observer

    @observer.setter
    def observer(self, value: Callable[[BaseException | None], None] | None) -> None:
        self._transport.observer = value

    @property
    def on_created(self) -> Callable[[IssueSnapshot], None] | None:
        """Told each issue as its create answered it (the daemon's sync: that version is the
        bridge's own, evaluated from the answer, and no change to report)."""
        return self._writes.on_created

    @on_created.setter
    def on_created(self, value: Callable[[IssueSnapshot], None] | None) -> None:
        self._writes.on_created = value

    # --- reads --------------------------------------------------------------------------------
    async def issue(self, key: str) -> IssueSnapshot:
        return await self._transport.read(remote.get_issue, key)

    async def issue_with_transitions(self, key: str) -> tuple[IssueSnapshot, list[TransitionInfo]]:
        return await self._transport.read(remote.issue_with_transitions, key)

    async def find_by_unique(self, unique: str) -> IssueSnapshot | None:
        try:
            return await self._transport.read(remote.find_by_unique, unique)
        except TrackerNotFound:
            return None

    async def comments(self, key: str) -> list[CommentInfo]:
        return await self._transport.read(remote.comments, key)

    async def changelog(
        self, key: str, fields: tuple[str, ...] = ("status", "priority")
    ) -> list[ChangelogEntry]:
        """Entries touching ``fields`` (status and priority history by default); () = all."""
        return await self._transport.read(remote.changelog, key, fields)

    async def transitions(self, key: str) -> list[TransitionInfo]:
        return (await self.issue_with_transitions(key))[1]

    async def attachments(self, key: str) -> list[AttachmentInfo]:
        return await self._transport.read(remote.attachments, key)

    async def download(self, attachment: AttachmentInfo) -> bytes:
        return await self._transport.read(remote.download, attachment.content_url)

    async def links(self, key: str) -> list[LinkInfo]:
        return await self._transport.read(remote.links, key)

    async def search(self, query: str, *, scroll: bool = False) -> list[IssueSnapshot]:
        """All issues a query-language ``query`` finds; ``scroll`` for sets past 10,000."""
        return await self._transport.read(remote.search, query, scroll)

    async def search_keys(self, keys: Sequence[str]) -> list[IssueSnapshot]:
        """The named issues, fresh (for the per-cycle comment poll of tracked issues)."""
        return await self._transport.read(remote.search_keys, list(keys))

    async def count(self, query: str) -> int:
        return await self._transport.read(remote.count, query)

    async def myself(self) -> UserInfo:
        return await self._transport.read(remote.myself)

    async def queue(self, key: str, *, workflows: bool = True) -> QueueInfo:
        """The queue; with ``workflows``, also the ids of its workflows (a second, v3 read)."""
        info = await self._transport.read(remote.queue, key)
        if not workflows:
            return info
        return replace(info, workflows=await self.queue_workflows(key))

    async def queue_workflows(self, key: str) -> tuple[str, ...]:
        return await self._transport.read(remote.queue_workflows, key)

    async def workflow(self, workflow_id: str) -> WorkflowInfo:
        return await self._transport.read(remote.workflow, workflow_id)

    async def local_fields(self, queue_key: str) -> list[FieldInfo]:
        return await self._transport.read(remote.local_fields, queue_key)

    async def fields(self) -> list[FieldInfo]:
        return await self._transport.read(remote.fields)

    async def statuses(self) -> list[NamedEntry]:
        return await self._transport.read(remote.named_list, "statuses")

    async def resolutions(self) -> list[NamedEntry]:
        return await self._transport.read(remote.named_list, "resolutions")

    # --- triggers (``tracker-bridge check`` and ``webhook install`` only) --------------------
    async def triggers(self, queue: str) -> list[dict[str, Any]]:
        """The queue's triggers as Tracker returns them (plain JSON)."""
        return await self._transport.read(trigger_calls.list_triggers, queue)

    async def create_trigger(self, queue: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """One attempt, never re-sent: ``webhook install`` lists again before it creates."""
        return await self._transport.once(trigger_calls.create_trigger, queue, body)

    async def update_trigger(
        self, queue: str, trigger_id: int, version: int, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """One attempt; a stale ``version`` is refused by Tracker (409/412)."""
        return await self._transport.once(
            trigger_calls.update_trigger, queue, trigger_id, version, body
        )

    # --- for the live probe (tracker-bridge check --live) -------------------------------------
    async def rendered_comments(self, key: str) -> list[tuple[CommentInfo, str]]:
        return await self._transport.read(remote.rendered_comments, key)

    async def delete_comment(self, key: str, comment_id: str) -> None:
        await self._transport.read(remote.delete_comment, key, comment_id)

    async def update_with_if_match(
        self, key: str, fields: Mapping[str, Any], version: str
    ) -> IssueSnapshot:
        """A PATCH guarded by the client's ``If-Match`` header instead of ``?version=``."""
        return await self._transport.read(remote.patch_if_match, key, dict(fields), version)

    async def execute_transition(
        self, key: str, transition_id: str, resolution: str | None = None
    ) -> None:
        """One transition by its id (no re-read: the probe's walk between statuses)."""
        await self._transport.once(remote.execute_transition, key, transition_id, None, resolution)

    # --- writes (:mod:`.writes`: each re-reads before it re-sends) ----------------------------
    def resolution_for(self, status: Status) -> str | None:
        return self._writes.resolution_for(status)

    async def create_issue(self, a: actions.CreateIssue) -> str:
        return await self._writes.create_issue(a)

    def created_snapshot(self, key: str) -> IssueSnapshot | None:
        return self._writes.created_snapshot(key)

    async def set_fields(self, a: actions.SetFields, key: str) -> None:
        await self._writes.set_fields(a, key)

    async def update_issue(
        self, key: str, fields: Mapping[str, Any], version: str | None = None
    ) -> IssueSnapshot:
        return await self._writes.update_issue(key, fields, version)

    async def add_comment(self, a: actions.AddComment, key: str) -> str:
        return await self._writes.add_comment(a, key)

    async def comment_with_marker(self, key: str, source_id: str) -> CommentInfo | None:
        return await self._writes.comment_with_marker(key, source_id)

    async def transition(self, a: actions.Transition, key: str) -> bool:
        return await self._writes.transition(a, key)

    async def link(self, a: actions.Link, key: str) -> None:
        await self._writes.link(a, key)

    async def attach(self, a: actions.AttachFiles, key: str) -> None:
        await self._writes.attach(a, key)
