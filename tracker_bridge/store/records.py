"""What the store hands back (frozen dataclasses, never rows) and the value rules both stores share.

Every datetime the store accepts must be timezone-aware (a naive one is a ``ValueError``: the
store cannot guess its zone); it is kept as ISO-8601 UTC text and comes back as an aware UTC
datetime equal to the one passed in. The store never reads the clock: callers pass ``at=``.
E-mail addresses used as keys (answer counters, bounces) are compared case-insensitively.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from tracker_bridge.foundation.failures import NeedsOperator, Transient

__all__ = [
    "CardRecord",
    "JournalEntry",
    "JournalState",
    "MailOutcome",
    "ProcessedMessage",
    "QuarantineItem",
    "QueuedNotice",
    "SchemaTooNewError",
    "SendRecord",
    "StaleLeaderError",
    "StoreClosedError",
    "StoreError",
    "TrackedIssue",
    "address_key",
    "check_day",
    "check_json",
    "from_text",
    "to_text",
    "utc",
]

JournalState = Literal["pending", "done", "failed"]


class StoreError(Transient, Exception):
    """Something is wrong with the store itself (not with a single record)."""


class StaleLeaderError(StoreError):
    """A write by a daemon that is no longer the leader: a newer one holds the fencing token
    (raised by :class:`~tracker_bridge.store.postgres.PostgresStore`)."""


class StoreClosedError(StoreError):
    """The store was used after ``close()``."""


class SchemaTooNewError(NeedsOperator, StoreError):
    """The database was written by a newer tracker-bridge; this one must not touch it."""


@dataclass(frozen=True)
class ProcessedMessage:
    """What became of one inbound message (the duplicate guard)."""

    message_id: str
    outcome: str  # "created" | "commented" | "quarantined" | "ignored" | "refused" | …
    at: datetime
    issue_key: str | None = None
    source_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class JournalEntry:
    """One action's passage through the journal, under its idempotency key.

    ``pending``: begun, outcome unknown (after a crash: check before redoing). ``done``: carried
    out, never again. ``failed``: the last attempt failed; a ``permanent`` failure is settled like
    ``done`` (no retry), a transient one is retried by the next ``journal_begin``.
    """

    key: str
    kind: str
    issue_key: str | None
    payload: str  # JSON text
    state: JournalState
    attempts: int
    created_at: datetime
    updated_at: datetime
    result: str | None = None
    last_error: str | None = None
    permanent: bool = False

    @property
    def settled(self) -> bool:
        """Whether the action must not be attempted again (done, or failed for good)."""
        return self.state == "done" or (self.state == "failed" and self.permanent)


@dataclass(frozen=True)
class CardRecord:
    """Where an issue's live Telegram card is, and what it last showed."""

    issue_key: str
    chat_id: int
    message_id: int
    fingerprint: str
    updated_at: datetime


@dataclass(frozen=True)
class SendRecord:
    """One message the bot posts, recorded before ``sendMessage`` and after (issue 13.5).

    ``purpose`` names what the message is for (``card-post:SUP-1``, an alert's action key):
    one message per purpose. ``content`` is what was asked for (text and buttons, as JSON), so
    that the message can be recognised by an identical edit; ``floor`` is the chat's highest
    recorded message id when the intent was written (``None``: nothing recorded in that chat
    yet). ``message_id`` is ``None`` until Telegram's answer is recorded: an intent whose
    outcome is unknown."""

    purpose: str
    chat_id: int
    content: str
    floor: int | None
    message_id: int | None
    at: datetime


@dataclass(frozen=True)
class QuarantineItem:
    """A message kept aside for a person; ``raw`` lets ``quarantine release`` re-inject it."""

    id: int
    message_id: str
    source_id: str
    reason: str
    sender: str
    subject: str
    at: datetime
    raw: bytes | None = None
    released_at: datetime | None = None

    @property
    def released(self) -> bool:
        return self.released_at is not None


@dataclass(frozen=True)
class TrackedIssue:
    """An issue the bridge watches; events before ``since`` are history, not news.
    ``finished``: the terminal status it ended in, once nothing more is owed for it."""

    issue_key: str
    customer: str
    requester: str
    since: datetime
    finished: str | None = None


@dataclass(frozen=True)
class QueuedNotice:
    """A notification for the outbox: a pending ``notify`` journal entry once committed."""

    key: str
    issue_key: str | None
    payload: str  # JSON text (effects.notify_payload)


@dataclass(frozen=True)
class MailOutcome:
    """Everything one inbound mail leaves in the store, written as one unit of work by
    :meth:`~tracker_bridge.store.protocol.Store.commit_mail`: all of it, or (a crash, an error)
    none of it, so a redelivered mail is either a known duplicate or handled afresh.

    Each part keeps the store's "first write wins" rule: the processed mark, the thread entry
    (``message_id`` → ``issue_key``), the tracked issue; a quarantine item only if the message
    is not already held; a notice only if its key was never queued (or only failed for now).
    """

    message_id: str
    outcome: str
    at: datetime
    issue_key: str | None = None
    source_id: str | None = None
    reason: str | None = None
    quarantine: QuarantineItem | None = None  # id and released_at are ignored
    tracked: TrackedIssue | None = None
    # one more on ``day`` for each key: the answered addresses with their robot and domain
    # keys, and the ``created:`` loop-cap keys of a new request (issue 17)
    answered: tuple[str, ...] = ()
    day: date | None = None
    notices: tuple[QueuedNotice, ...] = ()

    def check(self) -> None:
        """Refuse a malformed outcome before anything is written (so a unit never half-fails)."""
        utc(self.at)
        if self.tracked is not None:
            utc(self.tracked.since)
        if self.answered and self.day is None:
            raise ValueError("answers counted without a day")
        if self.day is not None:
            check_day(self.day)
        for notice in self.notices:
            check_json(notice.payload)


def utc(at: datetime) -> datetime:
    """``at`` in UTC; a naive datetime is refused, since its zone would be a guess."""
    if not isinstance(at, datetime):
        raise TypeError(f"expected a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: pass an aware one")
    return at.astimezone(UTC)


def to_text(at: datetime) -> str:
    """The stored form: fixed-width ISO-8601 UTC, so text order is time order."""
    return utc(at).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def check_day(day: date) -> str:
    """The stored form of a calendar day; a datetime is refused (which day would it be?)."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}")
    return day.isoformat()


def check_json(payload: str) -> str:
    """``payload`` unchanged, once it is known to be JSON text."""
    try:
        json.loads(payload)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"journal payload is not JSON text: {exc}") from exc
    return payload


def address_key(address: str) -> str:
    """How an e-mail address is keyed: trimmed, lower case."""
    return address.strip().lower()
