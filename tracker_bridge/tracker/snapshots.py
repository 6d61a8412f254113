"""What the gateway hands back: frozen plain values, built inside the worker thread.

Never a client object: the client's ``Reference`` and ``PaginatedList`` do network calls when
read (STYLE.md habit 11), so everything is copied into these before the thread returns. Status,
priority, type and resolution are Tracker *keys*; users are uids (strings) with a display name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "AttachmentInfo",
    "ChangelogEntry",
    "CommentInfo",
    "FieldDiff",
    "FieldInfo",
    "IssueSnapshot",
    "LinkInfo",
    "NamedEntry",
    "QueueInfo",
    "TransitionInfo",
    "UserInfo",
    "WorkflowInfo",
]


@dataclass(frozen=True)
class UserInfo:
    """A Tracker user; ``uid`` is the string id user references carry."""

    uid: str
    login: str
    display: str = ""
    email: str = ""


@dataclass(frozen=True)
class IssueSnapshot:
    """One issue as Tracker has it now."""

    key: str
    id: str
    queue: str
    version: str
    summary: str
    status: str
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None
    description: str = ""
    priority: str | None = None
    issue_type: str | None = None
    resolution: str | None = None
    assignee: str | None = None  # uid
    assignee_display: str | None = None
    tags: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    deadline: str | None = None  # Tracker's own date field, YYYY-MM-DD
    unique: str | None = None
    email_from: str | None = None
    last_comment_updated_at: datetime | None = None
    status_start_time: datetime | None = None
    local: Mapping[str, str] = field(default_factory=dict)  # bare local field key → value

    @property
    def untouched(self) -> bool:
        """Nothing happened to it since its creation: not updated, no comment. Its changelog
        then holds only its creation and it has no comments, so a view needs neither read."""
        return self.updated_at == self.created_at and self.last_comment_updated_at is None

    @property
    def last_activity(self) -> datetime:
        """The later of ``updatedAt`` and ``lastCommentUpdatedAt``: any news on the issue."""
        last = self.last_comment_updated_at
        return self.updated_at if last is None or last < self.updated_at else last


@dataclass(frozen=True)
class AttachmentInfo:
    id: str
    name: str
    content_url: str
    mimetype: str = "application/octet-stream"
    size: int = 0


@dataclass(frozen=True)
class CommentInfo:
    """A comment; ``type`` is standard/incoming/outcoming, ``transport`` internal/email."""

    id: str
    text: str
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    type: str = "standard"
    transport: str = "internal"
    attachments: tuple[AttachmentInfo, ...] = ()


@dataclass(frozen=True)
class FieldDiff:
    """One field's change; references are reduced to their key (or id)."""

    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ChangelogEntry:
    id: str
    at: datetime
    by: str | None  # uid
    type: str
    fields: tuple[FieldDiff, ...] = ()

    def diff(self, name: str) -> FieldDiff | None:
        return next((f for f in self.fields if f.field == name), None)


@dataclass(frozen=True)
class TransitionInfo:
    id: str
    display: str
    to: str  # status key


@dataclass(frozen=True)
class LinkInfo:
    id: str
    type: str
    direction: str
    other: str  # the linked issue's key


@dataclass(frozen=True)
class NamedEntry:
    """A status, resolution, priority or issue type; ``type`` is a status's category."""

    key: str
    name: str
    type: str = ""


@dataclass(frozen=True)
class FieldInfo:
    """A global or local field; ``id`` of a local one is ``<queue hex id>--<key>``."""

    id: str
    key: str
    name: str
    type: str


@dataclass(frozen=True)
class WorkflowInfo:
    """A workflow as a graph: ``transitions`` holds (from status, transition id, to status)."""

    id: str
    name: str
    statuses: tuple[str, ...]
    transitions: tuple[tuple[str, str, str], ...]
    initial: str | None = None
    # transition id → the fields its screen makes mandatory (e.g. ``resolution``)
    required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueInfo:
    key: str
    name: str
    workflows: tuple[str, ...] = ()
