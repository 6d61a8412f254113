"""The PostgreSQL store's schema, versioned like SQLite's (:mod:`tracker_bridge.store.migrations`).

The same tables and columns in PostgreSQL's types; the version lives in ``schema_version``.
Opening a database applies the scripts it has not seen, each in its own transaction under an
advisory lock, so two daemons starting at once against one new database migrate it once. A
database from a newer tracker-bridge is refused. Never edit a released script: append one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracker_bridge.store.records import SchemaTooNewError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

# a fixed key for pg_advisory_xact_lock: "tracker-bridge schema" (any constant would do)
MIGRATION_LOCK = 0x7462_7363_6865_6D61

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
    uidvalidity BIGINT NOT NULL,
    last_uid    BIGINT NOT NULL
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
    permanent  SMALLINT NOT NULL DEFAULT 0 CHECK (permanent IN (0, 1))
);
CREATE INDEX journal_issue ON journal (issue_key, state);
CREATE INDEX journal_state ON journal (state, created_at);
CREATE TABLE cards (
    issue_key   TEXT PRIMARY KEY,
    chat_id     BIGINT NOT NULL,
    message_id  BIGINT NOT NULL,
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
    id          BIGSERIAL PRIMARY KEY,
    message_id  TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    sender      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    at          TEXT NOT NULL,
    raw         BYTEA,
    released_at TEXT
);
CREATE INDEX quarantine_message ON quarantine (message_id, released_at);
CREATE TABLE tracked_issues (
    issue_key TEXT PRIMARY KEY,
    customer  TEXT NOT NULL,
    requester TEXT NOT NULL,
    since     TEXT NOT NULL,
    finished  TEXT
);
"""

# v2: intake attempts (the poison-mail breaker, issue 17), as SQLite's v3: a row per message being
# worked on, written before the work and deleted when it ends; keyed by the SHA-256 of the raw bytes
_V2 = """
CREATE TABLE intake_attempts (
    digest    TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    first_at  TEXT NOT NULL,
    failure   TEXT
);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: Any, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Bring the database on ``conn`` (a psycopg connection) up to ``len(migrations)``."""
    while True:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            version = int(row[0] or 0)
            if version > len(migrations):
                raise SchemaTooNewError(
                    f"database schema version {version} is newer than this tracker-bridge "
                    f"knows ({len(migrations)}); upgrade tracker-bridge or use another database"
                )
            if version == len(migrations):
                return version
            conn.execute(migrations[version])
            conn.execute("INSERT INTO schema_version VALUES (%s)", (version + 1,))
