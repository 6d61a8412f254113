"""The store in one SQLite file (WAL): what survives a restart of the daemon.

One connection per store, guarded by a lock, so worker threads may share the object; other
processes (the ``quarantine`` CLI next to a running daemon) wait on the busy timeout. Writes use
``BEGIN IMMEDIATE`` so a read-modify-write (the journal) never loses to another writer.

Durability: ``synchronous=NORMAL`` in WAL mode survives a crash of the process but may lose the
last commits on a power cut. For the records exactly-once depends on (the journal, the duplicate
guard, ``unique`` → issue) a lost commit means a repeated side effect, so those transactions
switch to ``synchronous=FULL`` (one fsync of the WAL each; the bridge writes a few per message).
Losing a cursor, card or counter update costs only a repeated read or an edited card.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from tracker_bridge.mail.source import Watermark
from tracker_bridge.store import journal, sql
from tracker_bridge.store.base import StoreBase
from tracker_bridge.store.migrations import migrate
from tracker_bridge.store.records import (
    CardRecord,
    JournalEntry,
    MailOutcome,
    ProcessedMessage,
    QuarantineItem,
    StoreClosedError,
    StoreError,
    TrackedIssue,
    address_key,
    check_day,
    from_text,
    to_text,
)

__all__ = ["CACHE_KIB", "SqliteStore"]

# SQLite's page cache (per connection) keeps up to 2 MiB by default, and the daemon's file grows
# with every request: the cache grew with it, the largest part of the daemon's memory growth
# (benchmarks/bench_daemon.py, "memory"). The hot pages (indexes, the latest journal entries) fit
# in far less; the rest is one read from the OS's file cache away.
CACHE_KIB = 128


def _open(path: str, busy_timeout: float) -> sqlite3.Connection:
    """A configured connection to ``path``, its schema migrated; closed again on failure."""
    db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000):d}")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{path}: SQLite refused WAL mode (got {mode!r})")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA cache_size = {-CACHE_KIB:d}")
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


class SqliteStore(StoreBase):
    """:class:`~tracker_bridge.store.protocol.Store` in a SQLite file, migrated on open."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._closed = False
        try:
            self._db = _open(self.path, busy_timeout)
        except sqlite3.Error as exc:  # say which file: sqlite3's messages do not
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc

    # --- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def pragmas(self) -> dict[str, int | str]:
        """The connection's settings, for ``tracker-bridge check`` and the tests."""
        names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "user_version",
                 "cache_size")  # fmt: skip
        with self._conn() as db:
            return {name: db.execute(f"PRAGMA {name}").fetchone()[0] for name in names}

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StoreClosedError(f"{self.path}: store is closed")
            yield self._db

    @contextmanager
    def _tx(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction; ``durable`` ones are fsynced before they return."""
        with self._conn() as db:
            if durable:
                db.execute("PRAGMA synchronous = FULL")
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:  # SQLite may have rolled back already
                        db.execute("ROLLBACK")
                    raise
            finally:
                if durable:
                    db.execute("PRAGMA synchronous = NORMAL")

    def _one(self, query: str, *args: Any) -> Any:
        with self._conn() as db:
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
        return self._insert(sql.MESSAGE_ADD, *row, durable=True)

    def message_outcome(self, message_id: str) -> ProcessedMessage | None:
        row = self._one(sql.MESSAGE_GET, message_id)
        return None if row is None else sql.message(row)

    def commit_mail(self, outcome: MailOutcome) -> bool:
        outcome.check()
        o, at = outcome, to_text(outcome.at)
        with self._tx(durable=True) as db:
            held = o.quarantine
            if held and db.execute(sql.QUARANTINE_HELD_ID, (o.message_id,)).fetchone() is None:
                fields = (o.message_id, held.source_id, held.reason, held.sender, held.subject,
                          at, held.raw)  # fmt: skip
                db.execute(sql.QUARANTINE_ADD, fields).fetchone()
            if o.issue_key:
                db.execute(sql.THREAD_ADD, (o.message_id, o.issue_key, "in", at))
            if (t := o.tracked) is not None:
                db.execute(sql.TRACKED_ADD, (t.issue_key, t.customer, t.requester,
                                             to_text(t.since)))  # fmt: skip
            for sender in o.answered:
                assert o.day is not None  # MailOutcome.check
                db.execute(sql.ANSWER_COUNT, (address_key(sender), check_day(o.day))).fetchone()
            for notice in o.notices:
                row = db.execute(sql.JOURNAL_GET, (notice.key,)).fetchone()
                old = None if row is None else sql.entry(row)
                new = journal.queue(old, notice.key, issue_key=notice.issue_key,
                                    payload=notice.payload, at=o.at)  # fmt: skip
                if new is not old:
                    db.execute(sql.JOURNAL_PUT, sql.entry_row(new))
            row = (o.message_id, o.outcome, o.issue_key, o.source_id, o.reason, at)
            return db.execute(sql.MESSAGE_ADD, row).rowcount > 0

    # --- 2. thread map ---------------------------------------------------------------------
    def remember_outgoing(self, message_id: str, issue_key: str, at: datetime) -> bool:
        return self._insert(sql.THREAD_ADD, message_id, issue_key, "out", to_text(at))

    def remember_inbound(self, message_id: str, issue_key: str, at: datetime) -> bool:
        return self._insert(sql.THREAD_ADD, message_id, issue_key, "in", to_text(at))

    def issue_for_message(self, message_id: str) -> str | None:
        return self._text(sql.THREAD_GET, message_id)

    # --- 3. unique -------------------------------------------------------------------------
    def issue_for_unique(self, unique: str) -> str | None:
        return self._text(sql.UNIQUE_GET, unique)

    def set_issue_for_unique(self, unique: str, issue_key: str) -> bool:
        return self._insert(sql.UNIQUE_ADD, unique, issue_key, durable=True)

    # --- 4. cursors ------------------------------------------------------------------------
    def get_cursor(self, name: str) -> str | None:
        return self._text(sql.CURSOR_GET, name)

    def set_cursor(self, name: str, value: str) -> None:
        self._insert(sql.CURSOR_SET, name, value)

    # --- 5. watermarks ---------------------------------------------------------------------
    def get_watermark(self, mailbox: str) -> Watermark | None:
        row = self._one(sql.MARK_GET, mailbox)
        return None if row is None else Watermark(int(row[0]), int(row[1]))

    def set_watermark(self, mailbox: str, mark: Watermark) -> None:
        self._insert(sql.MARK_SET, mailbox, mark.uidvalidity, mark.last_uid, durable=True)

    # --- 6. journal ------------------------------------------------------------------------
    def _change(self, key: str, change: journal.Change) -> JournalEntry:
        """Read, change and write one entry in one durable transaction."""
        with self._tx(durable=True) as db:
            row = db.execute(sql.JOURNAL_GET, (key,)).fetchone()
            old = None if row is None else sql.entry(row)
            new = change(old)
            if new is not old:
                db.execute(sql.JOURNAL_PUT, sql.entry_row(new))
            return new

    def journal_get(self, key: str) -> JournalEntry | None:
        row = self._one(sql.JOURNAL_GET, key)
        return None if row is None else sql.entry(row)

    def journal_pending(self) -> list[JournalEntry]:
        with self._conn() as db:
            return [sql.entry(row) for row in db.execute(sql.JOURNAL_PENDING)]

    def done_keys(self, issue_key: str) -> frozenset[str]:
        with self._conn() as db:
            return frozenset(row[0] for row in db.execute(sql.JOURNAL_DONE_KEYS, (issue_key,)))

    def own_comments(self, issue_key: str) -> dict[str, str]:
        with self._conn() as db:
            rows = db.execute(sql.JOURNAL_OF_KIND, (issue_key, journal.COMMENT_KIND))
            return journal.own_comments(sql.entry(row) for row in rows)

    def journal_rekey_issue(self, placeholder: str, issue_key: str) -> int:
        with self._tx(durable=True) as db:
            return db.execute(sql.JOURNAL_REKEY, (issue_key, placeholder)).rowcount

    # --- 7. cards --------------------------------------------------------------------------
    def card(self, issue_key: str) -> CardRecord | None:
        row = self._one(sql.CARD_GET, issue_key)
        return None if row is None else sql.card(row)

    def save_card(
        self, issue_key: str, chat_id: int, message_id: int, fingerprint: str, at: datetime
    ) -> CardRecord:
        row = (issue_key, chat_id, message_id, fingerprint, to_text(at))
        self._insert(sql.CARD_SET, *row)
        return sql.card(row)

    def cards(self) -> list[CardRecord]:
        with self._conn() as db:
            return [sql.card(row) for row in db.execute(sql.CARD_ALL)]

    # --- 8. auto-answer counters -----------------------------------------------------------
    def count_answer(self, sender: str, day: date) -> int:
        with self._tx() as db:
            row = db.execute(sql.ANSWER_COUNT, (address_key(sender), check_day(day))).fetchone()
            return int(row[0])

    def answers(self, sender: str, day: date) -> int:
        row = self._one(sql.ANSWER_GET, address_key(sender), check_day(day))
        return 0 if row is None else int(row[0])

    # --- 9. bounces ------------------------------------------------------------------------
    def mark_bounced(self, address: str, reason: str, at: datetime) -> None:
        self._insert(sql.BOUNCE_SET, address_key(address), reason, to_text(at))

    def is_bounced(self, address: str) -> bool:
        return self._one(sql.BOUNCE_GET, address_key(address)) is not None

    def bounced(self) -> list[tuple[str, str, datetime]]:
        with self._conn() as db:
            rows = db.execute(sql.BOUNCE_LIST).fetchall()
        return [(str(a), str(r), from_text(str(t))) for a, r, t in rows]

    def lift_bounce(self, address: str) -> bool:
        return self._insert(sql.BOUNCE_LIFT, address_key(address))

    # --- 10. quarantine --------------------------------------------------------------------
    def quarantine_add(
        self, message_id: str, source_id: str, *, reason: str, sender: str, subject: str,
        at: datetime, raw: bytes | None = None,
    ) -> int:  # fmt: skip
        fields = (message_id, source_id, reason, sender, subject, to_text(at), raw)
        with self._tx(durable=True) as db:
            row = db.execute(sql.QUARANTINE_HELD_ID, (message_id,)).fetchone()
            if row is None:
                row = db.execute(sql.QUARANTINE_ADD, fields).fetchone()
            return int(row[0])

    def quarantine_list(self, include_released: bool = False) -> list[QuarantineItem]:
        query = sql.QUARANTINE_ALL if include_released else sql.QUARANTINE_HELD
        with self._conn() as db:
            return [sql.item(row) for row in db.execute(query)]

    def quarantine_get(self, item_id: int) -> QuarantineItem | None:
        row = self._one(sql.QUARANTINE_GET, item_id)
        return None if row is None else sql.item(row)

    def quarantine_release(self, item_id: int, at: datetime) -> QuarantineItem:
        with self._tx() as db:
            db.execute(sql.QUARANTINE_RELEASE, (to_text(at), item_id))
            row = db.execute(sql.QUARANTINE_GET, (item_id,)).fetchone()
        if row is None:
            raise KeyError(item_id)
        return sql.item(row)

    # --- 11. tracked issues ----------------------------------------------------------------
    def track(self, issue_key: str, customer: str, requester: str, since: datetime) -> bool:
        return self._insert(sql.TRACKED_ADD, issue_key, customer, requester, to_text(since))

    def tracked(self, issue_key: str) -> TrackedIssue | None:
        row = self._one(sql.TRACKED_GET, issue_key)
        return None if row is None else sql.tracked(row)

    def tracked_issues(self) -> list[TrackedIssue]:
        with self._conn() as db:
            return [sql.tracked(row) for row in db.execute(sql.TRACKED_OPEN)]

    def finish(self, issue_key: str, status: str | None) -> bool:
        return self._insert(sql.TRACKED_FINISH, status, issue_key)
