"""A consistent copy of the SQLite store while the daemon runs: SQLite's online backup API.

Copying the file itself can miss the ``-wal`` part. :func:`backup_sqlite` reads the store through
its own read-only connection and copies it a few hundred pages at a time (the daemon's writes go
on between the steps; SQLite restarts the copy if a write changes a page already copied, so the
result is one moment's state), into a temporary file beside the target, checks it with
``PRAGMA integrity_check`` and renames it into place — a backup file is complete or absent.

The copy's ledger of Telegram sends is emptied: restored later, it could not know what the bot
posted after the backup, and a send it left unresolved must not be looked for by probing the
chat's newer messages (:mod:`tracker_bridge.telegram.send_ledger`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from tracker_bridge.store.records import StoreError

__all__ = ["BackupReport", "backup_sqlite"]

STEP_PAGES = 256  # pages per step: the daemon waits on the copy for at most one step's read


@dataclass(frozen=True)
class BackupReport:
    """What one backup wrote."""

    path: Path
    pages: int
    schema_version: int


def backup_sqlite(store: Path, target: Path) -> BackupReport:
    """Copy the store at ``store`` to ``target`` (replaced if present), checked."""
    if not store.is_file():
        raise StoreError(f"{store}: no store to back up")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        source = sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True)
        try:
            with contextlib.closing(sqlite3.connect(partial)) as copy:
                source.backup(copy, pages=STEP_PAGES)
                _forget_sends(copy)
                verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
                pages = int(copy.execute("PRAGMA page_count").fetchone()[0])
                version = int(copy.execute("PRAGMA user_version").fetchone()[0])
        finally:
            source.close()
        if verdict != "ok":
            raise StoreError(f"{target}: the copy fails its integrity check: {verdict}")
        partial.replace(target)
    except sqlite3.Error as exc:
        raise StoreError(f"{store}: backup failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(target, pages, version)


def _forget_sends(copy: sqlite3.Connection) -> None:
    """Empty the copy's send ledger (module doc); a store older than the ledger has none."""
    tables = copy.execute("SELECT 1 FROM sqlite_master WHERE name = 'telegram_sends'")
    if tables.fetchone() is not None:
        copy.execute("DELETE FROM telegram_sends")
        copy.commit()
