"""``TrackerGateway``: the bridge's async door to Yandex Tracker (the only importer of
``yandex_tracker_client``).

The sync client runs in the gateway's own worker threads (sized for the daemon's concurrency,
not the event loop's default pool, which other adapters share), one client per concurrent call
(its collections keep per-call state, ENV-NOTES.md §2), with its own retry loop off
(``retries=0``). Everything it returns is copied into :mod:`.snapshots` values inside the thread,
and every error leaves as one of :mod:`.errors`, chained ``from`` the client's.

Retries (:mod:`tracker_bridge.retry`) cover transient errors only and wait on the injected
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

import asyncio
import contextlib
import contextvars
import functools
import queue
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta, tzinfo
from types import TracebackType
from typing import Any, Self, TypeVar

import requests
from yandex_tracker_client import TrackerClient
from yandex_tracker_client import exceptions as client_errors

from tracker_bridge.clock import Clock
from tracker_bridge.regulation.statuses import Status, StatusMap
from tracker_bridge.retry import RetryPolicy, retrying
from tracker_bridge.tracker import remote, trigger_calls
from tracker_bridge.tracker.defaults import DEFAULT_FIELD_IDS, DEFAULT_RESOLUTION
from tracker_bridge.tracker.errors import (
    TrackerAuthError,
    TrackerError,
    TrackerNotFound,
    TrackerRateLimited,
    TrackerTransient,
    TrackerUnavailable,
    from_status,
)
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
from tracker_bridge.tracker.writes import DEFAULT_DEADLINE_ZONE, LATE_WRITE_WINDOW, Writes

__all__ = ["DEFAULT_FIELD_IDS", "Credential", "TrackerGateway", "translate"]

T = TypeVar("T")
# a token, or where to read it from on every attempt
Credential = str | Callable[[], str]


def translate(exc: BaseException) -> TrackerError:
    """The client's (or ``requests``') exception as ours; the caller raises it ``from exc``."""
    if isinstance(exc, client_errors.TrackerServerError) and exc.status_code is not None:
        if isinstance(exc, client_errors.InvalidJSONResponse) and exc.status_code < 400:
            return TrackerUnavailable(f"Tracker answered {exc.status_code} without JSON")
        messages = "; ".join(exc.error_messages or []) or str(exc.reason or "")
        header = exc.response.headers.get("Retry-After") if exc.response is not None else None
        return from_status(exc.status_code, messages, _seconds(header))
    if isinstance(exc, client_errors.TrackerRequestError | requests.RequestException | OSError):
        cause = getattr(exc, "original_error", exc)
        timed_out = isinstance(cause, requests.Timeout)
        return TrackerUnavailable(f"no answer from Tracker: {exc}", timed_out=timed_out)
    return TrackerError(f"Tracker client error: {exc}")  # misuse, e.g. both token kinds given


def _seconds(header: str | None) -> float | None:
    try:
        return None if header is None else max(0.0, float(header))
    except ValueError:
        return None  # an HTTP-date: not sent by Tracker as far as known; back off normally


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, TrackerTransient)


class TrackerGateway(Writes):
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
        super().__init__(
            field_ids=field_ids,
            status_map=status_map or StatusMap(),
            resolution=resolution,
            resolutions=resolutions,
            clock=clock,
            late_write_window=late_write_window,
            deadline_zone=deadline_zone,
        )
        self._kind = "token" if token is not None else "iam_token"
        self._credential: Credential = token if token is not None else iam_token  # type: ignore[assignment]
        self._options: dict[str, Any] = {
            "base_url": base_url,
            "org_id": org_id,
            "cloud_org_id": cloud_org_id,
            "timeout": timeout,
            "retries": 0,  # one retry layer only: ours (STYLE.md habit 7)
        }
        self._policy = retry or RetryPolicy()
        self._single = RetryPolicy(attempts=1, on_retry=self._policy.on_retry)
        self._sleep = clock.sleep if clock is not None else None
        self.down = False  # a call used up its retries and none has succeeded since
        # told every call's outcome (None: success), for the daemon's outage record
        self.observer = observer
        self._idle: queue.SimpleQueue[tuple[Any, str]] = queue.SimpleQueue()
        self._made: list[Any] = []
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tracker")

    # --- lifecycle ----------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every HTTP session the gateway opened, and its threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        for client in self._made:
            client._connection.session.close()
        self._made.clear()

    # --- the call machinery -------------------------------------------------------------------
    def _token(self) -> str:
        """The credential as it is now (read from its source when given as a function)."""
        source = self._credential
        try:
            value = source() if callable(source) else source
        except OSError as exc:  # a token file being replaced, or gone: wait for it
            raise TrackerAuthError(f"cannot read the Tracker token: {exc}") from exc
        return value.strip()

    def _client(self, token: str) -> Any:
        while True:
            try:
                client, made_with = self._idle.get_nowait()
            except queue.Empty:
                break
            if made_with == token:
                return client
            self._drop(client)  # made with a token that has since been replaced
        options = {k: v for k, v in self._options.items() if v is not None}
        client = TrackerClient(**options, **{self._kind: token})
        self._made.append(client)
        return client

    def _drop(self, client: Any) -> None:
        client._connection.session.close()
        with contextlib.suppress(ValueError):
            self._made.remove(client)

    def _blocking(self, fn: Callable[..., T], *args: Any) -> T:
        token = self._token()
        client = self._client(token)
        try:
            return fn(client, *args)
        except (client_errors.TrackerError, requests.RequestException, OSError) as exc:
            raise translate(exc) from exc
        finally:
            self._idle.put((client, token))

    async def _once(self, fn: Callable[..., T], *args: Any) -> T:
        """One attempt in a worker thread, no retry (the building block of reconciling writes)."""
        call = functools.partial(contextvars.copy_context().run, self._blocking, fn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    async def _retried(self, name: str, attempt: Callable[[], Awaitable[T]]) -> T:
        policy = self._single if self.down else self._policy
        try:
            result = await retrying(
                attempt,
                name=name,
                policy=policy,
                transient=_transient,
                retry_after=self._floor,
                sleep=self._sleep,
            )
        except TrackerError as exc:
            self.down = self.down or isinstance(exc, TrackerTransient)
            # an outage of Tracker itself (down, or refusing our credential), not one request's
            if self.observer is not None and isinstance(exc, TrackerTransient | TrackerAuthError):
                self.observer(exc)
            raise
        self.down = False
        if self.observer is not None:
            self.observer(None)
        return result

    def _floor(self, exc: BaseException) -> float | None:
        """The least wait before the next attempt: a 429's Retry-After; after a timeout, the
        timeout again — Tracker may still apply the lost request, and a write re-checks state
        only after giving it that long."""
        if isinstance(exc, TrackerRateLimited):
            return exc.retry_after
        if isinstance(exc, TrackerUnavailable) and exc.timed_out:
            return float(self._options["timeout"])
        return None

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        """An idempotent call, re-sent on transient errors."""
        return await self._retried(fn.__name__, lambda: self._once(fn, *args))

    # --- reads --------------------------------------------------------------------------------
    async def issue(self, key: str) -> IssueSnapshot:
        return await self._read(remote.get_issue, key)

    async def issue_with_transitions(self, key: str) -> tuple[IssueSnapshot, list[TransitionInfo]]:
        return await self._read(remote.issue_with_transitions, key)

    async def find_by_unique(self, unique: str) -> IssueSnapshot | None:
        try:
            return await self._read(remote.find_by_unique, unique)
        except TrackerNotFound:
            return None

    async def comments(self, key: str) -> list[CommentInfo]:
        return await self._read(remote.comments, key)

    async def changelog(
        self, key: str, fields: tuple[str, ...] = ("status", "priority")
    ) -> list[ChangelogEntry]:
        """Entries touching ``fields`` (status and priority history by default); () = all."""
        return await self._read(remote.changelog, key, fields)

    async def transitions(self, key: str) -> list[TransitionInfo]:
        return (await self.issue_with_transitions(key))[1]

    async def attachments(self, key: str) -> list[AttachmentInfo]:
        return await self._read(remote.attachments, key)

    async def download(self, attachment: AttachmentInfo) -> bytes:
        return await self._read(remote.download, attachment.content_url)

    async def links(self, key: str) -> list[LinkInfo]:
        return await self._read(remote.links, key)

    async def search(self, query: str, *, scroll: bool = False) -> list[IssueSnapshot]:
        """All issues a query-language ``query`` finds; ``scroll`` for sets past 10,000."""
        return await self._read(remote.search, query, scroll)

    async def search_keys(self, keys: Sequence[str]) -> list[IssueSnapshot]:
        """The named issues, fresh (for the per-cycle comment poll of tracked issues)."""
        return await self._read(remote.search_keys, list(keys))

    async def count(self, query: str) -> int:
        return await self._read(remote.count, query)

    async def myself(self) -> UserInfo:
        return await self._read(remote.myself)

    async def queue(self, key: str, *, workflows: bool = True) -> QueueInfo:
        """The queue; with ``workflows``, also the ids of its workflows (a second, v3 read)."""
        info = await self._read(remote.queue, key)
        if not workflows:
            return info
        return replace(info, workflows=await self.queue_workflows(key))

    async def queue_workflows(self, key: str) -> tuple[str, ...]:
        return await self._read(remote.queue_workflows, key)

    async def workflow(self, workflow_id: str) -> WorkflowInfo:
        return await self._read(remote.workflow, workflow_id)

    async def local_fields(self, queue_key: str) -> list[FieldInfo]:
        return await self._read(remote.local_fields, queue_key)

    async def fields(self) -> list[FieldInfo]:
        return await self._read(remote.fields)

    async def statuses(self) -> list[NamedEntry]:
        return await self._read(remote.named_list, "statuses")

    async def resolutions(self) -> list[NamedEntry]:
        return await self._read(remote.named_list, "resolutions")

    # --- triggers (``tracker-bridge check`` and ``webhook install`` only) --------------------
    async def triggers(self, queue: str) -> list[dict[str, Any]]:
        """The queue's triggers as Tracker returns them (plain JSON)."""
        return await self._read(trigger_calls.list_triggers, queue)

    async def create_trigger(self, queue: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """One attempt, never re-sent: ``webhook install`` lists again before it creates."""
        return await self._once(trigger_calls.create_trigger, queue, body)

    async def update_trigger(
        self, queue: str, trigger_id: int, version: int, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """One attempt; a stale ``version`` is refused by Tracker (409/412)."""
        return await self._once(trigger_calls.update_trigger, queue, trigger_id, version, body)

    # --- for the live probe (tracker-bridge check --live) -------------------------------------
    async def rendered_comments(self, key: str) -> list[tuple[CommentInfo, str]]:
        return await self._read(remote.rendered_comments, key)

    async def delete_comment(self, key: str, comment_id: str) -> None:
        await self._read(remote.delete_comment, key, comment_id)

    async def update_with_if_match(
        self, key: str, fields: Mapping[str, Any], version: str
    ) -> IssueSnapshot:
        """A PATCH guarded by the client's ``If-Match`` header instead of ``?version=``."""
        return await self._read(remote.patch_if_match, key, dict(fields), version)

    async def execute_transition(
        self, key: str, transition_id: str, resolution: str | None = None
    ) -> None:
        """One transition by its id (no re-read: the probe's walk between statuses)."""
        await self._once(remote.execute_transition, key, transition_id, None, resolution)
