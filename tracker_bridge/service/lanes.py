"""Keyed ordering: run jobs side by side, except those that depend on one another.

A backlog of a thousand requests from one clinic should not wait 1,000 Tracker round trips in a
row, but a reply must not overtake the message it answers, two messages on one issue must land in
the order they came, and one sender's answer counter must not be read by two jobs at once. Each
job names the *keys* it touches (a sender, a Message-ID, an issue); a job starts only when every
earlier job sharing one of its keys has finished, and at most ``limit`` run at once. Jobs that
share nothing start in submission order as slots free up, so ``limit=1`` is a plain sequential
loop.

After the first failure no further job starts (``stop_on_error``) — an outage should back off,
not be hammered by the rest of the backlog — and the jobs already running are waited for. The
result tells, per job, what happened; the caller decides what to retry.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Job", "JobResult", "run_ordered"]

T = TypeVar("T")


@dataclass(frozen=True)
class Job(Generic[T]):
    """One unit of work and the keys it must not share with an earlier unfinished job."""

    keys: Collection[str]
    work: Callable[[], Awaitable[T]]


@dataclass(frozen=True)
class JobResult(Generic[T]):
    """``started`` False: never run (stopped); else ``error`` or ``value``."""

    started: bool
    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.started and self.error is None


class _Plan:
    """Which jobs may start: per key, the queue of unfinished jobs that hold it."""

    def __init__(self, keys: Sequence[Collection[str]]) -> None:
        self._keys = [frozenset(k) for k in keys]
        self._queues: defaultdict[str, deque[int]] = defaultdict(deque)
        for index, held in enumerate(self._keys):
            for key in held:
                self._queues[key].append(index)
        self._waiting: dict[int, None] = dict.fromkeys(range(len(keys)))  # ordered set

    def ready(self, wanted: int) -> list[int]:
        """Up to ``wanted`` waiting jobs that are first in line for every key they hold, in
        submission order (the scan stops once it has them: a backlog of independent jobs costs
        O(1) per start)."""
        found: list[int] = []
        for i in self._waiting:
            if len(found) >= wanted:
                break
            if all(self._queues[k][0] == i for k in self._keys[i]):
                found.append(i)
        return found

    def start(self, index: int) -> None:
        del self._waiting[index]

    def finish(self, index: int) -> None:
        for key in self._keys[index]:
            self._queues[key].popleft()  # the finished job was first in line for each


async def run_ordered(
    jobs: Sequence[Job[T]],
    *,
    limit: int,
    stop: Callable[[], bool] = lambda: False,
    stop_on_error: bool = True,
) -> list[JobResult[T]]:
    """Run ``jobs`` under keyed ordering, at most ``limit`` at once; one result per job, in order.

    ``stop()`` is asked before each start: once it says True no further job starts (a shutdown
    lets the jobs in hand finish). ``asyncio.CancelledError`` is never swallowed.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    plan = _Plan([job.keys for job in jobs])
    results: list[JobResult[T]] = [JobResult(started=False) for _ in jobs]
    running: dict[asyncio.Task[T], int] = {}
    halted = False
    try:
        while True:
            if not halted and not stop():
                for index in plan.ready(limit - len(running)):
                    plan.start(index)
                    running[asyncio.ensure_future(jobs[index].work())] = index
            if not running:
                return results
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                index = running.pop(task)
                plan.finish(index)
                error = task.exception()  # raises CancelledError if the job was cancelled
                results[index] = JobResult(True, None if error else task.result(), error)
                halted = halted or (stop_on_error and error is not None)
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
