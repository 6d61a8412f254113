"""The store's logic over SQL, shared by :class:`~tracker_bridge.store.sqlite.SqliteStore` and
:class:`~tracker_bridge.store.postgres.PostgresStore`: which statement runs in which transaction.

A subclass gives the connection (:meth:`SqlStore._read` for a read, :meth:`SqlStore._tx` for one
write transaction, its ``durable`` ones flushed to disk before they return) and its dialect's
statements (:mod:`tracker_bridge.store.sql` for SQLite, :mod:`tracker_bridge.store.pg_sql`).
Rows come back as tuples in the same column order from both, so one set of converters reads them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from functools import partial
from types import ModuleType
from typing import Any, Protocol

from tracker_bridge.mail.source import Watermark
from tracker_bridge.store import journal
from tracker_bridge.store import sql as rows
from tracker_bridge.store.base import StoreBase
from tracker_bridge.store.records import (
    CardRecord,
    JournalEntry,
    MailOutcome,
    ProcessedMessage,
    QuarantineItem,
    SendRecord,
    TrackedIssue,
    address_key,
    check_day,
    from_text,
    to_text,
)

__all__ = ["Cursor", "Executor", "SqlStore"]


class Cursor(Protocol):
    """What both drivers' ``execute`` return."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class Executor(Protocol):
    """What both drivers' connections offer inside a transaction."""

    def execute(self, query: str, params: Any = ..., /) -> Cursor: ...


