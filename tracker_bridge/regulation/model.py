"""Plain data shared by the core and every adapter.

These are the currency of tracker-bridge: the mail parser returns :class:`InboundMail`, the Tracker
adapter builds :class:`IssueView`, config builds :class:`Customer`. All frozen, all built from
plain values, none of them able to do I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tracker_bridge.regulation.statuses import Status

__all__ = [
    "FIELD_NAMES",
    "Attachment",
    "Comment",
    "Customer",
    "InboundMail",
    "IssueView",
    "PriorityChange",
    "StatusChange",
]

# The labelled lines of the R7 template, as keys of ``InboundMail.fields`` and ``IssueView.fields``.
FIELD_NAMES: tuple[str, ...] = (
    "department",
    "login",
    "card_number",
    "history_number",
    "record_name",
    "button_name",
)


@dataclass(frozen=True)
class Attachment:
    """One file that came with an email (R7: screenshots, report files)."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)
    inline: bool = False
    content_id: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class InboundMail:
    """What :func:`tracker_bridge.mail.parse.parse_message` makes of one raw email."""

    message_id: str
    sender: str
    subject: str = ""
    text: str = ""
    reply_text: str = ""
    sender_name: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    delivered_to: tuple[str, ...] = ()
    date: datetime | None = None
    # when the mail reached the mailbox (IMAP INTERNALDATE, Maildir delivery time): the
    # request's clocks start here (R10 "с момента появления"), not when the bridge read it
    received_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    is_automatic: bool = False
    automatic_reason: str | None = None
    issue_keys: tuple[str, ...] = ()
    priority_hint: str | None = None  # R9: what the mail asks for (subject, body, headers)
    reply_priority_hint: str | None = None  # R9: what this mail's own new text asks for
    fields: Mapping[str, str] = field(default_factory=dict)
    defects: tuple[str, ...] = ()
    # the receiving server's Authentication-Results verdict on the sender's domain (R15's
    # guard against a spoofed From:): True pass, False fail, None no such header
    sender_verified: bool | None = None

    def __post_init__(self) -> None:
        if self.date is not None:
            _aware("InboundMail.date", self.date)
        if self.received_at is not None:
            _aware("InboundMail.received_at", self.received_at)

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every address the mail was delivered to, for routing by intake address (R2)."""
        return (*self.delivered_to, *self.to, *self.cc)


@dataclass(frozen=True)
class Customer:
    """One clinic (R2): where its mail arrives, who may write, where its requests go."""

    name: str
    intake_addresses: frozenset[str]
    queue: str
    allowed_senders: frozenset[str] = frozenset()  # full addresses
    allowed_domains: frozenset[str] = frozenset()  # "clinic.ru" also admits "mail.clinic.ru"
    confirmers: frozenset[str] = frozenset()  # R15: who may confirm; empty = any allowed sender
    component: str | None = None
    tag: str | None = None
    telegram_chat_id: int | None = None
    departments: tuple[str, ...] = ()
    language: str = "ru"

    def admits(self, sender: str) -> bool:
        """Whether ``sender`` may file requests for this customer."""
        address = sender.strip().lower()
        if address in self.allowed_senders:
            return True
        domain = address.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self.allowed_domains)

    def may_confirm(self, sender: str) -> bool:
        """R15: only the customer's responsible people may accept a change for production."""
        if not self.confirmers:
            return self.admits(sender)
        return sender.strip().lower() in self.confirmers


@dataclass(frozen=True)
class StatusChange:
    """The issue entered ``status`` at ``at``.

    ``by_person`` is False for the bridge's own automatic moves (a customer's answer sending the
    request back to work, R8/R15/R19; the auto-close, R19): they never count as support taking
    the request into work (R10's reaction clock).
    """

    at: datetime
    status: Status
    by_person: bool = True


@dataclass(frozen=True)
class PriorityChange:
    """Priority went from ``old`` to ``new`` at ``at`` (``by_support`` unless the customer did)."""

    at: datetime
    old: str | None
    new: str
    by_support: bool = True


@dataclass(frozen=True)
class Comment:
    """A comment on the issue, as much of it as the regulation needs."""

    id: str
    at: datetime
    text: str
    by_customer: bool  # written by the bridge on behalf of the requester's email
    internal: bool = False  # support-only: never mailed to the requester (R8)


@dataclass(frozen=True)
class IssueView:
    """Everything the rules need to know about one request, read from Tracker and the store.

    ``status_history`` is chronological and starts with the status the issue was created in.
    ``done`` holds the idempotency keys of the actions the bridge already carried out for this
    issue, so evaluating the same view twice gives no new action.
    """

    key: str
    customer: str
    requester: str
    created_at: datetime
    status: Status
    priority: str
    summary: str = ""
    issue_type: str = "task"
    status_history: tuple[StatusChange, ...] = ()
    priority_history: tuple[PriorityChange, ...] = ()
    comments: tuple[Comment, ...] = ()
    last_customer_reply_at: datetime | None = None
    deadline: datetime | None = None  # the execution deadline as Tracker shows it (R17)
    reaction_deadline: datetime | None = None  # the reaction deadline as Tracker shows it (R10)
    arrived_at: datetime | None = None  # when the first mail reached the mailbox (R10 "появление")
    tags: frozenset[str] = frozenset()
    links: tuple[str, ...] = ()
    assignee: str | None = None
    resolution: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None
    tracked_since: datetime | None = None  # events before this are history, not news
    done: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _aware("IssueView.created_at", self.created_at)
        for i, change in enumerate(self.status_history):
            _aware(f"IssueView.status_history[{i}].at", change.at)
        names = ("last_customer_reply_at", "deadline", "reaction_deadline", "arrived_at")
        for name in (*names, "updated_at", "tracked_since"):
            value = getattr(self, name)
            if value is not None:
                _aware(f"IssueView.{name}", value)

    @property
    def history(self) -> tuple[StatusChange, ...]:
        """The status history, never empty (none recorded: in its status since creation)."""
        return self.status_history or (StatusChange(self.created_at, self.status),)

    @property
    def appeared_at(self) -> datetime:
        """When the request appeared (R10 "с момента появления"): the mail's arrival in the
        mailbox, not when the bridge got to it; the issue's creation if unknown."""
        if self.arrived_at is not None and self.arrived_at < self.created_at:
            return self.arrived_at
        return self.created_at

    @property
    def status_since(self) -> datetime:
        """When the issue entered its current status."""
        return self.history[-1].at


def _aware(name: str, value: datetime) -> None:
    """The core only works with aware times: a naive one is a bug upstream, said clearly."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} is a naive datetime ({value.isoformat()}); expected an aware one")
