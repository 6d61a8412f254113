"""Group commit for the SQLite store: its WAL made durable by a thread of its own.

A durable transaction used to fsync the WAL inside ``COMMIT`` (``synchronous=FULL``), on the
event loop: a few fsyncs per email, each a few milliseconds on a busy disk, all of them stalling
every other task. In group-commit mode the store commits with ``synchronous=NORMAL`` (the frames
are written to the WAL, which a kill -9 of the process cannot lose: they are in the kernel) and
tells :class:`WalSyncer`, whose thread fsyncs the WAL file once for every commit made meanwhile.

What a power cut could still take is then only what nobody outside has seen: the callers await
:meth:`WalSyncer.flushed` before every side effect outside the store (a Tracker write, an email,
a message leaving the inbox), so whatever the journal says before an effect is on disk before
the effect happens — the write-ahead order ``synchronous=FULL`` gave, at one fsync per batch.
A durable commit that no effect follows is synced at once all the same (the thread does not
wait for a caller), so its window is one fsync, as with FULL.

Why fsync the file from another descriptor: fsync flushes the file (the inode), not the
descriptor's writes, and SQLite's own FULL sync is the same call on the same file. In NORMAL
mode SQLite syncs the WAL before each checkpoint and the database after it, so what a checkpoint
moved is durable too; a WAL that is gone was checkpointed and removed by SQLite itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable

import structlog

from tracker_bridge.store.records import StoreError

__all__ = ["WalSyncer"]

log = structlog.get_logger(__name__)


def fsync_file(path: str) -> None:
    """Flush ``path`` to disk; a file that does not exist has nothing to flush."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_Waiter = tuple[int, asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class WalSyncer:
    """Makes the commits so far durable with one fsync per round, in a thread of its own.

    :meth:`committed` is called after each durable commit (cheap: a counter and a notify);
    :meth:`flushed` (async: the event loop never waits on the disk) and :meth:`flush`
    (blocking) return once every durable commit made before the call is on disk, and raise
    :class:`StoreError` if the fsync failed (the round's waiters all see it; the next commit
    tries again, as the next FULL commit would).
    """

    def __init__(self, path: str, *, sync: Callable[[str], None] | None = None) -> None:
        self._path, self._sync = path, sync  # None: :func:`fsync_file`, looked up per round
        self._cond = threading.Condition()
        self._committed = 0  # durable commits made
        self._synced = 0  # of those, on disk
        self._failed: tuple[int, BaseException] | None = None  # the last round's failure
        self._waiters: list[_Waiter] = []
        self._closing = False
        self._stopped = False  # the thread ended: nothing will be synced any more
        self._thread = threading.Thread(target=self._run, name="store-wal-sync", daemon=True)
        self._thread.start()

    @property
    def rounds(self) -> int:
        """Durable commits made so far (what :meth:`flushed` waits for)."""
        return self._committed

    def committed(self) -> None:
        """A durable commit was made: sync it (and whatever else comes meanwhile) at once."""
        with self._cond:
            self._committed += 1
            self._cond.notify_all()

    async def flushed(self) -> None:
        """Once every durable commit made so far is on disk."""
        loop = asyncio.get_running_loop()
        with self._cond:
            target = self._committed
            if self._synced >= target:
                return
            self._raise_if_failed(target)
            future: asyncio.Future[None] = loop.create_future()
            self._waiters.append((target, loop, future))
        await future

    def flush(self) -> None:
        """:meth:`flushed`, blocking (the store's close, and callers without a loop)."""
        with self._cond:
            target = self._committed
            while self._synced < target:
                self._raise_if_failed(target)
                self._cond.wait()

    def close(self) -> None:
        """Sync what is left, then stop the thread; idempotent."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join()

    def _raise_if_failed(self, target: int) -> None:
        failed = self._failed
        if failed is not None and failed[0] >= target:
            raise StoreError(f"{self._path}: cannot flush the store: {failed[1]}")
        if self._stopped:
            raise StoreError(f"{self._path}: the store is closed")

    def _run(self) -> None:
        try:
            while self._round():
                pass
        finally:
            with self._cond:
                self._stopped = True
                self._answer(lambda _target: StoreError(f"{self._path}: the store is closed"))

    def _round(self) -> bool:
        """Sync once for every commit made so far; False once closing with nothing left."""
        with self._cond:
            while self._synced == self._committed and not self._closing:
                self._cond.wait()
            if self._synced == self._committed:
                return False
            target = self._committed
        try:
            (self._sync or fsync_file)(self._path)
        except OSError as exc:
            log.error("store.flush_failed", path=self._path, error=str(exc))
            error = StoreError(f"{self._path}: cannot flush the store: {exc}")
            with self._cond:
                self._failed = (target, exc)
                self._answer(lambda _target: error)
                # the next commit tries again; until then there is nothing to sync
                while self._committed == target and not self._closing:
                    self._cond.wait()
                return not self._closing
        with self._cond:
            self._synced, self._failed = target, None
            self._answer(lambda _target: None)
        return True

    def _answer(self, outcome: Callable[[int], BaseException | None]) -> None:
        """Wake the blocking waiters, and settle the async ones whose commits this round
        covered (under the lock): ``outcome(target)`` is their error, or None."""
        self._cond.notify_all()
        kept: list[_Waiter] = []
        for target, loop, future in self._waiters:
            covered = target <= self._synced or (
                self._failed is not None and target <= self._failed[0]
            )
            if not covered and not self._stopped:
                kept.append((target, loop, future))
                continue
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, future, outcome(target))
        self._waiters = kept


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the waiter was cancelled
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
