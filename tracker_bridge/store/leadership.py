"""Active/passive on a shared PostgreSQL store: a leader lease with a fencing token (issue 13.5).

Every daemon of one installation (two hosts, one PostgreSQL, the mailbox and Tracker shared)
opens a connection of its own to the store and tries ``pg_try_advisory_lock``. The one that gets
it is the **leader**: it bumps ``instance_holder.epoch`` (its fencing token), records its pid,
host, backend and start, and renews ``renewed_at`` every third of the lease. The others are
**standbys**: every ``check_interval`` they try again. The lock is released by the server the
moment the leader's connection ends — its process was killed, it exited — so a standby takes over
within one check interval (plus its start). A leader that stops renewing while its connection
stays open (SIGSTOP, a hung host whose kernel still answers TCP) is taken over once its lease
has run out: the standby terminates the silent leader's backend and takes the lock.

**Fencing.** Before every external effect (a Tracker write, an email, a Telegram message) the
effects ask :meth:`Leadership.check`: one query on the leader's own connection that the epoch is
still its own. A former leader that wakes up finds its connection terminated (or a newer epoch)
and raises :class:`FencedError` instead of acting; its renewal task then stops the daemon. An
email is checked once more inside the SMTP conversation, right before the final "." that commits
it (:meth:`Leadership.gate`, run as :attr:`tracker_bridge.service.outbox.Outbox.gate`), so a
leader paused mid-send is refused when it wakes. The gate also distrusts a "yes" that took more
than a quarter of the lease to arrive: a leader paused *during* that round trip gets the server's
answer, true when it was given, only after a standby may have taken over. What no lease can
close: a pause between the gate's last reading of the monotonic clock and the dot's ``send``
(microseconds) — SMTP and the Bot API take no fencing token. docs/operations.md.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
import structlog

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.service.effects import TransientEffectError
from tracker_bridge.store.instance import AnotherInstanceError, HeldLock, InstanceHolder
from tracker_bridge.store.postgres import redacted
from tracker_bridge.store.records import StoreError, to_text

__all__ = ["INSTANCE_LOCK", "FencedError", "Leadership", "LeaseSettings"]

log = structlog.get_logger(__name__)

INSTANCE_LOCK = 0x7462_6163_7469_7665  # "tbactive": any constant other programs do not use

_HOLDER = """
CREATE TABLE IF NOT EXISTS instance_holder (
    id          SMALLINT PRIMARY KEY CHECK (id = 1),
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    since       TEXT NOT NULL,
    epoch       BIGINT NOT NULL DEFAULT 0,
    backend_pid INTEGER,
    renewed_at  TIMESTAMPTZ
)
"""


class FencedError(TransientEffectError):
    """This daemon is no longer the leader: it must not act (the message stays in the inbox,
    the effect is the new leader's)."""


@dataclass(frozen=True)
class LeaseSettings:
    """How leadership passes: a silent leader keeps it for ``lease``; standbys try every
    ``check_interval``. ``standby=False``: a second daemon refuses to start instead (exit 75)."""

    lease: timedelta = timedelta(seconds=20)
    check_interval: timedelta = timedelta(seconds=5)
    standby: bool = True


class Leadership(HeldLock):
    """This daemon's claim on a PostgreSQL store: acquire (or wait as a standby), renew, check."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        lease: LeaseSettings | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url, self.name = url, redacted(url)
        self._clock = clock
        self.lease = lease or LeaseSettings()
        self._options: dict[str, Any] = {"autocommit": True, "connect_timeout": timeout}
        if password is not None:
            self._options["password"] = password
        # keepalives: a leader whose host vanished is let go within about a minute anyway
        self._options |= {"keepalives": 1, "keepalives_idle": 20, "keepalives_interval": 5,
                          "keepalives_count": 4}  # fmt: skip
        self._conn: psycopg.Connection[Any] | None = None
        self.epoch = 0
        self.role = "starting"
        self.on_lost: Callable[[], None] | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None and not self._conn.closed

    # --- becoming the leader ---------------------------------------------------------------
    async def acquire(
        self, *, since: datetime, on_standby: Callable[[str], None] | None = None
    ) -> InstanceHolder:
        """Become the leader, waiting as a standby while another one is alive (or refuse with
        :class:`AnotherInstanceError` when ``standby`` is off). ``on_standby`` hears once that
        this daemon waits, and who leads."""
        announced = False
        while True:
            me, holder = await asyncio.to_thread(self._try, since)
            if me is not None:
                self.role = "active"
                log.info("leadership.acquired", epoch=self.epoch, store=self.name)
                return me
            assert holder is not None
            if not self.lease.standby:
                raise AnotherInstanceError(self.name, holder)
            if not announced:
                self.role = "standby"
                log.info("leadership.standby", holder=holder.describe(), store=self.name)
                announced = True
                if on_standby is not None:
                    on_standby(holder.describe())
            await self._clock.sleep(self.lease.check_interval.total_seconds())

    def _try(self, since: datetime) -> tuple[InstanceHolder | None, InstanceHolder | None]:
        """One attempt: (me, None) as the new leader, or (None, the holder)."""
        conn = self._connect()
        try:
            conn.execute(_HOLDER)
            taken = conn.execute("SELECT pg_try_advisory_lock(%s)", (INSTANCE_LOCK,)).fetchone()
            if not (taken and taken[0]):
                holder = self._holder_or_take_over(conn)
                conn.close()
                return None, holder
            me = InstanceHolder(os.getpid(), socket.gethostname(), to_text(since))
            row = conn.execute(
                "INSERT INTO instance_holder (id, pid, host, since, epoch, backend_pid,"
                " renewed_at) VALUES (1, %s, %s, %s, 1, pg_backend_pid(), now())"
                " ON CONFLICT (id) DO UPDATE SET pid = EXCLUDED.pid, host = EXCLUDED.host,"
                " since = EXCLUDED.since, epoch = instance_holder.epoch + 1,"
                " backend_pid = EXCLUDED.backend_pid, renewed_at = now() RETURNING epoch",
                (me.pid, me.host, me.since),
            ).fetchone()
        except BaseException:
            conn.close()
            raise
        self._conn, self.epoch = conn, int(row[0]) if row else 0
        return me, None

    def _holder_or_take_over(self, conn: psycopg.Connection[Any]) -> InstanceHolder:
        """Who leads; if its lease ran out (it stopped renewing: paused, hung), end its
        backend so that the lock is free for the next attempt."""
        row = conn.execute(
            "SELECT pid, host, since, backend_pid, now() - renewed_at > %s FROM instance_holder",
            (self.lease.lease,),
        ).fetchone()
        if row is None:
            return InstanceHolder(None, "", "")
        pid, host, since, backend, expired = row
        holder = InstanceHolder(pid, host, since)
        if expired and backend is not None and self.lease.standby:
            conn.execute("SELECT pg_terminate_backend(%s)", (backend,))
            log.warning("leadership.lease_expired", holder=holder.describe(), store=self.name)
        return holder

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, **self._options)
        except psycopg.Error as exc:
            raise StoreError(f"{self.name}: cannot open the store: {exc}") from exc

    # --- being the leader ------------------------------------------------------------------
    def check(self) -> None:
        """The fence: still the leader, by this connection and this epoch? Renews the lease
        too. Raises :class:`FencedError` if not; blocking (one round trip)."""
        conn = self._conn
        if conn is None or conn.closed:
            raise FencedError(f"{self.name}: not the leader")
        try:
            row = conn.execute(
                "UPDATE instance_holder SET renewed_at = now() WHERE epoch = %s"
                " AND backend_pid = pg_backend_pid() RETURNING epoch",
                (self.epoch,),
            ).fetchone()
        except psycopg.Error as exc:
            self._lose(f"connection lost: {exc}")
            raise FencedError(f"{self.name}: leadership lost: {exc}") from exc
        if row is None:
            self._lose("a newer leader holds the store")
            raise FencedError(f"{self.name}: a newer leader holds the store")

    def gate(self) -> None:
        """The fence right before an effect that cannot be taken back (SMTP's final "."):
        :meth:`check`, and an answer that took longer than a quarter of the lease is refused.

        A leader paused (SIGSTOP, a frozen VM) while its check was on the wire reads, when it
        wakes, the "still yours" the server gave before the pause; a standby may have taken
        over since. An answer that came back within a quarter of the lease was given less than
        that ago, so the renewal it made still holds and no standby can lead yet. The monotonic
        clock, not the injected one: this measures how long this process was away, which only
        the real clock sees. Raises :class:`FencedError` (transient: the effect is tried again,
        by this daemon if it still leads, else by the new leader)."""
        started = time.monotonic()
        self.check()
        took = time.monotonic() - started
        if took > self.lease.lease.total_seconds() / 4:
            raise FencedError(
                f"{self.name}: the leadership check took {took:.1f} s, too long to trust"
            )

    async def keep(self) -> None:
        """Renew the lease every third of it until it is lost (then :attr:`on_lost`)."""
        every = self.lease.lease.total_seconds() / 3
        while self.role == "active":
            await self._clock.sleep(every)
            try:
                await asyncio.to_thread(self.check)
            except FencedError:
                return
            except StoreError:
                continue  # the server away for a moment: the lease may still hold

    def _lose(self, why: str) -> None:
        if self.role != "active":
            return
        self.role = "fenced"
        log.error("leadership.lost", epoch=self.epoch, why=why, store=self.name)
        if self.on_lost is not None:
            self.on_lost()

    def release(self) -> None:
        """Step down: closing the connection frees the lock at once."""
        conn, self._conn = self._conn, None
        if self.role == "active":
            self.role = "stopped"
        if conn is not None:
            conn.close()
