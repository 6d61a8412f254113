"""The SQL :class:`~tracker_bridge.store.sqlite.SqliteStore` runs, and rows ↔ records.

Kept apart so the store class reads as "which statement, in which transaction". All statements
take parameters; none is built from data.
"""

from __future__ import annotations

from typing import Any

from tracker_bridge.store.records import (
    CardRecord,
    JournalEntry,
    ProcessedMessage,
    QuarantineItem,
    SendRecord,
    TrackedIssue,
    from_text,
    to_text,
)

# fmt: off
MESSAGE_ADD = "INSERT OR IGNORE INTO processed_messages VALUES (?, ?, ?, ?, ?, ?)"
MESSAGE_GET = (
    "SELECT message_id, outcome, at, issue_key, source_id, reason FROM processed_messages"
    " WHERE message_id = ?"
)
THREAD_ADD = "INSERT OR IGNORE INTO thread_map VALUES (?, ?, ?, ?)"
THREAD_GET = "SELECT issue_key FROM thread_map WHERE message_id = ?"
UNIQUE_ADD = "INSERT OR IGNORE INTO uniques VALUES (?, ?)"
UNIQUE_GET = "SELECT issue_key FROM uniques WHERE unique_key = ?"
ATTEMPT_BEGIN = (
    "INSERT INTO intake_attempts VALUES (?, ?, 1, ?, NULL) "
    "ON CONFLICT (digest) DO UPDATE SET attempts = attempts + 1, source_id = excluded.source_id"
)
ATTEMPT_GET = "SELECT attempts, failure FROM intake_attempts WHERE digest = ?"
ATTEMPT_FAILED = "UPDATE intake_attempts SET failure = ? WHERE digest = ?"
ATTEMPT_END = "DELETE FROM intake_attempts WHERE digest = ?"
CURSOR_SET = "INSERT OR REPLACE INTO cursors VALUES (?, ?)"
CURSOR_GET = "SELECT value FROM cursors WHERE name = ?"
MARK_SET = "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?)"
MARK_GET = "SELECT uidvalidity, last_uid FROM watermarks WHERE mailbox = ?"

