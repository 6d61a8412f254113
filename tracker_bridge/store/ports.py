"""The narrow ports: what state each part of the bridge touches. :class:`~.protocol.Store` is all
of them together (one contract suite proves every store implements it); each caller asks only for
its own, so its signature says which of the store's concerns it reads and writes.

=================  ===========================================================================
port               who, and what for
=================  ===========================================================================
IntakeStore        the intake: the duplicate guard, one transaction per mail, threading, the
                   loop guard's counters, suppressed addresses, the poison-mail breaker
EffectsStore       the effects: the action journal and Tracker's ``unique`` per created issue
OutboxStore        the outbox: the journal of notifications, suppressions, the thread map
IssueFactsStore    the issue reader: tracked issues, done actions, the bridge's own comments
CardStore          the Telegram mirror: card message ids, which requests are finished
SendLedger         the bot's sender: every message it posts, recorded before and after
CursorStore        Tracker sync: its cursor
=================  ===========================================================================

The rules pass touches no state of its own: it reads issues through the issue reader and acts
through the effects. The IMAP source's port is :class:`~tracker_bridge.mail.source.WatermarkStore`.
Where two ports share methods, the shared part is a port of its own (``JournalWrites``, ...);
``Flushed`` is the write-ahead barrier of every part that acts outside the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from tracker_bridge.store.records import (
    CardRecord,
    JournalEntry,
    MailOutcome,
    ProcessedMessage,
    QuarantineItem,
    SendRecord,
    TrackedIssue,
)

__all__ = [
    "BounceCheck",
    "CardStore",
    "CursorStore",
    "EffectsStore",
    "Flushed",
    "IntakeStore",
    "IssueFactsStore",
    "JournalLookup",
    "JournalWrites",
    "OutboxStore",
    "OutgoingThreads",
    "SendLedger",
]


class Flushed(Protocol):
    async def flushed(self) -> None:
        """Return once every durable write made so far is on disk. Awaited before every side
        effect outside the store (a Tracker write, an email, a message leaving the inbox), so
        that what the store says before an effect survives a power cut (group commit,
        :mod:`tracker_bridge.store.wal_sync`)."""
        ...


class JournalWrites(Protocol):
    """The action journal's write-ahead entries around a side effect."""

    def journal_begin(
        self, key: str, kind: str, issue: str | None, payload: str, at: datetime
    ) -> JournalEntry:
        """Record an attempt before the side effect; a settled entry comes back unchanged.

        The caller carries out the side effect only if the returned entry is ``pending``.
        """
        ...

    def journal_done(self, key: str, result: str | None, at: datetime) -> JournalEntry:
        """Mark the action carried out (``KeyError`` if never begun); done stays done."""
        ...

    def journal_failed(self, key: str, error: str, permanent: bool, at: datetime) -> JournalEntry:
        """Mark the attempt failed (``KeyError`` if never begun); ``permanent`` settles it."""
        ...


class JournalLookup(Protocol):
    def journal_get(self, key: str) -> JournalEntry | None: ...


class OutgoingThreads(Protocol):
    def remember_outgoing(self, message_id: str, issue_key: str, at: datetime) -> bool:
        """Map one of our outgoing Message-IDs to its issue; ``False`` if already mapped."""
        ...


class BounceCheck(Protocol):
    def is_bounced(self, address: str) -> bool: ...


class BounceMark(Protocol):
    def mark_bounced(self, address: str, reason: str, at: datetime) -> None:
        """Remember that mail to ``address`` bounces for good (the latest reason is kept)."""
        ...


class IntakeStore(JournalLookup, OutgoingThreads, BounceCheck, BounceMark, Flushed, Protocol):
    """What the intake reads and writes for one email."""

    def message_outcome(self, message_id: str) -> ProcessedMessage | None: ...

    def commit_mail(self, outcome: MailOutcome) -> bool:
        """Write one mail's whole outcome (processed mark, thread entry, tracked issue, answer
        counters, quarantine item, queued notices) in one transaction: all or nothing. ``False``
        if the message was already recorded (its first record kept; the other parts are still
        written with their own keep-the-first rules)."""
        ...

    def issue_for_message(self, message_id: str) -> str | None:
        """The issue an outgoing or inbound Message-ID belongs to."""
        ...

    def answers(self, sender: str, day: date) -> int: ...

    def quarantine_list(self, include_released: bool = False) -> list[QuarantineItem]:
        """Held items (and released ones if asked), by id."""
        ...

    def attempts_begin(
        self, messages: Sequence[tuple[str, str]], at: datetime
    ) -> list[tuple[int, str | None]]:
        """Record, in one transaction that outlives the process, that work begins on each
        ``(digest, source_id)`` (the SHA-256 of the raw message); per message, how many
        earlier attempts never ended, and the last failure noted for them."""
        ...

    def attempt_get(self, digest: str) -> tuple[int, str | None]:
        """How many attempts on the message never ended, and the last failure noted."""
        ...

    def attempt_failed(self, digest: str, failure: str) -> None:
        """Note why an attempt failed (it stays counted)."""
        ...

    def attempt_end(self, digest: str) -> None:
        """The work on the message ended (whatever its outcome)."""
        ...


