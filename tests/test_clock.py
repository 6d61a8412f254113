"""The injected clock: real time for the daemon, manual time for tests and the demo."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tracker_bridge.foundation.clock import Clock, ManualClock, SystemClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_system_clock_is_aware_and_sleeps_for_real() -> None:
    """SystemClock: aware now(); sleep(0) returns."""
    clock = SystemClock()
    assert isinstance(clock, Clock)
    assert clock.now().tzinfo is not None
    asyncio.run(clock.sleep(0))


def test_a_manual_clock_refuses_naive_and_backward_time() -> None:
    """ManualClock: naive starts and going back in time are refused."""
    with pytest.raises(ValueError, match="naive"):
        ManualClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="backwards"):
        ManualClock(START).advance(-1)


async def test_advance_wakes_exactly_the_sleepers_that_became_due() -> None:
    """ManualClock: ten working days pass in milliseconds; sleepers wake in time order."""
    clock = ManualClock(START)
    woke: list[str] = []

    async def nap(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    tasks = [asyncio.create_task(nap("late", 60)), asyncio.create_task(nap("early", 30))]
    await asyncio.sleep(0)
    assert clock.sleepers == 2
    assert clock.next_wakeup() == START + timedelta(seconds=30)
    clock.advance(timedelta(seconds=45))
    await asyncio.sleep(0)
    assert woke == ["early"]
    clock.set(START + timedelta(days=10))
    await asyncio.gather(*tasks)
    assert woke == ["early", "late"]
    assert clock.now() == START + timedelta(days=10)
    assert clock.next_wakeup() is None


async def test_advance_from_another_thread_wakes_the_loop() -> None:
    """ManualClock is thread-safe: a fake server's thread may move time."""
    clock = ManualClock(START)
    task = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    thread = threading.Thread(target=clock.advance, args=(10,))
    thread.start()
    thread.join()
    await asyncio.wait_for(task, timeout=2)
    await clock.sleep(0)
