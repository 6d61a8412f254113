"""The store's schema as an ordered list of SQL scripts; ``PRAGMA user_version`` says how many ran.

Opening a database applies the scripts it has not seen yet, one transaction each (a failed
script leaves the database at the previous version); a database from a newer tracker-bridge
(``user_version`` beyond this list) is refused rather than misread. Never edit a released
script: append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from tracker_bridge.store.schema import FIRST_TABLES, INTAKE_ATTEMPTS, SQLITE_TYPES, refuse_newer

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate", "statements"]

_V1 = FIRST_TABLES.format(**SQLITE_TYPES)

# v2: a tracked issue that reached a terminal status with nothing more owed is *finished* (the
# status it ended in): start-up and comment polling skip it, and the thread map still answers a
# reply to it (R20). NULL: open.
_V2 = """
ALTER TABLE tracked_issues ADD COLUMN finished TEXT;
"""

_V3 = INTAKE_ATTEMPTS

# v4: the bot's sends (issue 13.5): an intent row before every sendMessage, its message id
# after; a new leader resolves an intent left without one before the chat's next send
_V4 = """
CREATE TABLE telegram_sends (
    purpose    TEXT PRIMARY KEY,
    chat_id    INTEGER NOT NULL,
    content    TEXT NOT NULL,
    floor      INTEGER,
    message_id INTEGER,
    at         TEXT NOT NULL
);
CREATE INDEX telegram_sends_chat ON telegram_sends (chat_id, message_id);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4)
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
    return refuse_newer(int(conn.execute("PRAGMA user_version").fetchone()[0]), known)
