"""The store in dicts: for tests, the demo, and running without a database file.

It behaves exactly like :class:`~tracker_bridge.store.sqlite.SqliteStore` (the same contract
suite runs against both), including the journal state machine, which both take from
:mod:`tracker_bridge.store.journal`. Nothing survives the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import TypeVar

from tracker_bridge.mail.source import Watermark
from tracker_bridge.store import journal
from tracker_bridge.store.base import StoreBase
from tracker_bridge.store.records import (
    CardRecord,
    JournalEntry,
    MailOutcome,
    ProcessedMessage,
    QuarantineItem,
    SendRecord,
    StoreClosedError,
    TrackedIssue,
    address_key,
    check_day,
    utc,
)

__all__ = ["MemoryStore"]

_V = TypeVar("_V")


class MemoryStore(StoreBase):
    """:class:`~tracker_bridge.store.protocol.Store` in memory, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = False
        self._messages: dict[str, ProcessedMessage] = {}
        self._threads: dict[str, str] = {}
        self._uniques: dict[str, str] = {}
        self._cursors: dict[str, str] = {}
        self._marks: dict[str, Watermark] = {}
        self._journal: dict[str, JournalEntry] = {}
        self._cards: dict[str, CardRecord] = {}
        self._sends: dict[str, SendRecord] = {}
        self._answers: dict[tuple[str, str], int] = {}
        self._bounces: dict[str, tuple[str, datetime]] = {}
        self._quarantine: dict[int, QuarantineItem] = {}
        self._tracked: dict[str, TrackedIssue] = {}
        self._attempts: dict[str, tuple[int, str | None]] = {}

    # --- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._closed = True

    @contextmanager
    def _open(self) -> Iterator[None]:
        with self._lock:
            if self._closed:
                raise StoreClosedError("memory store is closed")
            yield

    def _keep_first(self, table: dict[str, _V], key: str, value: Callable[[], _V]) -> bool:
        with self._open():
            if key in table:
                return False
            table[key] = value()
            return True

    # --- 1. processed messages -------------------------------------------------------------
    def record_message(
        self, message_id: str, outcome: str, *, at: datetime, issue_key: str | None = None,
        source_id: str | None = None, reason: str | None = None,
    ) -> bool:  # fmt: skip
        record = ProcessedMessage(message_id, outcome, utc(at), issue_key, source_id, reason)
        return self._keep_first(self._messages, message_id, lambda: record)

    def message_outcome(self, message_id: str) -> ProcessedMessage | None:
        with self._open():
            return self._messages.get(message_id)

    def commit_mail(self, outcome: MailOutcome) -> bool:
        outcome.check()  # everything that could fail fails here, before a dict is touched
        o, at = outcome, utc(outcome.at)
        with self._open():
            if (held := o.quarantine) is not None and not any(
                i.message_id == o.message_id and not i.released for i in self._quarantine.values()
            ):
                item_id = len(self._quarantine) + 1
                raw = None if held.raw is None else bytes(held.raw)
                self._quarantine[item_id] = replace(
                    held, id=item_id, message_id=o.message_id, at=at, raw=raw, released_at=None
                )
            if o.issue_key:
                self._threads.setdefault(o.message_id, o.issue_key)
            if (t := o.tracked) is not None:
                self._tracked.setdefault(t.issue_key, replace(t, since=utc(t.since)))
            for sender in o.answered:
                slot = (address_key(sender), check_day(o.day))  # type: ignore[arg-type]
                self._answers[slot] = self._answers.get(slot, 0) + 1
            for n in o.notices:
                old = self._journal.get(n.key)
                self._journal[n.key] = journal.queue(
                    old, n.key, issue_key=n.issue_key, payload=n.payload, at=at
                )
            if o.message_id in self._messages:
                return False
            self._messages[o.message_id] = ProcessedMessage(
                o.message_id, o.outcome, at, o.issue_key, o.source_id, o.reason
            )
            return True

    # --- 2. thread map ---------------------------------------------------------------------
    def remember_outgoing(self, message_id: str, issue_key: str, at: datetime) -> bool:
        utc(at)
        return self._keep_first(self._threads, message_id, lambda: issue_key)

    def remember_inbound(self, message_id: str, issue_key: str, at: datetime) -> bool:
        utc(at)
        return self._keep_first(self._threads, message_id, lambda: issue_key)

    def issue_for_message(self, message_id: str) -> str | None:
        with self._open():
            return self._threads.get(message_id)

    # --- 3. unique -------------------------------------------------------------------------
    def issue_for_unique(self, unique: str) -> str | None:
        with self._open():
            return self._uniques.get(unique)

    def set_issue_for_unique(self, unique: str, issue_key: str) -> bool:
        return self._keep_first(self._uniques, unique, lambda: issue_key)

    # --- 4. cursors ------------------------------------------------------------------------
    def get_cursor(self, name: str) -> str | None:
        with self._open():
            return self._cursors.get(name)

    def set_cursor(self, name: str, value: str) -> None:
        with self._open():
            self._cursors[name] = value

    # --- 5. watermarks ---------------------------------------------------------------------
    def get_watermark(self, mailbox: str) -> Watermark | None:
        with self._open():
            return self._marks.get(mailbox)

    def set_watermark(self, mailbox: str, mark: Watermark) -> None:
        with self._open():
            self._marks[mailbox] = Watermark(int(mark.uidvalidity), int(mark.last_uid))

    # --- 6. journal ------------------------------------------------------------------------
    def _change(self, key: str, change: journal.Change) -> JournalEntry:
        with self._open():
            entry = change(self._journal.get(key))
            self._journal[key] = entry
            return entry

    def journal_get(self, key: str) -> JournalEntry | None:
        with self._open():
            return self._journal.get(key)

    def journal_pending(self) -> list[JournalEntry]:
        with self._open():
            pending = (e for e in self._journal.values() if e.state == "pending")
            return sorted(pending, key=lambda e: (e.created_at, e.key))

    def done_keys(self, issue_key: str) -> frozenset[str]:
        with self._open():
            entries = self._journal.values()
            return frozenset(
                e.key for e in entries if e.issue_key == issue_key and e.state == "done"
            )

    def own_comments(self, issue_key: str) -> dict[str, str]:
        with self._open():
            return journal.own_comments(
                e for e in self._journal.values() if e.issue_key == issue_key
            )

    def journal_rekey_issue(self, placeholder: str, issue_key: str) -> int:
        with self._open():
            moved = [e for e in self._journal.values() if e.issue_key == placeholder]
            for entry in moved:
                self._journal[entry.key] = replace(entry, issue_key=issue_key)
            return len(moved)

    # --- 7. cards --------------------------------------------------------------------------
    def card(self, issue_key: str) -> CardRecord | None:
        with self._open():
            return self._cards.get(issue_key)

    def save_card(
        self, issue_key: str, chat_id: int, message_id: int, fingerprint: str, at: datetime
    ) -> CardRecord:
        record = CardRecord(issue_key, chat_id, message_id, fingerprint, utc(at))
        with self._open():
            self._cards[issue_key] = record
        return record

    def cards(self) -> list[CardRecord]:
        with self._open():
            return [self._cards[key] for key in sorted(self._cards)]

    # --- 13. Telegram sends -----------------------------------------------------------------
    def send_get(self, purpose: str) -> SendRecord | None:
        with self._open():
            return self._sends.get(purpose)

    def sends_unresolved(self, chat_id: int) -> list[SendRecord]:
        with self._open():
            found = [
                r for r in self._sends.values() if r.chat_id == chat_id and r.message_id is None
            ]
        return sorted(found, key=lambda r: (r.at, r.purpose))

    def sends_known(self, chat_id: int, above: int) -> frozenset[int]:
        with self._open():
            return frozenset(
                r.message_id for r in self._sends.values()
                if r.chat_id == chat_id and r.message_id is not None and r.message_id > above
            )  # fmt: skip

    def send_begin(self, purpose: str, chat_id: int, content: str, at: datetime) -> SendRecord:
        with self._open():
            ids = [r.message_id for r in self._sends.values() if r.chat_id == chat_id]
            floor = max((i for i in ids if i is not None), default=None)
            record = SendRecord(purpose, chat_id, content, floor, None, utc(at))
            self._sends[purpose] = record
            return record

    def send_done(self, purpose: str, message_id: int, at: datetime, *, prune: datetime) -> None:
        with self._open():
            record = self._sends.get(purpose)
            if record is None:
                return
            self._sends[purpose] = replace(record, message_id=message_id, at=utc(at))
            for key, old in list(self._sends.items()):
                if (old.chat_id == record.chat_id and old.message_id is not None
                        and old.message_id < message_id and old.at < utc(prune)):  # fmt: skip
                    del self._sends[key]

    def send_forget(self, purpose: str) -> None:
        with self._open():
            record = self._sends.get(purpose)
            if record is not None and record.message_id is None:
                del self._sends[purpose]

    # --- 8. auto-answer counters -----------------------------------------------------------
    def count_answer(self, sender: str, day: date) -> int:
        slot = (address_key(sender), check_day(day))
        with self._open():
            self._answers[slot] = self._answers.get(slot, 0) + 1
            return self._answers[slot]

    def answers(self, sender: str, day: date) -> int:
        slot = (address_key(sender), check_day(day))
        with self._open():
            return self._answers.get(slot, 0)

    # --- 9. bounces ------------------------------------------------------------------------
    def mark_bounced(self, address: str, reason: str, at: datetime) -> None:
        record = (reason, utc(at))
        with self._open():
            self._bounces[address_key(address)] = record

    def is_bounced(self, address: str) -> bool:
        with self._open():
            return address_key(address) in self._bounces

    def bounced(self) -> list[tuple[str, str, datetime]]:
        with self._open():
            rows = [(a, r, at) for a, (r, at) in self._bounces.items()]
        return sorted(rows, key=lambda row: (row[2], row[0]))

    def lift_bounce(self, address: str) -> bool:
        with self._open():
            return self._bounces.pop(address_key(address), None) is not None

    # --- 10. quarantine --------------------------------------------------------------------
    def quarantine_add(
        self, message_id: str, source_id: str, *, reason: str, sender: str, subject: str,
        at: datetime, raw: bytes | None = None,
    ) -> int:  # fmt: skip
        stamp = utc(at)
        with self._open():
            for item in self._quarantine.values():
                if item.message_id == message_id and not item.released:
                    return item.id
            item_id = len(self._quarantine) + 1  # ids are never reused: nothing is deleted
            held = None if raw is None else bytes(raw)
            item = QuarantineItem(
                item_id, message_id, source_id, reason, sender, subject, stamp, held
            )
            self._quarantine[item_id] = item
            return item_id

    def quarantine_list(self, include_released: bool = False) -> list[QuarantineItem]:
        with self._open():
            items = sorted(self._quarantine.values(), key=lambda item: item.id)
            return [item for item in items if include_released or not item.released]

    def quarantine_get(self, item_id: int) -> QuarantineItem | None:
        with self._open():
            return self._quarantine.get(item_id)

    def quarantine_release(self, item_id: int, at: datetime) -> QuarantineItem:
        stamp = utc(at)
        with self._open():
            item = self._quarantine.get(item_id)
            if item is None:
                raise KeyError(item_id)
            if not item.released:
                item = self._quarantine[item_id] = replace(item, released_at=stamp)
            return item

    # --- 12. intake attempts ---------------------------------------------------------------
    def attempts_begin(
        self, messages: Sequence[tuple[str, str]], at: datetime
    ) -> list[tuple[int, str | None]]:
        found: list[tuple[int, str | None]] = []
        with self._open():
            for digest, _source_id in messages:
                earlier, failure = self._attempts.get(digest, (0, None))
                self._attempts[digest] = (earlier + 1, failure)
                found.append((earlier, failure))
        return found

    def attempt_get(self, digest: str) -> tuple[int, str | None]:
        with self._open():
            return self._attempts.get(digest, (0, None))

    def attempt_failed(self, digest: str, failure: str) -> None:
        with self._open():
            if digest in self._attempts:
                self._attempts[digest] = (self._attempts[digest][0], failure)

    def attempt_end(self, digest: str) -> None:
        with self._open():
            self._attempts.pop(digest, None)

    # --- 11. tracked issues ----------------------------------------------------------------
    def track(self, issue_key: str, customer: str, requester: str, since: datetime) -> bool:
        record = TrackedIssue(issue_key, customer, requester, utc(since))
        return self._keep_first(self._tracked, issue_key, lambda: record)

    def tracked(self, issue_key: str) -> TrackedIssue | None:
        with self._open():
            return self._tracked.get(issue_key)

    def tracked_issues(self) -> list[TrackedIssue]:
        with self._open():
            return [
                t for key in sorted(self._tracked) if (t := self._tracked[key]).finished is None
            ]

    def finish(self, issue_key: str, status: str | None) -> bool:
        with self._open():
            record = self._tracked.get(issue_key)
            if record is None or record.finished == status:
                return False
            self._tracked[issue_key] = replace(record, finished=status)
            return True
