"""``tracker-bridge backup [TARGET]``: a consistent copy of the state database, daemon running.

TARGET is a file, or a directory that receives ``state-<UTC time>.sqlite3``; without it, the
store's own directory's ``backups/``. Prints one line (the file, its size in pages, the schema
version) and exits 0, or says why not and exits 1. Restore: docs/operations.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracker_bridge.cli.common import clock_of, quiet_logging, settings_of
from tracker_bridge.store.backup import backup_sqlite
from tracker_bridge.store.records import StoreError

__all__ = ["main", "target_path"]


def target_path(store: Path, target: str | None, stamp: str) -> Path:
    """Where the copy goes: ``target`` as a file, or a stamped file in a directory."""
    name = f"state-{stamp}.sqlite3"
    if target is None:
        return store.parent / "backups" / name
    path = Path(target)
    return path / name if path.is_dir() or target.endswith("/") else path


def main(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if settings.store_url is not None:
        sys.stderr.write(
            "tracker-bridge backup: the store is in PostgreSQL: back it up with PostgreSQL's own"
            " tools (pg_dump -Fc, or continuous archiving); see docs/operations.md\n"
        )
        return 1
    stamp = clock_of(args).now().strftime("%Y%m%dT%H%M%SZ")
    target = target_path(settings.store_path, args.target, stamp)
    with quiet_logging(args):
        try:
            report = backup_sqlite(settings.store_path, target)
        except StoreError as exc:
            sys.stderr.write(f"tracker-bridge backup: {exc}\n")
            return 1
    sys.stdout.write(
        f"backup: {report.path} ({report.pages} pages, schema version {report.schema_version},"
        f" integrity ok)\n"
    )
    return 0
