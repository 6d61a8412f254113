"""What both stores share beyond the protocol: the context manager and the journal writes.

A store supplies ``close()`` and ``_change`` (apply a :data:`~tracker_bridge.store.journal.Change`
to one journal entry atomically); the journal's state machine itself is the pure functions of
:mod:`tracker_bridge.store.journal`, so both stores follow it to the letter.
"""

from __future__ import annotations

from datetime import datetime

from tracker_bridge.foundation.closing import Closing
from tracker_bridge.store.journal import Change, begin, mark_done, mark_failed
from tracker_bridge.store.records import JournalEntry

__all__ = ["StoreBase"]


class StoreBase(Closing):
    """Context manager and ``journal_begin/done/failed`` on top of ``close`` and ``_change``."""

    def close(self) -> None:
        raise NotImplementedError

    def _change(self, key: str, change: Change) -> JournalEntry:
        """Apply ``change`` to the entry under ``key`` (or None) and store the result."""
        raise NotImplementedError

    async def flushed(self) -> None:
        """Every durable write of this store is on disk when its call returns: nothing to
        wait for (:class:`~tracker_bridge.store.sqlite.SqliteStore` in group commit waits)."""

    def journal_begin(
        self, key: str, kind: str, issue: str | None, payload: str, at: datetime
    ) -> JournalEntry:
        return self._change(
            key, lambda e: begin(e, key, kind=kind, issue_key=issue, payload=payload, at=at)
        )

    def journal_done(self, key: str, result: str | None, at: datetime) -> JournalEntry:
        return self._change(key, lambda e: mark_done(e, key, result, at))

    def journal_failed(self, key: str, error: str, permanent: bool, at: datetime) -> JournalEntry:
        return self._change(key, lambda e: mark_failed(e, key, error, permanent, at))

    # What the SQL stores commit as one transaction; here, the same writes one after another.

    def issue_created(
        self, unique: str, placeholder: str, issue_key: str, key: str, at: datetime
    ) -> JournalEntry:
        """Tracker made ``issue_key`` for ``unique``: remember it, move the entries recorded
        against ``placeholder`` to it and settle the create action ``key`` as done."""
        self.set_issue_for_unique(unique, issue_key)
        self.journal_rekey_issue(placeholder, issue_key)
        return self.journal_done(key, issue_key, at)

    def notice_begin(
        self, key: str, kind: str, issue: str | None, payload: str, at: datetime, *,
        outgoing: str | None,
    ) -> JournalEntry:  # fmt: skip
        """Begin a notification's attempt and map its Message-ID (``outgoing``, bare) to its
        issue, so that the reply threads back."""
        entry = self.journal_begin(key, kind, issue, payload, at)
        if outgoing is not None and issue is not None:
            self.remember_outgoing(outgoing, issue, at)
        return entry

    def set_issue_for_unique(self, unique: str, issue_key: str) -> bool:
        raise NotImplementedError

    def journal_rekey_issue(self, placeholder: str, issue_key: str) -> int:
        raise NotImplementedError

    def remember_outgoing(self, message_id: str, issue_key: str, at: datetime) -> bool:
        raise NotImplementedError
