"""The one way the tests wait for something: :func:`eventually` (and, for a synchronous test,
:func:`eventually_blocking`).

Given a :class:`~tracker_bridge.foundation.clock.ManualClock` it waits in business time: between
looks the
loops get the event loop for a moment and the clock moves ``step`` seconds on; ``within`` is
clock seconds, so "ten working days later" takes milliseconds. Without a clock it waits in real
time, for work done in another thread or process (a real server, a daemon child): ``within`` real
seconds is a guard against a hang, never a wait for time to pass. Either way it returns how long
it took and fails naming ``what`` was awaited and, when given, ``state()`` — what is missing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

from tracker_bridge.foundation.clock import ManualClock

__all__ = ["eventually", "eventually_blocking", "still_running"]

_TICK = 0.005  # real seconds the loops get between looks on the clock
# real seconds between looks in real time: what is awaited runs elsewhere, and a test that acts
# the moment a record appears (a kill) leaves it this long to get on with its work
_REAL_TICK = 0.05


def _nothing() -> str:
    return ""


def still_running(task: asyncio.Task[Any]) -> Callable[[], None]:
    """An ``alive`` for :func:`eventually`: raises once ``task`` (a daemon's run) has ended,
    with its error if it failed."""

    def alive() -> None:
        if task.done():
            task.result()
            raise AssertionError("the daemon stopped")

    return alive


async def eventually(
    done: Callable[[], bool],
    within: float,
    what: str = "done",
    state: Callable[[], str] = _nothing,
    *,
    clock: ManualClock | None = None,
    step: float = 1.0,
    alive: Callable[[], None] | None = None,
    patience: float = 0.0,
    every: float = _REAL_TICK,
) -> float:
    """Wait until ``done()``; the seconds it took (clock seconds given a ``clock``). ``alive()``
    is called between looks and raises once what is awaited can no longer happen (a stopped
    daemon). ``patience``: real seconds each clock step's work may take before the clock moves
    on — for work in threads and worker processes that no event announces, so that what is
    measured is the clock's share (a backoff), not how busy this machine is. ``every``: real
    seconds between looks in real time (the demo looks often: it waits for its own loops)."""
    if clock is None:
        return await _real_time(done, within, what, state, alive, every=every)
    loop = asyncio.get_running_loop()
    moved = 0.0
    while True:
        for _ in range(4):  # let woken loops run up to their next wait
            await asyncio.sleep(_TICK)
        give_up = loop.time() + patience
        while not done() and loop.time() < give_up:  # noqa: ASYNC110 - nothing to wait on
            await asyncio.sleep(2 * _TICK)
        if done():
            return moved
        if alive is not None:
            alive()
        if moved >= within:
            raise AssertionError(f"not {what} after {within:.0f} s of clock time {state()}")
        clock.advance(step)
        moved += step


def _looks(
    done: Callable[[], bool],
    within: float,
    what: str,
    state: Callable[[], str],
    alive: Callable[[], None] | None,
) -> Iterator[None]:
    """One item per look in real time that finds it not yet done (the caller sleeps between
    them); ends once ``done()``, fails past ``within`` seconds or when ``alive()`` raises."""
    start = time.monotonic()
    while not done():
        if alive is not None:
            alive()
        if time.monotonic() - start > within:
            raise AssertionError(f"not {what} after {within:.0f} s {state()}")
        yield


async def _real_time(
    done: Callable[[], bool],
    within: float,
    what: str,
    state: Callable[[], str],
    alive: Callable[[], None] | None,
    *,
    every: float,
) -> float:
    start = time.monotonic()
    for _ in _looks(done, within, what, state, alive):
        await asyncio.sleep(every)
    return time.monotonic() - start


def eventually_blocking(
    done: Callable[[], bool],
    within: float,
    what: str = "done",
    state: Callable[[], str] = _nothing,
    *,
    alive: Callable[[], None] | None = None,
) -> float:
    """:func:`eventually` in real time for a synchronous test (it blocks the thread)."""
    start = time.monotonic()
    for _ in _looks(done, within, what, state, alive):
        time.sleep(_REAL_TICK)
    return time.monotonic() - start
