"""The store's schema as an ordered list of SQL scripts; ``PRAGMA user_version`` says how many ran.

Opening a database applies the scripts it has not seen yet, one transaction each (a failed
script leaves the database at the previous version); a database from a newer tracker-bridge
(``user_version`` beyond this list) is refused rather than misread. Never edit a released
script: append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from tracker_bridge.store.records import SchemaTooNewError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate", "statements"]

_V1 = """
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
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL
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
    permanent  INTEGER NOT NULL DEFAULT 0 CHECK (permanent IN (0, 1))
);
CREATE INDEX journal_issue ON journal (issue_key, state);
CREATE INDEX journal_state ON journal (state, created_at);
CREATE TABLE cards (
    issue_key   TEXT PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
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
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    sender      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    at          TEXT NOT NULL,
    raw         BLOB,
    released_at TEXT
);
CREATE INDEX quarantine_message ON quarantine (message_id, released_at);
CREATE TABLE tracked_issues (
    issue_key TEXT PRIMARY KEY,
    customer  TEXT NOT NULL,
    requester TEXT NOT NULL,
    since     TEXT NOT NULL
);
"""

# v2: a tracked issue that reached a terminal status with nothing more owed is *finished* (the
# status it ended in): start-up and comment polling skip it, and the thread map still answers a
# reply to it (R20). NULL: open.
_V2 = """
ALTER TABLE tracked_issues ADD COLUMN finished TEXT;
"""

# v3: intake attempts (the poison-mail breaker, issue 17): a row per message being worked on,
# written durably before the work and deleted when it ends; a row still there at the next try is
# an attempt that never finished (the process was killed or hung). Keyed by the SHA-256 of the
# raw bytes: known without parsing.
_V3 = """
CREATE TABLE intake_attempts (
    digest    TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    first_at  TEXT NOT NULL,
    failure   TEXT
);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    """``script`` split into complete statements (a ``;`` inside a literal does not split)."""
    out: list[str] = []
    pending = ""
    for chunk in script.split(";"):
        pending += chunk + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n\t;"):
                out.append(pending.strip())
            pending = ""
    if pending.strip(" \n\t;"):
        raise ValueError(f"incomplete SQL statement: {pending.strip()[:60]!r}")
    return out


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Bring the database on ``conn`` (autocommit mode) up to ``len(migrations)``; that version.

    The version is re-read inside each write transaction, so two processes opening the same old
    file at once do not both apply a script.
    """
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = _version(conn, len(migrations))
            if version == len(migrations):
                conn.execute("COMMIT")
                return version
            for statement in statements(migrations[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1:d}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _version(conn: sqlite3.Connection, known: int) -> int:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > known:
        raise SchemaTooNewError(
            f"database schema version {version} is newer than this tracker-bridge knows "
            f"({known}); upgrade tracker-bridge or point it at another database file"
        )
    return version
