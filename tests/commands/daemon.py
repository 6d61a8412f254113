"""The daemon wired from a config file, on a manual clock, for the commands' round-trip tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from tracker_bridge.config import load_settings
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.runtime.daemon import Intervals
from tracker_bridge.runtime.wiring import Bridge, Overrides, open_bridge

FAST = Overrides(
    intervals=Intervals(sync=10.0, rules=30.0, outbox=5.0, mail_wait=5.0),
    tracker_retry=RetryPolicy(attempts=3, total_seconds=5, initial_wait=0.01, max_wait=0.05),
)


@contextlib.asynccontextmanager
async def running(config: Path, clock: ManualClock) -> AsyncIterator[Bridge]:
    """Open the bridge from ``config`` and run its daemon until the block ends."""
    settings = load_settings(config, environ={})
    async with open_bridge(settings, clock=clock, overrides=FAST) as bridge:
        task = asyncio.create_task(bridge.daemon.run())
        try:
            yield bridge
        finally:
            bridge.daemon.stop()
            await asyncio.wait_for(task, timeout=15)
