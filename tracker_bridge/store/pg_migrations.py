"""The PostgreSQL store's schema, versioned like SQLite's (:mod:`tracker_bridge.store.migrations`).

The same tables and columns in PostgreSQL's types; the version lives in ``schema_version``.
Opening a database applies the scripts it has not seen, each in its own transaction under an
advisory lock, so two daemons starting at once against one new database migrate it once. A
database from a newer tracker-bridge is refused. Never edit a released script: append one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracker_bridge.store.schema import FIRST_TABLES, INTAKE_ATTEMPTS, POSTGRES_TYPES, refuse_newer

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

# a fixed key for pg_advisory_xact_lock: "tracker-bridge schema" (any constant would do)
MIGRATION_LOCK = 0x7462_7363_6865_6D61

_V1 = FIRST_TABLES.format(**POSTGRES_TYPES)
_V2 = INTAKE_ATTEMPTS  # as SQLite's v3

# v3: the bot's sends (issue 13.5), as SQLite's v4
_V3 = """
CREATE TABLE telegram_sends (
    purpose    TEXT PRIMARY KEY,
    chat_id    BIGINT NOT NULL,
    content    TEXT NOT NULL,
    floor      BIGINT,
    message_id BIGINT,
    at         TEXT NOT NULL
);
CREATE INDEX telegram_sends_chat ON telegram_sends (chat_id, message_id);
"""
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: Any, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Bring the database on ``conn`` (a psycopg connection) up to ``len(migrations)``."""
    while True:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            version = refuse_newer(int(row[0] or 0), len(migrations))
            if version == len(migrations):
                return version
            conn.execute(migrations[version])
            conn.execute("INSERT INTO schema_version VALUES (%s)", (version + 1,))
