"""Everything tracker-bridge can do, as plain data.

The core returns these; ``effects.py`` carries them out through the adapters, once each. Every
action has an idempotency ``key``: the journal records it before the side effect and marks it done
after, and the rules skip actions whose key an :class:`~tracker_bridge.regulation.model.IssueView`
already lists as done. Keys are built only from stable facts (message ids, event timestamps,
issue keys), never from the time of evaluation, so the same input always yields the same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from tracker_bridge.regulation.model import Attachment
from tracker_bridge.regulation.statuses import Status

__all__ = [
    "Action",
    "AddComment",
    "AlertKind",
    "AttachFiles",
    "CreateIssue",
    "Ignore",
    "IssueRef",
    "Link",
    "NewIssue",
    "Notify",
    "Quarantine",
    "SetFields",
    "TelegramAlert",
    "TelegramCard",
    "Transition",
    "issue_key_of",
    "unique_for",
]


@dataclass(frozen=True)
class NewIssue:
    """The issue a :class:`CreateIssue` in the same batch will create, before it has a key."""

    unique: str

    def __str__(self) -> str:
        return f"new:{self.unique}"


IssueRef = str | NewIssue


def issue_key_of(ref: IssueRef) -> str:
    """A stable text form of an issue reference, for idempotency keys."""
    return str(ref)


def unique_for(customer: str, message_id: str) -> str:
    """Tracker's ``unique`` for the issue created from a message: a retry can never duplicate it."""
    digest = hashlib.sha256(f"{customer}\n{message_id}".encode()).hexdigest()[:32]
    return f"tb-{digest}"


@dataclass(frozen=True)
class CreateIssue:
    """R1/R7: register a request in the customer's queue."""

    unique: str
    customer: str
    queue: str
    summary: str
    description: str
    requester: str
    source_message_id: str
    priority: str | None = None
    issue_type: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    component: str | None = None
    tags: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    deadline: datetime | None = None  # execution (R17)
    reaction_deadline: datetime | None = None  # take into work by (R10, high priorities)
    arrived_at: datetime | None = None  # when the mail reached the mailbox (R10 "появление")

    @property
    def ref(self) -> NewIssue:
        return NewIssue(self.unique)

    @property
    def key(self) -> str:
        return f"create:{self.unique}"


@dataclass(frozen=True)
class AddComment:
    """Add a comment; ``source_id`` (a Message-ID or event id) makes it findable on recovery."""

    issue: IssueRef
    text: str
    source_id: str
    on_behalf_of: str | None = None  # the requester whose email this is
    attachments: tuple[Attachment, ...] = ()

    @property
    def key(self) -> str:
        return f"comment:{issue_key_of(self.issue)}:{self.source_id}"


@dataclass(frozen=True)
class Transition:
    """Move the issue to ``to``; ``event_id`` names what caused it, so it happens once."""

    issue: IssueRef
    to: Status
    event_id: str
    comment: str | None = None
    resolution: str | None = None

    @property
    def key(self) -> str:
        return f"transition:{issue_key_of(self.issue)}:{self.to.value}:{self.event_id}"


@dataclass(frozen=True)
class SetFields:
    """Write fields (``None`` clears one), e.g. the deadline of R10/R17."""

    issue: IssueRef
    fields: Mapping[str, str | None]
    event: str = ""  # what caused the write, so A → B → A again is a new write, not a repeat

    @property
    def key(self) -> str:
        body = ",".join(f"{k}={v}" for k, v in sorted(self.fields.items()))
        suffix = f":{self.event}" if self.event else ""
        return f"fields:{issue_key_of(self.issue)}:{body}{suffix}"


@dataclass(frozen=True)
class Link:
    """R20: relate a new request to the old one it quotes."""

    issue: IssueRef
    other: str
    relationship: str = "relates"

    @property
    def key(self) -> str:
        return f"link:{issue_key_of(self.issue)}:{self.relationship}:{self.other}"


@dataclass(frozen=True)
class AttachFiles:
    """R7: upload the files that came with an email."""

    issue: IssueRef
    attachments: tuple[Attachment, ...]
    source_id: str

    @property
    def key(self) -> str:
        return f"attach:{issue_key_of(self.issue)}:{self.source_id}"


@dataclass(frozen=True)
class Notify:
    """R12: one email to the requester about one event, rendered from ``template``."""

    template: str
    to: str
    issue: IssueRef | None
    event: str
    context: Mapping[str, str] = field(default_factory=dict)
    in_reply_to: str | None = None

    @property
    def key(self) -> str:
        target = issue_key_of(self.issue) if self.issue is not None else self.to
        return f"notify:{target}:{self.event}"


@dataclass(frozen=True)
class TelegramCard:
    """R5: bring the request's live card up to date; ``fingerprint`` is what the card shows."""

    issue: str
    customer: str
    fingerprint: str
    final: bool = False

    @property
    def key(self) -> str:
        return f"card:{self.issue}:{self.fingerprint}"


AlertKind = Literal[
    "warning",
    "breach",
    "ready_for_production",
    "unclear_reply",
    "confirmation_refused",
    "correction",
    "priority_dispute",
    "late_answer",
    "loop_cap",
]


@dataclass(frozen=True)
class TelegramAlert:
    """A reply to the card: pre-breach warning, breach, confirmation (R15), unclear reply; or,
    with no ``issue``, a message about a customer's mail as a whole (a loop cap hit)."""

    issue: str
    customer: str
    kind: AlertKind
    event: str
    text: str = ""

    @property
    def key(self) -> str:
        return f"alert:{self.issue}:{self.kind}:{self.event}"


@dataclass(frozen=True)
class Quarantine:
    """Keep a message aside, unanswered, for a person to look at (unknown sender, no customer)."""

    message_id: str
    reason: str

    @property
    def key(self) -> str:
        return f"quarantine:{self.message_id}"


@dataclass(frozen=True)
class Ignore:
    """Do nothing with a message, on purpose, and say why (automatic mail, rate limits)."""

    message_id: str
    reason: str

    @property
    def key(self) -> str:
        return f"ignore:{self.message_id}"


Action = (
    CreateIssue
    | AddComment
    | Transition
    | SetFields
    | Link
    | AttachFiles
    | Notify
    | TelegramCard
    | TelegramAlert
    | Quarantine
    | Ignore
)
