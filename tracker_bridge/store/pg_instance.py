"""Exactly one active daemon on a PostgreSQL store: a session advisory lock.

The holder keeps a connection of its own open for its whole life with
``pg_advisory_lock(INSTANCE_LOCK)`` held, and writes who it is (pid, host, since) into
``instance_holder``. The server drops the lock the moment that connection ends — the process
exited, was killed, or its host vanished and TCP keepalive gave up on it — so a crash never
leaves a stale lock. A second daemon finds the lock taken, reads the holder and refuses, as on
SQLite (:mod:`tracker_bridge.store.instance`).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

import psycopg

from tracker_bridge.store.instance import AnotherInstanceError, HeldLock, InstanceHolder
from tracker_bridge.store.postgres import redacted
from tracker_bridge.store.records import StoreError, to_text

__all__ = ["INSTANCE_LOCK", "PostgresInstanceLock"]

INSTANCE_LOCK = 0x7462_6163_7469_7665  # "tbactive": any constant other daemons do not use

_HOLDER = """
CREATE TABLE IF NOT EXISTS instance_holder (
    id    SMALLINT PRIMARY KEY CHECK (id = 1),
    pid   INTEGER NOT NULL,
    host  TEXT NOT NULL,
    since TEXT NOT NULL
)
"""


class PostgresInstanceLock(HeldLock):
    """The exclusive claim of one daemon on one PostgreSQL store, held until :meth:`release`."""

    def __init__(self, url: str, *, password: str | None = None, timeout: float = 10.0) -> None:
        self.url, self.name = url, redacted(url)
        self._options: dict[str, Any] = {"autocommit": True, "connect_timeout": timeout}
        if password is not None:
            self._options["password"] = password
        # keepalives: a holder whose host vanished is let go within about a minute
        self._options |= {"keepalives": 1, "keepalives_idle": 20, "keepalives_interval": 5,
                          "keepalives_count": 4}  # fmt: skip
        self._conn: psycopg.Connection[Any] | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def acquire(self, *, since: datetime) -> InstanceHolder:
        try:
            conn = psycopg.connect(self.url, **self._options)
        except psycopg.Error as exc:
            raise StoreError(f"{self.name}: cannot open the store: {exc}") from exc
        try:
            conn.execute(_HOLDER)
            taken = conn.execute("SELECT pg_try_advisory_lock(%s)", (INSTANCE_LOCK,)).fetchone()
            if not (taken and taken[0]):
                row = conn.execute("SELECT pid, host, since FROM instance_holder").fetchone()
                holder = InstanceHolder(*row) if row else InstanceHolder(None, "", "")
                raise AnotherInstanceError(self.name, holder)
            me = InstanceHolder(os.getpid(), socket.gethostname(), to_text(since))
            conn.execute(
                "INSERT INTO instance_holder VALUES (1, %s, %s, %s) ON CONFLICT (id) DO UPDATE"
                " SET pid = EXCLUDED.pid, host = EXCLUDED.host, since = EXCLUDED.since",
                (me.pid, me.host, me.since),
            )
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return me

    def release(self) -> None:
        """Let another daemon take the store (closing the connection drops the lock)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
