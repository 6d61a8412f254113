"""Latest-wins work per key: while one edit of a card is in flight, newer requests replace
each other, and only the newest is carried out next.

Ten rapid updates of one request therefore cost one or two edits, not ten, which keeps the bot
far from Telegram's per-chat limit. Every caller still gets an answer: the result of the run
that carried out its request or a newer one (or that run's exception).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

__all__ = ["Coalescer"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Slot(Generic[T, R]):
    item: T | None = None
    waiting: bool = False  # an item is queued (``item`` itself may legitimately be None)
    waiters: list[asyncio.Future[R]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class Coalescer(Generic[K, T, R]):
    """Runs ``work(key, item)`` one at a time per key, always with the newest item."""

    def __init__(self, work: Callable[[K, T], Awaitable[R]]) -> None:
        self._work = work
        self._slots: dict[K, _Slot[T, R]] = {}
        self.runs = 0  # how many times ``work`` ran (for tests and benchmarks)
        self.superseded = 0  # requests replaced by a newer one before they ran

    async def submit(self, key: K, item: T) -> R:
        """Queue ``item`` for ``key`` (replacing a queued older one) and wait for its run."""
        slot = self._slots.setdefault(key, _Slot())
        if slot.waiting:
            self.superseded += 1
        slot.item, slot.waiting = item, True
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        slot.waiters.append(future)
        if slot.task is None:
            slot.task = asyncio.create_task(self._drain(key, slot), name=f"coalesce:{key}")
        return await future

    async def _drain(self, key: K, slot: _Slot[T, R]) -> None:
        current: list[asyncio.Future[R]] = []
        try:
            while slot.waiting:
                item, current = cast(T, slot.item), slot.waiters
                slot.item, slot.waiting, slot.waiters = None, False, []
                self.runs += 1
                try:
                    result = await self._work(key, item)
                except Exception as error:
                    _settle(current, error=error)
                else:
                    _settle(current, result=result)
                current = []
        finally:
            # normally both are empty; after a cancellation nobody will run their work
            _cancel([*current, *slot.waiters])
            slot.task = None
            if self._slots.get(key) is slot:
                del self._slots[key]

    async def close(self) -> None:
        """Cancel the runs in flight; their waiters are cancelled too."""
        tasks = [slot.task for slot in self._slots.values() if slot.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _settle(
    waiters: list[asyncio.Future[R]], *, result: R | None = None, error: Exception | None = None
) -> None:
    for waiter in waiters:
        if waiter.done():
            continue  # its caller was cancelled
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(result)  # type: ignore[arg-type]


def _cancel(waiters: list[asyncio.Future[R]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.cancel()
