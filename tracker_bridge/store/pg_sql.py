"""The statements :class:`~tracker_bridge.store.postgres.PostgresStore` runs: the same as
:mod:`tracker_bridge.store.sql` (same names, same columns in the same order, so one set of row
converters reads both) in PostgreSQL's dialect. "Keep the first" is ``ON CONFLICT DO NOTHING``,
"replace" an upsert; text is ordered ``COLLATE "C"`` so both stores list in the same order
whatever the database's locale.
"""

from __future__ import annotations

# fmt: off
MESSAGE_ADD = (
    "INSERT INTO processed_messages VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
MESSAGE_GET = (
    "SELECT message_id, outcome, at, issue_key, source_id, reason FROM processed_messages"
    " WHERE message_id = %s"
)
THREAD_ADD = "INSERT INTO thread_map VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
THREAD_GET = "SELECT issue_key FROM thread_map WHERE message_id = %s"
UNIQUE_ADD = "INSERT INTO uniques VALUES (%s, %s) ON CONFLICT DO NOTHING"
UNIQUE_GET = "SELECT issue_key FROM uniques WHERE unique_key = %s"
ATTEMPT_BEGIN = (
    "INSERT INTO intake_attempts VALUES (%s, %s, 1, %s, NULL) ON CONFLICT (digest) DO UPDATE"
    " SET attempts = intake_attempts.attempts + 1, source_id = EXCLUDED.source_id"
)
ATTEMPT_GET = "SELECT attempts, failure FROM intake_attempts WHERE digest = %s"
ATTEMPT_FAILED = "UPDATE intake_attempts SET failure = %s WHERE digest = %s"
ATTEMPT_END = "DELETE FROM intake_attempts WHERE digest = %s"
CURSOR_SET = (
    "INSERT INTO cursors VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
)
CURSOR_GET = "SELECT value FROM cursors WHERE name = %s"
MARK_SET = (
    "INSERT INTO watermarks VALUES (%s, %s, %s) ON CONFLICT (mailbox) DO UPDATE"
    " SET uidvalidity = EXCLUDED.uidvalidity, last_uid = EXCLUDED.last_uid"
)
MARK_GET = "SELECT uidvalidity, last_uid FROM watermarks WHERE mailbox = %s"

_JOURNAL = (
    "SELECT key, kind, issue_key, payload, state, attempts, created_at, updated_at, result,"
    " last_error, permanent FROM journal"
)
JOURNAL_GET = _JOURNAL + " WHERE key = %s"
JOURNAL_PENDING = (
    _JOURNAL + " WHERE state = 'pending' ORDER BY created_at COLLATE \"C\", key COLLATE \"C\""
)
JOURNAL_PUT = (
    "INSERT INTO journal (key, kind, issue_key, payload, state, attempts, created_at,"
    " updated_at, result, last_error, permanent) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " %s, %s) ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind,"
    " issue_key = EXCLUDED.issue_key, payload = EXCLUDED.payload, state = EXCLUDED.state,"
    " attempts = EXCLUDED.attempts, created_at = EXCLUDED.created_at,"
    " updated_at = EXCLUDED.updated_at, result = EXCLUDED.result,"
    " last_error = EXCLUDED.last_error, permanent = EXCLUDED.permanent"
)
JOURNAL_DONE_KEYS = "SELECT key FROM journal WHERE issue_key = %s AND state = 'done'"
JOURNAL_OF_KIND = _JOURNAL + " WHERE issue_key = %s AND kind = %s AND state = 'done'"
JOURNAL_REKEY = "UPDATE journal SET issue_key = %s WHERE issue_key = %s"

