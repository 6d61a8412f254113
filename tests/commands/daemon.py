"""The daemon wired from a config file, on a manual clock, for the commands' round-trip tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from tests.e2e.harness import fast_overrides
from tracker_bridge.config import load_settings
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.runtime.wiring import Bridge, open_bridge

FAST = fast_overrides()  # the e2e harness's fast loops and short Tracker retries


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
