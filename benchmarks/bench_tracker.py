"""Tracker sync: requests and wall time of the polling loop, against a naive full re-read.

A FakeTracker (real HTTP on loopback, real yandex-tracker-client) holds 10,000 issues of one
queue, made directly in its state. Measured, with requests counted from ``fake.requests``:

- the initial sync (no cursor: one scroll over the queue);
- a steady-state idle cycle (goal: 1 request);
- a cycle after 20 issues changed, and the views of those issues for the rules pass
  (goal: ≤ 2 requests per changed issue);
- the cost of the overlap after a burst: 1,000 issues changed within one minute are re-read
  (and dropped as already seen) by every cycle until a later change moves the cursor past the
  overlap window — the price of never trusting the wall clock (one scroll request per 1,000);
- baseline, same run: the naive way to notice changes, reading every issue one by one.

The issues are spread one per minute (about a week of a busy desk), so the 5-minute overlap
holds a handful of them, as in steady operation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from structlog.testing import capture_logs

from benchmarks._timing import Row, table
from tracker_bridge.foundation import retry
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.statuses import StatusMap
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.gateway import DEFAULT_FIELD_IDS, TrackerGateway
from tracker_bridge.tracker.snapshots import IssueSnapshot
from tracker_bridge.tracker.sync import TrackerSync, read_view
from tracker_bridge.tracker.views import StoreFacts, ViewSettings

TITLE = "Tracker sync"
ISSUES = 10_000
CHANGED = 20
IDLE_CYCLES = 5
BURST = 1_000

T = TypeVar("T")
Measured = tuple[float, int, Any]


def run() -> str:
    with capture_logs(), retry.testing(False):
        clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
        with FakeTracker(clock=clock) as fake:
            _populate(fake, clock)
            return asyncio.run(_measure(fake, clock))


def _populate(fake: FakeTracker, clock: ManualClock) -> None:
    for n in range(ISSUES):
        clock.advance(60)
        fake.create_issue(summary=f"Заявка {n}", priority="normal", login=f"user{n}")
    clock.advance(timedelta(hours=1))


async def _measure(fake: FakeTracker, clock: ManualClock) -> str:
    gateway = TrackerGateway(base_url=fake.url, token=fake.token, org_id=fake.org_id)
    async with gateway:
        sync = TrackerSync(gateway, MemoryStore(), queues=["SUP"])
        initial = await _counted(fake, sync.cycle)
        idle = [await _counted(fake, sync.cycle) for _ in range(IDLE_CYCLES)]
        for n in range(CHANGED):
            fake.update_issue(f"SUP-{1 + n * 97}", summary=f"changed {n}")
        changed = await _counted(fake, sync.cycle)
        result = changed[2]
        views = await _counted(fake, lambda: _views(gateway, result.changed))
        clock.advance(timedelta(hours=1))
        for n in range(BURST):
            fake.update_issue(f"SUP-{ISSUES - n}", summary=f"bulk edit {n}")
        await sync.cycle()
        clock.advance(timedelta(hours=1))
        burst = await _counted(fake, sync.cycle)
        naive = await _counted(fake, lambda: _naive(gateway))
    return table([*_rows(initial, idle, changed, views, naive), _burst_row(burst)])


async def _counted(fake: FakeTracker, call: Callable[[], Awaitable[T]]) -> tuple[float, int, T]:
    """Wall time and requests (from the fake's log) of one awaited call, and its value."""
    before = len(fake.requests)
    started = time.perf_counter()
    value = await call()
    return time.perf_counter() - started, len(fake.requests) - before, value


async def _views(gateway: TrackerGateway, issues: Sequence[IssueSnapshot]) -> list[IssueView]:
    settings = ViewSettings(StatusMap(), robot_uid=None, field_ids=DEFAULT_FIELD_IDS)
    facts = StoreFacts(customer="clinic")
    return [await read_view(gateway, issue, facts, settings) for issue in issues]


async def _naive(gateway: TrackerGateway) -> list[IssueSnapshot]:
    """Baseline: GET every issue (8 at a time) to see which one changed."""
    gate = asyncio.Semaphore(8)

    async def one(key: str) -> IssueSnapshot:
        async with gate:
            return await gateway.issue(key)

    return await asyncio.gather(*(one(f"SUP-{n}") for n in range(1, ISSUES + 1)))


def _rows(
    initial: Measured,
    idle: list[Measured],
    changed: Measured,
    views: Measured,
    naive: Measured,
) -> list[Row]:
    idle_requests = max(r for _, r, _ in idle)
    idle_time = sorted(t for t, _, _ in idle)[len(idle) // 2]
    per_issue = (changed[1] - 1 + views[1]) / CHANGED
    return [
        Row(
            f"initial sync of {ISSUES:,} issues (scroll)",
            f"{initial[0]:.2f} s, {initial[1]} requests",
            "",
            f"naive re-read: {naive[0]:.2f} s, {naive[1]:,} requests",
        ),
        Row(
            "steady-state idle cycle",
            f"{idle_requests} request(s), {idle_time * 1000:.0f} ms (median of {IDLE_CYCLES})",
            "1 request",
            f"naive: {naive[1]:,} requests, {naive[0]:.2f} s",
            "ok" if idle_requests == 1 else "MISSED",
        ),
        Row(
            f"cycle with {CHANGED} changed issues",
            f"{changed[1]} request(s), {changed[0] * 1000:.0f} ms",
            "",
            "",
        ),
        Row(
            f"views of the {CHANGED} changed issues (changelog + comments)",
            f"{views[1]} requests, {views[0] * 1000:.0f} ms",
            "",
            "",
        ),
        Row(
            "requests per changed issue (search share + view)",
            f"{per_issue:.2f}",
            "≤ 2",
            f"naive: {naive[1]:,} per cycle whatever changed",
            "ok" if per_issue <= 2 else "MISSED",
        ),
    ]


def _burst_row(burst: Measured) -> Row:
    return Row(
        f"idle cycle after {BURST:,} changes within one minute (overlap re-read)",
        f"{burst[1]} requests, {burst[0] * 1000:.0f} ms",
        "",
        "",
        "known cost (see above)",
    )
