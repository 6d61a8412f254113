"""What the fake Tracker remembers: plain records tests can assert on (``fake.issues`` etc.).

Times are aware datetimes from the injected clock; users are stored by uid (a string, as in
Tracker's references); issues are referred to by key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker_bridge.testing.fake_tracker.catalog import FieldDef, Workflow

__all__ = [
    "AttachmentRecord",
    "ChangelogRecord",
    "CommentRecord",
    "FieldChange",
    "IssueRecord",
    "LinkRecord",
    "QueueRecord",
    "ScrollRecord",
    "UserRecord",
]


@dataclass(slots=True)
class UserRecord:
    uid: str
    login: str
    first_name: str
    last_name: str
    email: str

    @property
    def display(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.login


@dataclass(slots=True)
class QueueRecord:
    id: int
    hex_id: str
    key: str
    name: str
    lead: str
    workflow: Workflow
    local_fields: tuple[FieldDef, ...]
    default_type: str = "task"
    default_priority: str = "normal"
    next_number: int = 1

    def local_field(self, name: str) -> FieldDef | None:
        """The local field named by its key or by its full id ``<hex>--<key>``."""
        bare = name.split("--", 1)[1] if name.startswith(f"{self.hex_id}--") else name
        return next((f for f in self.local_fields if f.id == bare), None)


@dataclass(slots=True)
class IssueRecord:
    """One issue. Field names follow Tracker's ids in snake_case; ``local`` holds local fields
    by their bare key (``department``), rendered as ``<queue hex>--department``."""

    key: str
    id: str
    queue: str
    summary: str
    status: str
    type: str
    priority: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    status_start_time: datetime
    version: int = 1
    description: str | None = None
    previous_status: str | None = None
    resolution: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    assignee: str | None = None
    followers: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    deadline: str | None = None
    parent: str | None = None
    unique: str | None = None
    last_comment_updated_at: datetime | None = None
    email_from: str | None = None
    email_to: list[str] = field(default_factory=list)
    email_cc: list[str] = field(default_factory=list)
    email_created_by: str | None = None
    local: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CommentRecord:
    id: int
    long_id: str
    issue: str
    text: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = 1
    type: str = "standard"
    transport: str = "internal"
    summonees: list[str] = field(default_factory=list)
    maillist_summonees: list[str] = field(default_factory=list)
    attachment_ids: list[str] = field(default_factory=list)
    markup_type: str | None = None
    email: dict[str, Any] | None = None
    deleted: bool = False


@dataclass(slots=True)
class FieldChange:
    """One field diff in a changelog entry; ``before``/``after`` are already rendered JSON."""

    field: str
    before: Any
    after: Any


@dataclass(slots=True)
class ChangelogRecord:
    id: str
    issue: str
    type: str
    updated_at: datetime
    updated_by: str
    fields: list[FieldChange] = field(default_factory=list)
    comments_added: list[int] = field(default_factory=list)
    comments_removed: list[int] = field(default_factory=list)
    attachments_added: list[str] = field(default_factory=list)
    links_added: list[int] = field(default_factory=list)


@dataclass(slots=True)
class AttachmentRecord:
    """An uploaded file; ``issue`` is None while it is a temporary upload (docs temp-attachment)."""

    id: str
    name: str
    content: bytes
    mimetype: str
    created_at: datetime
    created_by: str
    issue: str | None = None
    comment: int | None = None

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(slots=True)
class LinkRecord:
    """A link between two issues, stored once; ``source`` sees ``direction``, ``target`` the
    opposite one."""

    id: int
    type: str
    source: str
    target: str
    direction: str
    created_at: datetime
    created_by: str


@dataclass(slots=True)
class ScrollRecord:
    """A frozen scroll result: rendered issues, in order, and where the next page starts."""

    id: str
    token: str
    items: list[dict[str, Any]]
    per_scroll: int
    position: int
    expires_at: datetime
    ttl_ms: int