class EffectsStore(JournalWrites, JournalLookup, Flushed, Protocol):
    """What the effects read and write to run each action once."""

    def journal_rekey_issue(self, placeholder: str, issue_key: str) -> int:
        """Give entries recorded against ``placeholder`` ("new:<unique>") the real issue key.

        Only the issue column changes: idempotency keys are identities, so a replay of the same
        batch (keys built from the placeholder) is still recognised. Returns the entries changed.
        """
        ...

    def issue_for_unique(self, unique: str) -> str | None: ...

    def set_issue_for_unique(self, unique: str, issue_key: str) -> bool:
        """Remember the issue created under ``unique``; ``False`` if already known."""
        ...

    def issue_created(
        self, unique: str, placeholder: str, issue_key: str, key: str, at: datetime
    ) -> JournalEntry:
        """Tracker made ``issue_key``: :meth:`set_issue_for_unique`,
        :meth:`journal_rekey_issue` from ``placeholder`` and the create action ``key`` done
        (its result the issue key), in one transaction."""
        ...


class OutboxStore(
    JournalWrites, JournalLookup, OutgoingThreads, BounceCheck, BounceMark, Flushed, Protocol
):
    """What the outbox reads and writes to send each queued notification once (and, to send
    the «registered» acknowledgement first, whether the mail that made an issue is committed)."""

    def journal_pending(self) -> list[JournalEntry]:
        """Entries begun but never finished (a crash came between), oldest first."""
        ...

    def done_keys(self, issue_key: str) -> frozenset[str]:
        """Keys of the journal entries done for ``issue_key``."""
        ...

    def message_outcome(self, message_id: str) -> ProcessedMessage | None: ...

    def notice_begin(
        self, key: str, kind: str, issue: str | None, payload: str, at: datetime, *,
        outgoing: str | None,
    ) -> JournalEntry:  # fmt: skip
        """:meth:`journal_begin` of a notification's attempt and its Message-ID (``outgoing``,
        bare) mapped to ``issue`` in the thread map, in one transaction."""
        ...


class TrackedLookup(Protocol):
    def tracked(self, issue_key: str) -> TrackedIssue | None: ...


class IssueFactsStore(TrackedLookup, Protocol):
    """What the issue reader adds to Tracker's state: what the bridge remembers of an issue."""

    def track(self, issue_key: str, customer: str, requester: str, since: datetime) -> bool:
        """Start watching an issue; ``False`` (``since`` kept) if already watched."""
        ...

    def finish(self, issue_key: str, status: str | None) -> bool:
        """Mark an issue finished in terminal ``status`` (``None``: open again); ``False`` if
        unknown or already so. A finished issue stays known to :meth:`tracked`."""
        ...

    def done_keys(self, issue_key: str) -> frozenset[str]:
        """The keys of the issue's done actions, for ``IssueView.done``."""
        ...

    def own_comments(self, issue_key: str) -> dict[str, str]:
        """Ids of the comments the bridge posted on the issue → ``customer`` or ``bridge``
        (:func:`tracker_bridge.store.journal.own_comments`)."""
        ...


class CardStore(TrackedLookup, Protocol):
    """Where card message ids live, and which requests are finished."""

    def card(self, issue_key: str) -> CardRecord | None: ...

    def save_card(
        self, issue_key: str, chat_id: int, message_id: int, fingerprint: str, at: datetime
    ) -> CardRecord:
        """Create or replace the issue's card record."""
        ...


class SendLedger(Protocol):
    """The bot's sends, an intent before ``sendMessage`` and its message id after
    (:mod:`tracker_bridge.telegram.send_ledger`)."""

    def send_get(self, purpose: str) -> SendRecord | None: ...

    def sends_unresolved(self, chat_id: int) -> list[SendRecord]:
        """The chat's intents without a message id (their outcome unknown), oldest first."""
        ...

    def sends_known(self, chat_id: int, above: int) -> frozenset[int]:
        """The recorded message ids in ``chat_id`` greater than ``above``."""
        ...

    def send_begin(self, purpose: str, chat_id: int, content: str, at: datetime) -> SendRecord:
        """Write (or rewrite) the intent of ``purpose``, its floor the chat's highest recorded
        message id; committed before it returns."""
        ...

    def send_done(self, purpose: str, message_id: int, at: datetime, *, prune: datetime) -> None:
        """Record the intent's message id; the chat's rows older than ``prune`` below it go."""
        ...

    def send_forget(self, purpose: str) -> None:
        """Drop an intent that was not sent (a recorded send stays)."""
        ...


class CursorStore(Protocol):
    """Where Tracker sync keeps its cursor."""

    def get_cursor(self, name: str) -> str | None: ...

    def set_cursor(self, name: str, value: str) -> None: ...
