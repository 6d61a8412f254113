"""The store in one SQLite file (WAL): what survives a restart of the daemon.

One connection per store, guarded by a lock, so worker threads may share the object; other
processes (the ``quarantine`` CLI next to a running daemon) wait on the busy timeout. Writes use
``BEGIN IMMEDIATE`` so a read-modify-write (the journal) never loses to another writer.

Durability: ``synchronous=NORMAL`` in WAL mode survives a crash of the process but may lose the
last commits on a power cut. For the records exactly-once depends on (the journal, the duplicate
guard, ``unique`` → issue) a lost commit means a repeated side effect, so those transactions
switch to ``synchronous=FULL`` (one fsync of the WAL each; the bridge writes a few per message).
Losing a cursor, card or counter update costs only a repeated read or an edited card.

Group commit (``group_commit=True``, the daemon's mode): durable transactions commit with
``NORMAL`` too, and :class:`~tracker_bridge.store.wal_sync.WalSyncer` fsyncs the WAL in a thread
of its own, once for all the commits made meanwhile; the daemon awaits :meth:`flushed` before
every side effect outside the store, so what the journal says before an effect is on disk
before the effect, and the event loop never waits on the disk (issue 11.10).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from tracker_bridge.store import sql
from tracker_bridge.store.migrations import migrate
from tracker_bridge.store.records import StoreClosedError, StoreError
from tracker_bridge.store.sql_store import SqlStore
from tracker_bridge.store.wal_sync import WalSyncer

__all__ = ["CACHE_KIB", "SqliteStore"]

# SQLite's page cache (per connection) keeps up to 2 MiB by default, and the daemon's file grows
# with every request: the cache grew with it, the largest part of the daemon's memory growth
# (benchmarks/bench_daemon.py, "memory"). The hot pages (indexes, the latest journal entries) fit
# in far less; the rest is one read from the OS's file cache away.
CACHE_KIB = 128


def _open(path: str, busy_timeout: float) -> sqlite3.Connection:
    """A configured connection to ``path``, its schema migrated; closed again on failure."""
    db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000):d}")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{path}: SQLite refused WAL mode (got {mode!r})")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA cache_size = {-CACHE_KIB:d}")
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


class SqliteStore(SqlStore):
    """:class:`~tracker_bridge.store.protocol.Store` in a SQLite file, migrated on open."""

    _sql = sql

    def __init__(
        self, path: str | os.PathLike[str], *, busy_timeout: float = 5.0, group_commit: bool = False
    ) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._closed = False
        try:
            self._db = _open(self.path, busy_timeout)
        except sqlite3.Error as exc:  # say which file: sqlite3's messages do not
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc
        self._syncer = WalSyncer(f"{self.path}-wal") if group_commit else None

    async def flushed(self) -> None:
        """Once every durable transaction committed so far is on disk (group commit; without
        it each one was before its call returned)."""
        if self._syncer is not None:
            await self._syncer.flushed()

    # --- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                if self._syncer is not None:
                    self._syncer.close()  # what was committed is synced first
                self._db.close()

    def pragmas(self) -> dict[str, int | str]:
        """The connection's settings, for ``tracker-bridge check`` and the tests."""
        names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "user_version",
                 "cache_size")  # fmt: skip
        with self._conn() as db:
            return {name: db.execute(f"PRAGMA {name}").fetchone()[0] for name in names}

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._conn()

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StoreClosedError(f"{self.path}: store is closed")
            yield self._db

    @contextmanager
    def _tx(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction; ``durable`` ones are fsynced before they return, or in group
        commit by the syncer, before :meth:`flushed` returns."""
        syncer = self._syncer if durable else None
        durable = durable and syncer is None
        with self._conn() as db:
            if durable:
                db.execute("PRAGMA synchronous = FULL")
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                    db.execute("COMMIT")
                    if syncer is not None:
                        syncer.committed()
                except BaseException:
                    if db.in_transaction:  # SQLite may have rolled back already
                        db.execute("ROLLBACK")
                    raise
            finally:
                if durable:
                    db.execute("PRAGMA synchronous = NORMAL")