class SqlStore(StoreBase):
    """:class:`~tracker_bridge.store.protocol.Store` over a SQL connection (see the module)."""

    _sql: ModuleType

    def _read(self) -> AbstractContextManager[Executor]:
        raise NotImplementedError

    def _tx(self, durable: bool = False) -> AbstractContextManager[Executor]:
        raise NotImplementedError

    def _one(self, query: str, *args: Any) -> Any:
        with self._read() as db:
            return db.execute(query, args).fetchone()

    def _text(self, query: str, *args: Any) -> str | None:
        row = self._one(query, *args)
        return None if row is None else str(row[0])

    def _insert(self, query: str, *args: Any, durable: bool = False) -> bool:
        with self._tx(durable) as db:
            return db.execute(query, args).rowcount > 0

    # --- 1. processed messages -------------------------------------------------------------
    def record_message(
        self, message_id: str, outcome: str, *, at: datetime, issue_key: str | None = None,
        source_id: str | None = None, reason: str | None = None,
    ) -> bool:  # fmt: skip
        row = (message_id, outcome, issue_key, source_id, reason, to_text(at))
        return self._insert(self._sql.MESSAGE_ADD, *row, durable=True)

    def message_outcome(self, message_id: str) -> ProcessedMessage | None:
        row = self._one(self._sql.MESSAGE_GET, message_id)
        return None if row is None else rows.message(row)

    def commit_mail(self, outcome: MailOutcome) -> bool:
        outcome.check()
        o, at, q = outcome, to_text(outcome.at), self._sql
        with self._tx(durable=True) as db:
            held = o.quarantine
            if held and db.execute(q.QUARANTINE_HELD_ID, (o.message_id,)).fetchone() is None:
                fields = (o.message_id, held.source_id, held.reason, held.sender, held.subject,
                          at, held.raw)  # fmt: skip
                db.execute(q.QUARANTINE_ADD, fields).fetchone()
            if o.issue_key:
                db.execute(q.THREAD_ADD, (o.message_id, o.issue_key, "in", at))
            if (t := o.tracked) is not None:
                db.execute(q.TRACKED_ADD, (t.issue_key, t.customer, t.requester, to_text(t.since)))
            for sender in o.answered:
                assert o.day is not None  # MailOutcome.check
                db.execute(q.ANSWER_COUNT, (address_key(sender), check_day(o.day))).fetchone()
            for notice in o.notices:
                row = db.execute(q.JOURNAL_GET, (notice.key,)).fetchone()
                old = None if row is None else rows.entry(row)
                new = journal.queue(old, notice.key, issue_key=notice.issue_key,
                                    payload=notice.payload, at=o.at)  # fmt: skip
                if new is not old:
                    db.execute(q.JOURNAL_PUT, rows.entry_row(new))
            row = (o.message_id, o.outcome, o.issue_key, o.source_id, o.reason, at)
            return db.execute(q.MESSAGE_ADD, row).rowcount > 0

    # --- 2. thread map ---------------------------------------------------------------------
    def remember_outgoing(self, message_id: str, issue_key: str, at: datetime) -> bool:
        return self._insert(self._sql.THREAD_ADD, message_id, issue_key, "out", to_text(at))

    def remember_inbound(self, message_id: str, issue_key: str, at: datetime) -> bool:
        return self._insert(self._sql.THREAD_ADD, message_id, issue_key, "in", to_text(at))

    def issue_for_message(self, message_id: str) -> str | None:
        return self._text(self._sql.THREAD_GET, message_id)

    # --- 3. unique -------------------------------------------------------------------------
    def issue_for_unique(self, unique: str) -> str | None:
        return self._text(self._sql.UNIQUE_GET, unique)

    def set_issue_for_unique(self, unique: str, issue_key: str) -> bool:
        return self._insert(self._sql.UNIQUE_ADD, unique, issue_key, durable=True)

    # --- 4. cursors ------------------------------------------------------------------------
    def get_cursor(self, name: str) -> str | None:
        return self._text(self._sql.CURSOR_GET, name)

    def set_cursor(self, name: str, value: str) -> None:
        self._insert(self._sql.CURSOR_SET, name, value)

    # --- 5. watermarks ---------------------------------------------------------------------
    def get_watermark(self, mailbox: str) -> Watermark | None:
        row = self._one(self._sql.MARK_GET, mailbox)
        return None if row is None else Watermark(int(row[0]), int(row[1]))

    def set_watermark(self, mailbox: str, mark: Watermark) -> None:
        self._insert(self._sql.MARK_SET, mailbox, mark.uidvalidity, mark.last_uid, durable=True)

    # --- 6. journal ------------------------------------------------------------------------
    def _change(self, key: str, change: journal.Change) -> JournalEntry:
        """Read, change and write one entry in one durable transaction."""
        with self._tx(durable=True) as db:
            return _changed(db, self._sql, key, change)

    def journal_get(self, key: str) -> JournalEntry | None:
        row = self._one(self._sql.JOURNAL_GET, key)
        return None if row is None else rows.entry(row)

    def journal_pending(self) -> list[JournalEntry]:
        with self._read() as db:
            return [rows.entry(row) for row in db.execute(self._sql.JOURNAL_PENDING)]

    def done_keys(self, issue_key: str) -> frozenset[str]:
        with self._read() as db:
            return frozenset(
                row[0] for row in db.execute(self._sql.JOURNAL_DONE_KEYS, (issue_key,))
            )

    def own_comments(self, issue_key: str) -> dict[str, str]:
        with self._read() as db:
            found = db.execute(self._sql.JOURNAL_OF_KIND, (issue_key, journal.COMMENT_KIND))
            return journal.own_comments(rows.entry(row) for row in found)

    def journal_rekey_issue(self, placeholder: str, issue_key: str) -> int:
        with self._tx(durable=True) as db:
            return db.execute(self._sql.JOURNAL_REKEY, (issue_key, placeholder)).rowcount

    def issue_created(
        self, unique: str, placeholder: str, issue_key: str, key: str, at: datetime
    ) -> JournalEntry:
        q = self._sql
        with self._tx(durable=True) as db:
            db.execute(q.UNIQUE_ADD, (unique, issue_key))
            db.execute(q.JOURNAL_REKEY, (issue_key, placeholder))
            return _changed(db, q, key, lambda e: journal.mark_done(e, key, issue_key, at))

    def notice_begin(
        self, key: str, kind: str, issue: str | None, payload: str, at: datetime, *,
        outgoing: str | None,
    ) -> JournalEntry:  # fmt: skip
        q = self._sql
        change = partial(journal.begin, key=key, kind=kind, issue_key=issue, payload=payload, at=at)
        with self._tx(durable=True) as db:
            entry = _changed(db, q, key, change)
            if outgoing is not None and issue is not None:
                db.execute(q.THREAD_ADD, (outgoing, issue, "out", to_text(at)))
            return entry

    # --- 7. cards --------------------------------------------------------------------------
    def card(self, issue_key: str) -> CardRecord | None:
        row = self._one(self._sql.CARD_GET, issue_key)
        return None if row is None else rows.card(row)

    def save_card(
        self, issue_key: str, chat_id: int, message_id: int, fingerprint: str, at: datetime
    ) -> CardRecord:
        row = (issue_key, chat_id, message_id, fingerprint, to_text(at))
        self._insert(self._sql.CARD_SET, *row)
        return rows.card(row)

    def cards(self) -> list[CardRecord]:
        with self._read() as db:
            return [rows.card(row) for row in db.execute(self._sql.CARD_ALL)]

    # --- 13. Telegram sends -----------------------------------------------------------------
    def send_get(self, purpose: str) -> SendRecord | None:
        row = self._one(self._sql.SEND_GET, purpose)
        return None if row is None else rows.send(row)

    def sends_unresolved(self, chat_id: int) -> list[SendRecord]:
        with self._read() as db:
            return [rows.send(row) for row in db.execute(self._sql.SEND_UNRESOLVED, (chat_id,))]

    def sends_known(self, chat_id: int, above: int) -> frozenset[int]:
        with self._read() as db:
            found = db.execute(self._sql.SEND_KNOWN, (chat_id, above))
            return frozenset(int(row[0]) for row in found)

    def send_begin(self, purpose: str, chat_id: int, content: str, at: datetime) -> SendRecord:
        params = {"purpose": purpose, "chat": chat_id, "content": content, "at": to_text(at)}
        with self._tx(durable=True) as db:
            db.execute(self._sql.SEND_BEGIN, params)
            return rows.send(db.execute(self._sql.SEND_GET, (purpose,)).fetchone())

    def send_done(self, purpose: str, message_id: int, at: datetime, *, prune: datetime) -> None:
        with self._tx(durable=True) as db:
            row = db.execute(self._sql.SEND_GET, (purpose,)).fetchone()
            db.execute(self._sql.SEND_DONE, (message_id, to_text(at), purpose))
            if row is not None:  # the chat's highest id stays: the next intent's floor
                db.execute(self._sql.SEND_PRUNE, (int(row[1]), message_id, to_text(prune)))

    def send_forget(self, purpose: str) -> None:
        self._insert(self._sql.SEND_FORGET, purpose, durable=True)

    # --- 8. auto-answer counters -----------------------------------------------------------
    def count_answer(self, sender: str, day: date) -> int:
        with self._tx() as db:
            row = db.execute(
                self._sql.ANSWER_COUNT, (address_key(sender), check_day(day))
            ).fetchone()
            return int(row[0])

    def answers(self, sender: str, day: date) -> int:
        row = self._one(self._sql.ANSWER_GET, address_key(sender), check_day(day))
        return 0 if row is None else int(row[0])

    # --- 9. bounces ------------------------------------------------------------------------
    def mark_bounced(self, address: str, reason: str, at: datetime) -> None:
        self._insert(self._sql.BOUNCE_SET, address_key(address), reason, to_text(at))

    def is_bounced(self, address: str) -> bool:
        return self._one(self._sql.BOUNCE_GET, address_key(address)) is not None

    def bounced(self) -> list[tuple[str, str, datetime]]:
        with self._read() as db:
            rows = list(db.execute(self._sql.BOUNCE_LIST))
        return [(str(a), str(r), from_text(str(t))) for a, r, t in rows]

    def lift_bounce(self, address: str) -> bool:
        return self._insert(self._sql.BOUNCE_LIFT, address_key(address))

    # --- 10. quarantine --------------------------------------------------------------------
    def quarantine_add(
        self, message_id: str, source_id: str, *, reason: str, sender: str, subject: str,
        at: datetime, raw: bytes | None = None,
    ) -> int:  # fmt: skip
        fields = (message_id, source_id, reason, sender, subject, to_text(at), raw)
        with self._tx(durable=True) as db:
            row = db.execute(self._sql.QUARANTINE_HELD_ID, (message_id,)).fetchone()
            if row is None:
                row = db.execute(self._sql.QUARANTINE_ADD, fields).fetchone()
            return int(row[0])

    def quarantine_list(self, include_released: bool = False) -> list[QuarantineItem]:
        query = self._sql.QUARANTINE_ALL if include_released else self._sql.QUARANTINE_HELD
        with self._read() as db:
            return [rows.item(row) for row in db.execute(query)]

    def quarantine_get(self, item_id: int) -> QuarantineItem | None:
        row = self._one(self._sql.QUARANTINE_GET, item_id)
        return None if row is None else rows.item(row)

    def quarantine_release(self, item_id: int, at: datetime) -> QuarantineItem:
        with self._tx() as db:
            db.execute(self._sql.QUARANTINE_RELEASE, (to_text(at), item_id))
            row = db.execute(self._sql.QUARANTINE_GET, (item_id,)).fetchone()
        if row is None:
            raise KeyError(item_id)
        return rows.item(row)

    # --- 12. intake attempts ---------------------------------------------------------------
    def attempts_begin(
        self, messages: Sequence[tuple[str, str]], at: datetime
    ) -> list[tuple[int, str | None]]:
        found: list[tuple[int, str | None]] = []
        # not durable: the record must outlive the process (a kill, the watchdog), which a
        # committed transaction ensures; a power cut losing it costs one more try, nothing else
        with self._tx() as db:
            for digest, source_id in messages:
                db.execute(self._sql.ATTEMPT_BEGIN, (digest, source_id, to_text(at)))
                attempts, failure = db.execute(self._sql.ATTEMPT_GET, (digest,)).fetchone()
                found.append((int(attempts) - 1, None if failure is None else str(failure)))
        return found

    def attempt_get(self, digest: str) -> tuple[int, str | None]:
        row = self._one(self._sql.ATTEMPT_GET, digest)
        if row is None:
            return 0, None
        return int(row[0]), None if row[1] is None else str(row[1])

    def attempt_failed(self, digest: str, failure: str) -> None:
        self._insert(self._sql.ATTEMPT_FAILED, failure, digest)

    def attempt_end(self, digest: str) -> None:
        self._insert(self._sql.ATTEMPT_END, digest)

    # --- 11. tracked issues ----------------------------------------------------------------
    def track(self, issue_key: str, customer: str, requester: str, since: datetime) -> bool:
        return self._insert(self._sql.TRACKED_ADD, issue_key, customer, requester, to_text(since))

    def tracked(self, issue_key: str) -> TrackedIssue | None:
        row = self._one(self._sql.TRACKED_GET, issue_key)
        return None if row is None else rows.tracked(row)

    def tracked_issues(self) -> list[TrackedIssue]:
        with self._read() as db:
            return [rows.tracked(row) for row in db.execute(self._sql.TRACKED_OPEN)]

    def finish(self, issue_key: str, status: str | None) -> bool:
        return self._insert(self._sql.TRACKED_FINISH, status, issue_key)


def _changed(db: Executor, q: ModuleType, key: str, change: journal.Change) -> JournalEntry:
    """Read, change and write one journal entry inside the transaction ``db``."""
    row = db.execute(q.JOURNAL_GET, (key,)).fetchone()
    old = None if row is None else rows.entry(row)
    new = change(old)
    if new is not old:
        db.execute(q.JOURNAL_PUT, rows.entry_row(new))
    return new
