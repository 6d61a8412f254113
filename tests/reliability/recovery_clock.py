"""Measuring a recovery in seconds of the injected clock, without counting a busy machine's lag.

After the dependency is back, what remains is the daemon's next retry (a wait on the clock)
and then real work (a reconnect in a worker thread, a parse in a worker process, a commit). The
clock moves one second at a time, and each second first gives that real work up to
``real_per_step`` seconds of real time to finish — so the result is the backoff's share, not
how slow this machine happens to be right now.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from tracker_bridge.foundation.clock import ManualClock

__all__ = ["clock_seconds_until"]


async def clock_seconds_until(
    clock: ManualClock,
    done: Callable[[], bool],
    *,
    alive: Callable[[], bool],
    real_per_step: float = 0.5,
    limit: float = 120.0,
) -> float:
    """Clock seconds, one at a time, until ``done()``; fails past ``limit`` or once the daemon
    is no longer ``alive()``."""
    start = clock.now()
    while True:
        deadline = time.monotonic() + real_per_step
        # the work runs in threads and worker processes: there is no event to wait on
        while not done() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if done():
            return (clock.now() - start).total_seconds()
        assert alive(), "the daemon stopped"
        assert (clock.now() - start).total_seconds() < limit, f"not done within {limit} s"
        clock.advance(1.0)
