"""The stall guard: a step of a message's handling that keeps the event loop busy is reported
from a thread; awaiting is never a stall (issue 17.2, the breaker beyond the parse).

A short limit here; the twin at the production STALL_LIMIT is the real daemon's test in
tests/reliability/test_poison_mail.py (killed twice in a stall, then quarantined unparsed).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tracker_bridge.service.stall_guard import StallGuard

LIMIT = 0.3


@pytest.fixture
def reports() -> list[tuple[str, str, float]]:
    return []


@pytest.fixture
def guard(reports: list[tuple[str, str, float]]) -> StallGuard:
    return StallGuard(lambda *stall: reports.append(stall), limit=LIMIT)


async def _blocking(seconds: float) -> str:
    await asyncio.sleep(0)
    time.sleep(seconds)  # noqa: ASYNC251 - the stall under test: no other task runs
    await asyncio.sleep(0)
    return "done"


async def test_a_step_that_keeps_the_loop_busy_is_reported_once_from_the_thread(
    guard: StallGuard, reports: list[tuple[str, str, float]]
) -> None:
    guard.start()
    try:
        assert await guard.run("d1", "src-1", _blocking(LIMIT * 4)) == "done"
    finally:
        guard.stop()
    assert [(d, s) for d, s, _ in reports] == [("d1", "src-1")]
    assert reports[0][2] >= LIMIT
    assert guard.reported("d1")
    guard.forget("d1")
    assert not guard.reported("d1")


async def test_waiting_on_the_network_is_no_stall(
    guard: StallGuard, reports: list[tuple[str, str, float]]
) -> None:
    async def waits() -> int:
        await asyncio.sleep(LIMIT * 4)  # an outage, a slow server: the loop runs meanwhile
        return 7

    guard.start()
    try:
        assert await guard.run("d2", "src-2", waits()) == 7
        with guard.marked("d3", "src-3"):
            pass
    finally:
        guard.stop()
    assert reports == []


async def test_results_errors_and_cancellation_pass_through(guard: StallGuard) -> None:
    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await guard.run("d4", "src-4", fails())

    async def forever() -> None:
        await asyncio.Event().wait()

    task = asyncio.ensure_future(guard.run("d5", "src-5", forever()))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_synchronous_stretch_is_marked_too(
    guard: StallGuard, reports: list[tuple[str, str, float]]
) -> None:
    guard.start()
    try:
        with guard.marked("d6", "src-6"):
            time.sleep(LIMIT * 4)  # noqa: ASYNC251 - the stall under test
    finally:
        guard.stop()
    assert [(d, s) for d, s, _ in reports] == [("d6", "src-6")]
