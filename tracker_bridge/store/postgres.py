"""The store in PostgreSQL (psycopg 3): for more than one host, chosen by a ``postgresql://`` URL.

The same :class:`~tracker_bridge.store.sql_store.SqlStore` logic as SQLite, on one connection
guarded by a lock (worker threads share the object, as with SQLite). Every write is one
transaction, committed durably (PostgreSQL's default ``synchronous_commit``); reads run in
autocommit. A connection that breaks (a server restart, a network cut) is reopened on the next
call; the call that met the break raises :class:`~tracker_bridge.store.records.StoreError`, which
the daemon treats as an outage (the message stays in the inbox, the loop backs off).

Fenced writes (active/passive, :mod:`tracker_bridge.store.leadership`): a leader's store is
opened with its fencing token, and every write transaction first takes a share lock on
``instance_holder`` and finds the token still current — so a former leader that wakes between a
passed check and its commit has that write refused (:class:`StaleLeaderError`, rolled back), and
a newer leader's bump of the token waits for a write in flight instead of slipping under it.
A leader frozen *inside* a transaction would hold that lock: the server ends such a session
after :data:`IDLE_IN_WRITE` idle (below the lease), so a takeover never waits for the pause.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg

from tracker_bridge.store import pg_sql
from tracker_bridge.store.pg_migrations import migrate
from tracker_bridge.store.records import StaleLeaderError, StoreClosedError, StoreError
from tracker_bridge.store.sql_store import SqlStore

__all__ = ["IDLE_IN_WRITE", "PostgresStore", "StaleLeaderError", "redacted"]

# How long the server lets a transaction of ours sit idle before it ends the session: ours run
# their statements back to back, so only a frozen process reaches it (below the 20 s lease)
IDLE_IN_WRITE = 10
# the connection or the server went away, or the server ended a transaction left idle
_GONE = (psycopg.OperationalError, psycopg.errors.IdleInTransactionSessionTimeout)
_FENCE = "SELECT 1 FROM instance_holder WHERE id = 1 AND epoch = %s FOR SHARE"


def redacted(url: str) -> str:
    """``url`` without a password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparsable PostgreSQL URL>"
    host, port, db = info.get("host", ""), info.get("port", ""), info.get("dbname", "")
    user = info.get("user", "")
    return f"postgresql://{user}@{host}{':' + str(port) if port else ''}/{db}"


class PostgresStore(SqlStore):
    """:class:`~tracker_bridge.store.protocol.Store` in a PostgreSQL database, migrated on open."""

    _sql = pg_sql

    def __init__(
        self,
        url: str,
        *,
        password: str | None = None,
        connect_timeout: float = 10.0,
        fence_epoch: int | None = None,
    ) -> None:
        """``fence_epoch``: the leader's fencing token; every write checks it (module doc)."""
        self.url = url
        self.fence_epoch = fence_epoch
        self.name = redacted(url)
        self._password, self._timeout = password, connect_timeout
        self._lock = threading.Lock()
        self._closed = False
        self._db: psycopg.Connection[Any] | None = None
        with self._lock:
            try:
                migrate(self._connection())
            except BaseException:
                self._closed = True
                if self._db is not None:
                    self._db.close()
                raise

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                if self._db is not None:
                    self._db.close()

    def _connection(self) -> psycopg.Connection[Any]:
        """The open connection, reopened if it broke (called with the lock held)."""
        if self._closed:
            raise StoreClosedError(f"{self.name}: store is closed")
        if self._db is None or self._db.closed or self._db.broken:
            options: dict[str, Any] = {
                "autocommit": True,
                "connect_timeout": self._timeout,
                "options": f"-c idle_in_transaction_session_timeout={IDLE_IN_WRITE}s",
            }
            if self._password is not None:
                options["password"] = self._password
            try:
                self._db = psycopg.connect(self.url, **options)
            except psycopg.Error as exc:
                raise StoreError(f"{self.name}: cannot open the store: {exc}") from exc
        return self._db

    def _read(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        return self._guarded(transaction=False)

    def _tx(self, durable: bool = False) -> AbstractContextManager[psycopg.Connection[Any]]:
        return self._guarded(transaction=True)  # every PostgreSQL commit is durable

    @contextmanager
    def _guarded(self, *, transaction: bool) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            db = self._connection()
            try:
                if transaction:
                    with db.transaction():
                        self._fence(db)
                        yield db
                else:
                    yield db
            except _GONE as exc:
                raise StoreError(f"{self.name}: {exc}") from exc

    def _fence(self, db: psycopg.Connection[Any]) -> None:
        """Refuse the write unless this store's leader still holds the fencing token."""
        if self.fence_epoch is None:
            return
        if db.execute(_FENCE, (self.fence_epoch,)).fetchone() is None:
            raise StaleLeaderError(f"{self.name}: a newer leader holds the store; write refused")