_CARD = "SELECT issue_key, chat_id, message_id, fingerprint, updated_at FROM cards"
CARD_GET = _CARD + " WHERE issue_key = %s"
CARD_ALL = _CARD + " ORDER BY issue_key COLLATE \"C\""
_SEND = "SELECT purpose, chat_id, content, floor, message_id, at FROM telegram_sends"
SEND_GET = _SEND + " WHERE purpose = %s"
SEND_UNRESOLVED = (
    _SEND + ' WHERE chat_id = %s AND message_id IS NULL ORDER BY at, purpose COLLATE "C"'
)
SEND_KNOWN = "SELECT message_id FROM telegram_sends WHERE chat_id = %s AND message_id > %s"
SEND_BEGIN = (
    "INSERT INTO telegram_sends VALUES (%(purpose)s, %(chat)s, %(content)s,"
    " (SELECT max(message_id) FROM telegram_sends WHERE chat_id = %(chat)s), NULL, %(at)s)"
    " ON CONFLICT (purpose) DO UPDATE SET chat_id = EXCLUDED.chat_id,"
    " content = EXCLUDED.content, floor = EXCLUDED.floor, message_id = NULL, at = EXCLUDED.at"
)
SEND_DONE = "UPDATE telegram_sends SET message_id = %s, at = %s WHERE purpose = %s"
SEND_FORGET = "DELETE FROM telegram_sends WHERE purpose = %s AND message_id IS NULL"
SEND_PRUNE = "DELETE FROM telegram_sends WHERE chat_id = %s AND message_id < %s AND at < %s"
CARD_SET = (
    "INSERT INTO cards VALUES (%s, %s, %s, %s, %s) ON CONFLICT (issue_key) DO UPDATE"
    " SET chat_id = EXCLUDED.chat_id, message_id = EXCLUDED.message_id,"
    " fingerprint = EXCLUDED.fingerprint, updated_at = EXCLUDED.updated_at"
)

ANSWER_COUNT = (
    "INSERT INTO answer_counts VALUES (%s, %s, 1) ON CONFLICT (sender, day)"
    " DO UPDATE SET count = answer_counts.count + 1 RETURNING count"
)
ANSWER_GET = "SELECT count FROM answer_counts WHERE sender = %s AND day = %s"
BOUNCE_SET = (
    "INSERT INTO bounces VALUES (%s, %s, %s) ON CONFLICT (address) DO UPDATE"
    " SET reason = EXCLUDED.reason, at = EXCLUDED.at"
)
BOUNCE_GET = "SELECT 1 FROM bounces WHERE address = %s"
BOUNCE_LIST = 'SELECT address, reason, at FROM bounces ORDER BY at COLLATE "C", address COLLATE "C"'
BOUNCE_LIFT = "DELETE FROM bounces WHERE address = %s"

_QUARANTINE = (
    "SELECT id, message_id, source_id, reason, sender, subject, at, raw, released_at"
    " FROM quarantine"
)
QUARANTINE_GET = _QUARANTINE + " WHERE id = %s"
QUARANTINE_HELD = _QUARANTINE + " WHERE released_at IS NULL ORDER BY id"
QUARANTINE_ALL = _QUARANTINE + " ORDER BY id"
QUARANTINE_HELD_ID = "SELECT id FROM quarantine WHERE message_id = %s AND released_at IS NULL"
QUARANTINE_ADD = (
    "INSERT INTO quarantine (message_id, source_id, reason, sender, subject, at, raw)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id"
)
QUARANTINE_RELEASE = (
    "UPDATE quarantine SET released_at = %s WHERE id = %s AND released_at IS NULL"
)

_TRACKED = "SELECT issue_key, customer, requester, since, finished FROM tracked_issues"
TRACKED_GET = _TRACKED + " WHERE issue_key = %s"
TRACKED_OPEN = _TRACKED + " WHERE finished IS NULL ORDER BY issue_key COLLATE \"C\""
TRACKED_ADD = (
    "INSERT INTO tracked_issues (issue_key, customer, requester, since)"
    " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
TRACKED_FINISH = (
    "UPDATE tracked_issues AS t SET finished = v.status"
    " FROM (SELECT %s::text AS status, %s::text AS issue_key) AS v"
    " WHERE t.issue_key = v.issue_key AND t.finished IS DISTINCT FROM v.status"
)
# fmt: on
