"""The rules pass works on several due issues at once, each once (``RulesPass.due``).

The daemon is stopped after the requests are registered, so the fake's count of requests in
flight sees the rules pass alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import World, running_world
from tracker_bridge.service.effects import TransientEffectError
from tracker_bridge.tracker.errors import TrackerError

SENDERS = [f"doctor{n}@clinic1.example" for n in range(6)]


@contextlib.asynccontextmanager
async def registered(tmp_path: Path, concurrency: int) -> AsyncIterator[World]:
    """Six requests registered and acknowledged, then the daemon stopped."""
    async with running_world(tmp_path, concurrency=concurrency) as world:
        for n, sender in enumerate(SENDERS):
            world.mail(subject=f"Не считается скидка {n}", body="Логин: ivanova", sender=sender)
        await world.run_until(lambda: len(world.smtp.messages) == len(SENDERS))
        await world.settle()
        await world.stop_daemon()
        world.tracker.reset_peak_in_flight()
        for key in world.tracker.issues:
            world.bridge.rules.schedule.set(key, world.clock.now())
        yield world


async def test_r10_issues_due_together_are_evaluated_side_by_side(tmp_path: Path) -> None:
    """R10: six issues due at the same moment are read in parallel, never more than
    ``tracker.concurrency`` requests in flight, and each is evaluated once."""
    async with registered(tmp_path, concurrency=3) as world:
        world.tracker.delay_next("GET /v2/issues/{key}", 0.05, times=len(SENDERS))
        assert await world.bridge.rules.due() == len(SENDERS)
        assert 2 <= world.tracker.peak_in_flight <= 3
        assert world.bridge.rules.schedule.next_due() is not None
        assert all(world.bridge.rules.schedule.when(k) for k in world.tracker.issues)


async def test_r10_one_at_a_time_with_concurrency_one(tmp_path: Path) -> None:
    """R10 with ``tracker.concurrency = 1``: the same pass, one request at a time."""
    async with registered(tmp_path, concurrency=1) as world:
        world.tracker.delay_next("GET /v2/issues/{key}", 0.02, times=len(SENDERS))
        assert await world.bridge.rules.due() == len(SENDERS)
        assert world.tracker.peak_in_flight == 1


async def test_r10_an_outage_in_a_pass_leaves_every_unevaluated_issue_due(
    tmp_path: Path,
) -> None:
    """R10: Tracker fails on one issue: the pass raises, and that issue and every one not
    evaluated stay due now, so no deadline or reminder is dropped."""
    async with registered(tmp_path, concurrency=2) as world:
        world.tracker.fail_next("GET /v2/issues/SUP-1", status=503, times=100)
        with pytest.raises((TransientEffectError, TrackerError)):
            await world.drive(world.bridge.rules.due())
        now, schedule = world.clock.now(), world.bridge.rules.schedule
        assert schedule.when("SUP-1") == now
        when = {key: schedule.when(key) for key in world.tracker.issues}
        assert all(moment is not None and moment >= now for moment in when.values())
        still_due = [key for key, moment in when.items() if moment == now]
        world.tracker.clear_faults()
        assert await world.drive(world.bridge.rules.due()) == len(still_due)
        assert all((schedule.when(k) or now) > now for k in world.tracker.issues)
