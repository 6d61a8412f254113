"""The per-key latest-wins runner behind coalesced card edits."""

from __future__ import annotations

import asyncio

import pytest

from tracker_bridge.telegram.coalesce import Coalescer


class Work:
    """Records what ran; each run waits for ``gate`` so a test can hold it in flight."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, int]] = []
        self.gate = asyncio.Event()
        self.started = asyncio.Event()

    async def __call__(self, key: str, item: int) -> int:
        self.ran.append((key, item))
        self.started.set()
        await self.gate.wait()
        if item < 0:
            raise ValueError(f"bad item {item}")
        return item * 10


async def test_items_arriving_during_a_run_collapse_into_the_newest() -> None:
    """While run 1 is in flight, items 2–5 collapse: only 5 runs next; every caller answered."""
    work = Work()
    runner = Coalescer[str, int, int](work)
    first = asyncio.create_task(runner.submit("SUP-1", 1))
    await work.started.wait()
    later = [asyncio.create_task(runner.submit("SUP-1", n)) for n in range(2, 6)]
    await asyncio.sleep(0)
    work.gate.set()
    results = await asyncio.gather(first, *later)
    assert work.ran == [("SUP-1", 1), ("SUP-1", 5)]
    assert results == [10, 50, 50, 50, 50]
    assert (runner.runs, runner.superseded) == (2, 3)


async def test_keys_do_not_wait_for_each_other() -> None:
    """Different keys run side by side."""
    work = Work()
    runner = Coalescer[str, int, int](work)
    tasks = [asyncio.create_task(runner.submit(key, 1)) for key in ("A", "B")]
    await asyncio.sleep(0.01)
    assert sorted(work.ran) == [("A", 1), ("B", 1)]
    work.gate.set()
    assert await asyncio.gather(*tasks) == [10, 10]


async def test_a_failed_run_fails_its_callers_and_the_next_run_goes_on() -> None:
    """An exception reaches the callers of that run only; newer items still run."""
    work = Work()
    runner = Coalescer[str, int, int](work)
    bad = asyncio.create_task(runner.submit("SUP-1", -1))
    await work.started.wait()
    good = asyncio.create_task(runner.submit("SUP-1", 2))
    work.gate.set()
    with pytest.raises(ValueError, match="bad item -1"):
        await bad
    assert await good == 20


async def test_close_cancels_runs_and_their_callers() -> None:
    """close() cancels the run in flight and the callers waiting on it."""
    work = Work()
    runner = Coalescer[str, int, int](work)
    waiting = asyncio.create_task(runner.submit("SUP-1", 1))
    await work.started.wait()
    await runner.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
