"""The store port: the daemon's memory. :class:`SqliteStore` and :class:`MemoryStore` implement it.

Both behave identically (one contract suite, ``tests/adapters/test_store.py``, runs against
both). Records are written with "keep the first" semantics wherever a second write would mean a
duplicate side effect: those methods return ``False`` and change nothing. Every method is safe to
call from several threads. It also satisfies :class:`tracker_bridge.mail.source.WatermarkStore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from tracker_bridge.mail.source import Watermark
from tracker_bridge.store.records import (
    CardRecord,
    JournalEntry,
    MailOutcome,
    ProcessedMessage,
    QuarantineItem,
    TrackedIssue,
)

__all__ = ["Store"]


class Store(Protocol):
    """Processed messages, thread map, cursors, watermarks, journal, cards, counters, quarantine."""

    # --- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Release the store; idempotent. Any later call raises ``StoreClosedError``."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...  # fmt: skip

    # --- 1. processed messages (the duplicate guard) ---------------------------------------
    def record_message(
        self, message_id: str, outcome: str, *, at: datetime, issue_key: str | None = None,
        source_id: str | None = None, reason: str | None = None,
    ) -> bool:  # fmt: skip
        """Remember what became of a message; ``False`` (first record kept) if already known."""
        ...

    def message_outcome(self, message_id: str) -> ProcessedMessage | None: ...

    def commit_mail(self, outcome: MailOutcome) -> bool:
        """Write one mail's whole outcome (processed mark, thread entry, tracked issue, answer
        counters, quarantine item, queued notices) in one transaction: all or nothing. ``False``
        if the message was already recorded (its first record kept; the other parts are still
        written with their own keep-the-first rules)."""
        ...

    # --- 2. thread map ---------------------------------------------------------------------
    def remember_outgoing(self, message_id: str, issue_key: str, at: datetime) -> bool:
        """Map one of our outgoing Message-IDs to its issue; ``False`` if already mapped."""
        ...

    def remember_inbound(self, message_id: str, issue_key: str, at: datetime) -> bool:
        """Map a requester's Message-ID to its issue, so replies to their own mail thread too."""
        ...

    def issue_for_message(self, message_id: str) -> str | None:
        """The issue an outgoing or inbound Message-ID belongs to."""
        ...

    # --- 3. Tracker's ``unique`` -----------------------------------------------------------
    def issue_for_unique(self, unique: str) -> str | None: ...

    def set_issue_for_unique(self, unique: str, issue_key: str) -> bool:
        """Remember the issue created under ``unique``; ``False`` if already known."""
        ...

    # --- 4. sync cursors -------------------------------------------------------------------
    def get_cursor(self, name: str) -> str | None: ...

    def set_cursor(self, name: str, value: str) -> None: ...

    # --- 5. IMAP watermarks (mail.source.WatermarkStore) -----------------------------------
    def get_watermark(self, mailbox: str) -> Watermark | None: ...

    def set_watermark(self, mailbox: str, mark: Watermark) -> None: ...

    # --- 6. the action journal -------------------------------------------------------------
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

    def journal_get(self, key: str) -> JournalEntry | None: ...

    def journal_pending(self) -> list[JournalEntry]:
        """Entries begun but never finished (a crash came between), oldest first."""
        ...

    def done_keys(self, issue_key: str) -> frozenset[str]:
        """The keys of the issue's done actions, for ``IssueView.done``."""
        ...

    def own_comments(self, issue_key: str) -> dict[str, str]:
        """Ids of the comments the bridge posted on the issue → ``customer`` or ``bridge``
        (:func:`tracker_bridge.store.journal.own_comments`)."""
        ...

    def journal_rekey_issue(self, placeholder: str, issue_key: str) -> int:
        """Give entries recorded against ``placeholder`` ("new:<unique>") the real issue key.

        Only the issue column changes: idempotency keys are identities, so a replay of the same
        batch (keys built from the placeholder) is still recognised. Returns the entries changed.
        """
        ...

    # --- 7. Telegram cards -----------------------------------------------------------------
    def card(self, issue_key: str) -> CardRecord | None: ...

    def save_card(
        self, issue_key: str, chat_id: int, message_id: int, fingerprint: str, at: datetime
    ) -> CardRecord:
        """Create or replace the issue's card record."""
        ...

    def cards(self) -> list[CardRecord]:
        """Every card, by issue key."""
        ...

    # --- 8. auto-answer counters -----------------------------------------------------------
    def count_answer(self, sender: str, day: date) -> int:
        """Count one more automatic answer to ``sender`` on ``day``; the new count."""
        ...

    def answers(self, sender: str, day: date) -> int: ...

    # --- 9. permanent bounces --------------------------------------------------------------
    def mark_bounced(self, address: str, reason: str, at: datetime) -> None:
        """Remember that mail to ``address`` bounces for good (the latest reason is kept)."""
        ...

    def is_bounced(self, address: str) -> bool: ...

    def bounced(self) -> list[tuple[str, str, datetime]]:
        """Every suppressed address with its reason and when, oldest first."""
        ...

    def lift_bounce(self, address: str) -> bool:
        """Mail ``address`` again (a person lifted the suppression); False if it was not one."""
        ...

    # --- 10. quarantine --------------------------------------------------------------------
    def quarantine_add(
        self, message_id: str, source_id: str, *, reason: str, sender: str, subject: str,
        at: datetime, raw: bytes | None = None,
    ) -> int:  # fmt: skip
        """Keep a message aside; its id. A message already held (unreleased) keeps its item."""
        ...

    def quarantine_list(self, include_released: bool = False) -> list[QuarantineItem]:
        """Held items (and released ones if asked), by id."""
        ...

    def quarantine_get(self, item_id: int) -> QuarantineItem | None: ...

    def quarantine_release(self, item_id: int, at: datetime) -> QuarantineItem:
        """Mark an item released (``KeyError`` if unknown); the first release time is kept."""
        ...

    # --- 12. intake attempts (poison-mail breaker) -------------------------------------------
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

    # --- 11. tracked issues ----------------------------------------------------------------
    def track(self, issue_key: str, customer: str, requester: str, since: datetime) -> bool:
        """Start watching an issue; ``False`` (``since`` kept) if already watched."""
        ...

    def tracked(self, issue_key: str) -> TrackedIssue | None: ...

    def tracked_issues(self) -> list[TrackedIssue]:
        """Every watched issue that is not finished, by issue key."""
        ...

    def finish(self, issue_key: str, status: str | None) -> bool:
        """Mark an issue finished in terminal ``status`` (``None``: open again); ``False`` if
        unknown or already so. A finished issue stays known to :meth:`tracked`."""
        ...