_JOURNAL = (
    "SELECT key, kind, issue_key, payload, state, attempts, created_at, updated_at, result,"
    " last_error, permanent FROM journal"
)
JOURNAL_GET = _JOURNAL + " WHERE key = ?"
JOURNAL_PENDING = _JOURNAL + " WHERE state = 'pending' ORDER BY created_at, key"
JOURNAL_PUT = (
    "INSERT OR REPLACE INTO journal (key, kind, issue_key, payload, state, attempts, created_at,"
    " updated_at, result, last_error, permanent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
JOURNAL_DONE_KEYS = "SELECT key FROM journal WHERE issue_key = ? AND state = 'done'"
JOURNAL_OF_KIND = _JOURNAL + " WHERE issue_key = ? AND kind = ? AND state = 'done'"
JOURNAL_REKEY = "UPDATE journal SET issue_key = ? WHERE issue_key = ?"

_CARD = "SELECT issue_key, chat_id, message_id, fingerprint, updated_at FROM cards"
CARD_GET = _CARD + " WHERE issue_key = ?"
CARD_ALL = _CARD + " ORDER BY issue_key"
CARD_SET = "INSERT OR REPLACE INTO cards VALUES (?, ?, ?, ?, ?)"

_SEND = "SELECT purpose, chat_id, content, floor, message_id, at FROM telegram_sends"
SEND_GET = _SEND + " WHERE purpose = ?"
SEND_UNRESOLVED = _SEND + " WHERE chat_id = ? AND message_id IS NULL ORDER BY at, purpose"
SEND_KNOWN = "SELECT message_id FROM telegram_sends WHERE chat_id = ? AND message_id > ?"
SEND_BEGIN = (
    "INSERT INTO telegram_sends VALUES (:purpose, :chat, :content,"
    " (SELECT max(message_id) FROM telegram_sends WHERE chat_id = :chat), NULL, :at)"
    " ON CONFLICT (purpose) DO UPDATE SET chat_id = excluded.chat_id,"
    " content = excluded.content, floor = excluded.floor, message_id = NULL, at = excluded.at"
)
SEND_DONE = "UPDATE telegram_sends SET message_id = ?, at = ? WHERE purpose = ?"
SEND_FORGET = "DELETE FROM telegram_sends WHERE purpose = ? AND message_id IS NULL"
SEND_PRUNE = "DELETE FROM telegram_sends WHERE chat_id = ? AND message_id < ? AND at < ?"

ANSWER_COUNT = (
    "INSERT INTO answer_counts VALUES (?, ?, 1) ON CONFLICT (sender, day)"
    " DO UPDATE SET count = count + 1 RETURNING count"
)
ANSWER_GET = "SELECT count FROM answer_counts WHERE sender = ? AND day = ?"
BOUNCE_SET = "INSERT OR REPLACE INTO bounces VALUES (?, ?, ?)"
BOUNCE_GET = "SELECT 1 FROM bounces WHERE address = ?"
BOUNCE_LIST = "SELECT address, reason, at FROM bounces ORDER BY at, address"
BOUNCE_LIFT = "DELETE FROM bounces WHERE address = ?"

_QUARANTINE = (
    "SELECT id, message_id, source_id, reason, sender, subject, at, raw, released_at"
    " FROM quarantine"
)
QUARANTINE_GET = _QUARANTINE + " WHERE id = ?"
QUARANTINE_HELD = _QUARANTINE + " WHERE released_at IS NULL ORDER BY id"
QUARANTINE_ALL = _QUARANTINE + " ORDER BY id"
QUARANTINE_HELD_ID = "SELECT id FROM quarantine WHERE message_id = ? AND released_at IS NULL"
QUARANTINE_ADD = (
    "INSERT INTO quarantine (message_id, source_id, reason, sender, subject, at, raw)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
QUARANTINE_RELEASE = "UPDATE quarantine SET released_at = ? WHERE id = ? AND released_at IS NULL"

_TRACKED = "SELECT issue_key, customer, requester, since, finished FROM tracked_issues"
TRACKED_GET = _TRACKED + " WHERE issue_key = ?"
TRACKED_OPEN = _TRACKED + " WHERE finished IS NULL ORDER BY issue_key"
TRACKED_ADD = (
    "INSERT OR IGNORE INTO tracked_issues (issue_key, customer, requester, since)"
    " VALUES (?, ?, ?, ?)"
)
TRACKED_FINISH = (
    "UPDATE tracked_issues SET finished = ?1 WHERE issue_key = ?2 AND finished IS NOT ?1"
)
# fmt: on


def message(row: Any) -> ProcessedMessage:
    message_id, outcome, at, issue_key, source_id, reason = row
    return ProcessedMessage(message_id, outcome, from_text(at), issue_key, source_id, reason)


def entry(row: Any) -> JournalEntry:
    key, kind, issue, payload, state, attempts, created, updated, result, error, permanent = row
    return JournalEntry(
        key, kind, issue, payload, state, int(attempts), from_text(created), from_text(updated),
        result, error, bool(permanent),
    )  # fmt: skip


def entry_row(e: JournalEntry) -> tuple[Any, ...]:
    return (
        e.key, e.kind, e.issue_key, e.payload, e.state, e.attempts, to_text(e.created_at),
        to_text(e.updated_at), e.result, e.last_error, int(e.permanent),
    )  # fmt: skip


def card(row: Any) -> CardRecord:
    return CardRecord(str(row[0]), int(row[1]), int(row[2]), str(row[3]), from_text(row[4]))


def send(row: Any) -> SendRecord:
    purpose, chat_id, content, floor, message_id, at = row
    return SendRecord(
        str(purpose), int(chat_id), str(content), None if floor is None else int(floor),
        None if message_id is None else int(message_id), from_text(at),
    )  # fmt: skip


def item(row: Any) -> QuarantineItem:
    item_id, message_id, source_id, reason, sender, subject, at, raw, released = row
    return QuarantineItem(
        int(item_id), message_id, source_id, reason, sender, subject, from_text(at),
        None if raw is None else bytes(raw), None if released is None else from_text(released),
    )  # fmt: skip


def tracked(row: Any) -> TrackedIssue:
    finished = None if row[4] is None else str(row[4])
    return TrackedIssue(str(row[0]), str(row[1]), str(row[2]), from_text(row[3]), finished)
