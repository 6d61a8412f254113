"""The store in PostgreSQL (psycopg 3): for more than one host, chosen by a ``postgresql://`` URL.

The same :class:`~tracker_bridge.store.sql_store.SqlStore` logic as SQLite, on one connection
guarded by a lock (worker threads share the object, as with SQLite). Every write is one
transaction, committed durably (PostgreSQL's default ``synchronous_commit``); reads run in
autocommit. A connection that breaks (a server restart, a network cut) is reopened on the next
call; the call that met the break raises :class:`~tracker_bridge.store.records.StoreError`, which
the daemon treats as an outage (the message stays in the inbox, the loop backs off).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg

from tracker_bridge.store import pg_sql
from tracker_bridge.store.pg_migrations import migrate
from tracker_bridge.store.records import StoreClosedError, StoreError
from tracker_bridge.store.sql_store import SqlStore

__all__ = ["PostgresStore", "redacted"]


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
        self, url: str, *, password: str | None = None, connect_timeout: float = 10.0
    ) -> None:
        self.url = url
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
            options: dict[str, Any] = {"autocommit": True, "connect_timeout": self._timeout}
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
                        yield db
                else:
                    yield db
            except psycopg.OperationalError as exc:  # the connection or the server went away
                raise StoreError(f"{self.name}: {exc}") from exc
