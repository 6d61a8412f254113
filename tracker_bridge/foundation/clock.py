"""Time for the imperative shell.

The functional core never reads the time: the shell asks a :class:`Clock` and passes ``now`` in.
Tests and the demo use :class:`ManualClock`, whose :meth:`ManualClock.advance` moves time and wakes
the sleepers that became due, so "ten working days later" takes milliseconds (Twisted's
``task.Clock``). ``ManualClock`` is thread-safe because the fake servers read it from their own
threads.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Where the shell gets the time from."""

    def now(self) -> datetime:
        """The current time, always timezone-aware."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """The real time and the real ``asyncio.sleep``."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that moves only when told to.

    Sleepers are parked on futures of the loop they slept on; :meth:`advance` resolves the ones
    whose wake-up time has come, in order, from whichever thread calls it.
    """

    def __init__(self, start: datetime) -> None:
        _require_aware(start)
        self._now = start
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            due = self._now + timedelta(seconds=seconds)
            heapq.heappush(self._sleepers, (due, next(self._seq), future))
        await future

    @property
    def sleepers(self) -> int:
        """How many coroutines are waiting on this clock (for tests and the demo)."""
        with self._lock:
            return sum(1 for _, _, fut in self._sleepers if not fut.done())

    def next_wakeup(self) -> datetime | None:
        """The earliest time a sleeper waits for, if any."""
        with self._lock:
            live = [due for due, _, fut in self._sleepers if not fut.done()]
        return min(live) if live else None

    def advance(self, delta: timedelta | float) -> datetime:
        """Move time forward and wake every sleeper whose time has come."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += step
            now = self._now
            due: list[asyncio.Future[None]] = []
            while self._sleepers and self._sleepers[0][0] <= now:
                due.append(heapq.heappop(self._sleepers)[2])
        for future in due:
            _wake(future)
        return now

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (not earlier than now), waking sleepers on the way."""
        _require_aware(when)
        return self.advance(when - self.now())


def _wake(future: asyncio.Future[None]) -> None:
    loop = future.get_loop()
    if loop.is_closed():
        return

    def resolve() -> None:
        if not future.done():
            future.set_result(None)

    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        resolve()
    else:
        loop.call_soon_threadsafe(resolve)


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: tracker-bridge only works with aware times")
