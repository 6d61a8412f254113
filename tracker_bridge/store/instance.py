"""Exactly one active daemon per SQLite store: an exclusive ``flock`` on ``<store>.lock``.

Two daemons on one store both read the inbox and both send: an operator who started a second
instance (only the metrics port changed) got 18 acknowledgments for 10 mails. The daemon therefore
takes this lock before it opens the store and holds it for its whole life; a second daemon finds
it taken, reads who holds it (pid, host, since — written into the lock file by the holder) and
refuses to start with one line and :data:`EX_ANOTHER_INSTANCE`.

Why ``flock`` on a side file and not a row in the database or a PID file: the kernel releases it
when the holder dies in any way (``kill -9``, OOM, power cut of a container), so a crash never
leaves a stale lock behind, and there is no PID to misread after a reboot; a side file does not
stand in the way of the other processes that may open the store next to the daemon (``quarantine``,
``check``, ``backup``). It binds processes on one host only (SQLite's own locking is no better over
a network file system): several hosts share a PostgreSQL store, not a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tracker_bridge.foundation.closing import Closing
from tracker_bridge.store.records import StoreError, to_text

__all__ = [
    "EX_ANOTHER_INSTANCE",
    "AnotherInstanceError",
    "HeldLock",
    "InstanceHolder",
    "InstanceLock",
    "LeadershipLost",
    "lock_path_for",
    "raise_if_fenced",
]

# EX_TEMPFAIL: not a broken configuration (that is 78) but a state that passes once the other
# instance stops; under systemd the unit's restart policy tries again later.
EX_ANOTHER_INSTANCE = 75


@dataclass(frozen=True)
class InstanceHolder:
    """Who holds the store: what the active daemon wrote into the lock file."""

    pid: int | None
    host: str
    since: str

    def describe(self) -> str:
        pid = "?" if self.pid is None else str(self.pid)
        return f"pid {pid} on {self.host or '?'} since {self.since or '?'}"


class AnotherInstanceError(StoreError):
    """Another daemon is active on this store; this one must not act."""

    def __init__(self, store: str, holder: InstanceHolder) -> None:
        self.store, self.holder = store, holder
        super().__init__(
            f"tracker-bridge: another daemon is already active on the store {store} "
            f"({holder.describe()}); refusing to start a second one"
        )


class LeadershipLost(StoreError):
    """This daemon led a shared store and lost it (a newer leader took over while it was
    silent): it stopped acting and ends, to come back as a standby."""


def raise_if_fenced(role: str | None, store: str) -> None:
    """After the daemon stopped: end with :class:`LeadershipLost` if leadership was lost."""
    if role == "fenced":
        raise LeadershipLost(
            f"tracker-bridge: leadership of the store {store} was lost to a newer leader; "
            "stopped acting, exiting to wait as a standby"
        )


def lock_path_for(store_path: str | os.PathLike[str]) -> Path:
    """The lock file beside the store: ``state.sqlite3`` → ``state.sqlite3.lock``."""
    path = Path(store_path)
    return path.with_name(path.name + ".lock")


class HeldLock(Closing):
    """A claim released by :meth:`release`, also on leaving a ``with`` block."""

    def release(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.release()


class InstanceLock(HeldLock):
    """The exclusive claim of one daemon process on one store, held until :meth:`release`."""

    def __init__(self, store_path: str | os.PathLike[str]) -> None:
        self.store = os.fspath(store_path)
        self.path = lock_path_for(store_path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, *, since: datetime) -> InstanceHolder:
        """Take the lock or raise :class:`AnotherInstanceError` naming the holder."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path}: already held by this object")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:  # the store's directory is missing or not ours: say which file
            raise StoreError(f"{self.store}: cannot open the store's lock file: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise AnotherInstanceError(self.store, holder) from None
        except BaseException:
            os.close(fd)
            raise
        me = InstanceHolder(os.getpid(), socket.gethostname(), to_text(since))
        text = json.dumps({"pid": me.pid, "host": me.host, "since": me.since}) + "\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(), 0)
        self._fd = fd
        return me

    def release(self) -> None:
        """Let another daemon take the store (the file stays: removing it would race a starter
        that has just opened it). Idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the last descriptor drops the flock


def _read_holder(fd: int) -> InstanceHolder:
    """What the holder wrote; a holder caught between taking the lock and writing it reads as
    unknown rather than failing the refusal."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        data = {}
    pid = data.get("pid")
    return InstanceHolder(
        pid if isinstance(pid, int) else None, str(data.get("host", "")), str(data.get("since", ""))
    )
