"""The store port: the daemon's memory. :class:`SqliteStore` and :class:`MemoryStore` implement it.

Both behave identically (one contract suite, ``tests/adapters/test_store.py``, runs against
both). Records are written with "keep the first" semantics wherever a second write would mean a
duplicate side effect: those methods return ``False`` and change nothing. Every method is safe to
call from several threads.

``Store`` is the narrow ports of :mod:`tracker_bridge.store.ports` together (each caller asks for
its own: the intake's, the effects', the outbox's, the issue reader's, the cards', sync's), plus
:class:`tracker_bridge.mail.source.WatermarkStore`, plus what only the commands, the start-up and
the store's own transactions use. Its concerns: 1. processed messages, 2. thread map,
3. Tracker's ``unique``, 4. sync cursors, 5. IMAP watermarks, 6. the action journal, 7. Telegram
cards, 8. auto-answer counters, 9. permanent bounces, 10. quarantine, 11. tracked issues,
12. intake attempts, 13. the bot's sends.
"""

from __future__ import annotations

from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from tracker_bridge.mail.source import WatermarkStore
from tracker_bridge.store.ports import (
    CardStore,
    CursorStore,
    EffectsStore,
    IntakeStore,
    IssueFactsStore,
    OutboxStore,
    SendLedger,
)
from tracker_bridge.store.records import CardRecord, QuarantineItem, TrackedIssue

__all__ = ["Store"]


class Store(
    IntakeStore,
    EffectsStore,
    OutboxStore,
    IssueFactsStore,
    CardStore,
    SendLedger,
    CursorStore,
    WatermarkStore,
    Protocol,
):
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

    # --- 2. thread map ---------------------------------------------------------------------
    def remember_inbound(self, message_id: str, issue_key: str, at: datetime) -> bool:
        """Map a requester's Message-ID to its issue, so replies to their own mail thread too."""
        ...

    # --- 7. Telegram cards -----------------------------------------------------------------
    def cards(self) -> list[CardRecord]:
        """Every card, by issue key."""
        ...

    # --- 8. auto-answer counters -----------------------------------------------------------
    def count_answer(self, sender: str, day: date) -> int:
        """Count one more automatic answer to ``sender`` on ``day``; the new count."""
        ...

    # --- 9. permanent bounces --------------------------------------------------------------
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

    def quarantine_get(self, item_id: int) -> QuarantineItem | None: ...

    def quarantine_release(self, item_id: int, at: datetime) -> QuarantineItem:
        """Mark an item released (``KeyError`` if unknown); the first release time is kept."""
        ...

    # --- 11. tracked issues ----------------------------------------------------------------
    def tracked_issues(self) -> list[TrackedIssue]:
        """Every watched issue that is not finished, by issue key."""
        ...
