"""The fake Tracker's whole state behind one lock, and the lookups every route needs.

Routes run on the server's threads and tests read the records from theirs, so every route takes
``state.lock`` for its whole body; the lock is re-entrant so the Python helpers on
:class:`~tracker_bridge.testing.fake_tracker.FakeTracker` can call the same operations.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from tracker_bridge.testing.fake_tracker import catalog
from tracker_bridge.testing.fake_tracker.catalog import Entry, FieldDef, StatusDef, Workflow
from tracker_bridge.testing.fake_tracker.records import (
    AttachmentRecord,
    ChangelogRecord,
    CommentRecord,
    IssueRecord,
    LinkRecord,
    QueueRecord,
    ScrollRecord,
    UserRecord,
)

if TYPE_CHECKING:
    from tracker_bridge.testing.fake_tracker.triggers import TriggerRecord

__all__ = ["ApiError", "NowClock", "Settings", "TrackerState", "entry", "tracker_time"]


class NowClock(Protocol):
    def now(self) -> datetime: ...


class ApiError(Exception):
    """An answer in Tracker's error format (docs common-format.md, error-codes.md)."""

    def __init__(
        self,
        status: int,
        *messages: str,
        errors: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status}: {'; '.join(messages)}")
        self.status = status
        self.messages = list(messages)
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {
            "errors": self.errors,
            "errorsData": {},
            "errorMessages": self.messages,
            "statusCode": self.status,
        }


def tracker_time(value: datetime) -> str:
    """``2026-11-26T09:15:00.000+0000``: UTC, milliseconds, offset without colon (common-format)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


@dataclass(slots=True)
class Settings:
    """Behaviour switches that the real API leaves open (TRACKER-API.md marks them unverified);
    :mod:`.switches` lists each with its candidates and doc page."""

    comment_bumps_updated: bool = False
    version_conflict_status: int = 412
    transition_error_status: int = 409
    query_tz: Any = UTC
    max_search_results: int = 10_000
    # whether a trigger's authContext secrets read back in clear (undocumented; triggers.py)
    trigger_secrets_readable: bool = False
    repeated_param: str = "last"  # a single-valued parameter given twice: last, first, error
    marker_rendering: str = "keep"  # HTML comments in comment text: keep, strip, show
    if_match: str = "honoured"  # the client's If-Match header: honoured or ignored
    last_comment_query: str = "supported"  # "Last comment" in queries: supported, rejected


@dataclass
class TrackerState:
    """Everything the fake knows. Mutate only under ``lock``."""

    clock: NowClock
    base_url: str = ""
    settings: Settings = field(default_factory=Settings)
    lock: threading.RLock = field(default_factory=threading.RLock)
    users: dict[str, UserRecord] = field(default_factory=dict)
    queues: dict[str, QueueRecord] = field(default_factory=dict)
    statuses: dict[str, StatusDef] = field(default_factory=dict)
    issues: dict[str, IssueRecord] = field(default_factory=dict)
    comments: dict[str, list[CommentRecord]] = field(default_factory=dict)
    changelog: dict[str, list[ChangelogRecord]] = field(default_factory=dict)
    attachments: dict[str, AttachmentRecord] = field(default_factory=dict)
    links: dict[int, LinkRecord] = field(default_factory=dict)
    uniques: dict[str, str] = field(default_factory=dict)
    scrolls: dict[str, ScrollRecord] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # every request as sent: (method, path without trailing slash, query parameter names in
    # order, repeats kept) — what the documentation audit reads
    sent: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    in_flight: int = 0  # requests being served right now
    peak_in_flight: int = 0  # the most ever served at once (how parallel the client was)
    token_user: str = ""
    # queue key → its triggers in list order (triggers.py); who hears of each changelog entry
    triggers: dict[str, list[TriggerRecord]] = field(default_factory=dict)
    listeners: list[Callable[[ChangelogRecord], None]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        for status in catalog.STATUSES:
            self.statuses[status.key] = status
        for user in catalog.DEFAULT_USERS:
            self.add_user(user.login, user.first_name, user.last_name, user.email, uid=user.uid)
        self.token_user = str(catalog.DEFAULT_USERS[0].uid)

    def now(self) -> datetime:
        return self.clock.now()

    def next_id(self) -> int:
        """A fresh number, unique across the fake (comments, links, attachments, changelog)."""
        return next(self._ids)

    # --- users -------------------------------------------------------------------------------
    def add_user(
        self, login: str, first_name: str = "", last_name: str = "", email: str = "", *, uid: int
    ) -> UserRecord:
        user = UserRecord(str(uid), login, first_name, last_name, email or f"{login}@example.org")
        self.users[user.uid] = user
        return user

    def user(self, ref: Any) -> UserRecord:
        """A user named by uid, login, ``login@`` or ``{"id"|"uid"|"login": …}``; 422 if unknown."""
        found = self.find_user(ref)
        if found is None:
            raise ApiError(422, f"Пользователь {ref!r} не найден", errors={"user": "not found"})
        return found

    def find_user(self, ref: Any) -> UserRecord | None:
        if isinstance(ref, dict):
            ref = ref.get("id") or ref.get("uid") or ref.get("login")
        text = str(ref).removesuffix("@")
        if text in self.users:
            return self.users[text]
        return next((u for u in self.users.values() if u.login == text), None)

    # --- queues and dictionaries ---------------------------------------------------------------
    def add_queue(
        self,
        key: str,
        name: str,
        workflow: Workflow,
        local_fields: tuple[FieldDef, ...],
        statuses: tuple[StatusDef, ...] = (),
    ) -> QueueRecord:
        for status in statuses:
            self.statuses.setdefault(status.key, status)
        unknown = [s for s in workflow.statuses if s not in self.statuses]
        if unknown:
            raise ValueError(f"workflow {workflow.id!r} uses unknown statuses {unknown}")
        number = len(self.queues) + 1
        queue = QueueRecord(
            id=number,
            hex_id=f"6063181a5959057890{number:06x}",
            key=key,
            name=name,
            lead=self.token_user,
            workflow=workflow,
            local_fields=local_fields,
        )
        self.queues[key] = queue
        return queue

    def queue(self, ref: Any) -> QueueRecord:
        if isinstance(ref, dict):
            ref = ref.get("key") or ref.get("id")
        for queue in self.queues.values():
            if str(ref) in (queue.key, str(queue.id), queue.hex_id):
                return queue
        raise ApiError(422, f"Очередь {ref!r} не существует", errors={"queue": "not found"})

    def issue(self, ref: str) -> IssueRecord:
        """An issue by key or id; 404 "Issue does not exist." (docs get-issue.md)."""
        if ref in self.issues:
            return self.issues[ref]
        for issue in self.issues.values():
            if issue.id == ref:
                return issue
        raise ApiError(404, "Issue does not exist.")

    def status(self, key: str) -> StatusDef:
        return self.statuses[key]


def entry(entries: tuple[Entry, ...], ref: Any, what: str) -> Entry:
    """A priority/resolution/type named by key, id or ``{"key"|"id": …}``; 422 if unknown."""
    if isinstance(ref, dict):
        ref = ref.get("key") or ref.get("id")
    for item in entries:
        if str(ref) in (item.key, str(item.id)):
            return item
    raise ApiError(422, f"Значение {ref!r} поля {what} не существует", errors={what: "not found"})
