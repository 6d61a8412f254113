"""The store's tables, written once for both databases (SQLite and PostgreSQL).

The first script holds every table of the first release; the two databases differ only in a few
column types (``{bigint}``, ``{flag}``, ``{serial}``, ``{blob}``) and in where ``finished`` came
in (SQLite added it in its second script, PostgreSQL had it from the start). Each migrations
module fills the blanks for its database, giving the very text it ran before (a released
script must not change). Also the one refusal of a schema newer than this code.
"""

from __future__ import annotations

from typing import Final

from tracker_bridge.store.records import SchemaTooNewError

__all__ = ["FIRST_TABLES", "INTAKE_ATTEMPTS", "POSTGRES_TYPES", "SQLITE_TYPES", "refuse_newer"]

FIRST_TABLES: Final = """
CREATE TABLE processed_messages (
    message_id TEXT PRIMARY KEY,
    outcome    TEXT NOT NULL,
    issue_key  TEXT,
    source_id  TEXT,
    reason     TEXT,
    at         TEXT NOT NULL
);
CREATE TABLE thread_map (
    message_id TEXT PRIMARY KEY,
    issue_key  TEXT NOT NULL,
    direction  TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    at         TEXT NOT NULL
);
CREATE INDEX thread_map_issue ON thread_map (issue_key);
CREATE TABLE uniques (
    unique_key TEXT PRIMARY KEY,
    issue_key  TEXT NOT NULL
);
CREATE TABLE cursors (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE watermarks (
    mailbox     TEXT PRIMARY KEY,
    uidvalidity {bigint} NOT NULL,
    last_uid    {bigint} NOT NULL
);
CREATE TABLE journal (
    key        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    issue_key  TEXT,
    payload    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts   INTEGER NOT NULL CHECK (attempts >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    result     TEXT,
    last_error TEXT,
    permanent  {flag} NOT NULL DEFAULT 0 CHECK (permanent IN (0, 1))
);
CREATE INDEX journal_issue ON journal (issue_key, state);
CREATE INDEX journal_state ON journal (state, created_at);
CREATE TABLE cards (
    issue_key   TEXT PRIMARY KEY,
    chat_id     {bigint} NOT NULL,
    message_id  {bigint} NOT NULL,
    fingerprint TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE answer_counts (
    sender TEXT NOT NULL,
    day    TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (sender, day)
);
CREATE TABLE bounces (
    address TEXT PRIMARY KEY,
    reason  TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE TABLE quarantine (
    id          {serial},
    message_id  TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    sender      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    at          TEXT NOT NULL,
    raw         {blob},
    released_at TEXT
);
CREATE INDEX quarantine_message ON quarantine (message_id, released_at);
CREATE TABLE tracked_issues (
    issue_key TEXT PRIMARY KEY,
    customer  TEXT NOT NULL,
    requester TEXT NOT NULL,
    since     TEXT NOT NULL{finished}
);
"""

SQLITE_TYPES: Final = {
    "bigint": "INTEGER",  # SQLite's INTEGER is 64-bit already
    "flag": "INTEGER",
    "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "blob": "BLOB",
    "finished": "",
}
POSTGRES_TYPES: Final = {
    "bigint": "BIGINT",
    "flag": "SMALLINT",
    "serial": "BIGSERIAL PRIMARY KEY",
    "blob": "BYTEA",
    "finished": ",\n    finished  TEXT",
}

# intake attempts (the poison-mail breaker, issue 17): a row per message being worked on, written
# durably before the work and deleted when it ends; a row still there at the next try is an
# attempt that never finished (the process was killed or hung). Keyed by the SHA-256 of the raw
# bytes: known without parsing.
INTAKE_ATTEMPTS: Final = """
CREATE TABLE intake_attempts (
    digest    TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    first_at  TEXT NOT NULL,
    failure   TEXT
);
"""


def refuse_newer(version: int, known: int) -> int:
    """``version``, unless a newer tracker-bridge wrote it: refused then, not misread."""
    if version > known:
        raise SchemaTooNewError(
            f"database schema version {version} is newer than this tracker-bridge knows "
            f"({known}); upgrade tracker-bridge or point it at another database"
        )
    return version
