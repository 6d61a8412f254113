"""The watchdog's liveness: loops that go round are alive, a daemon that stopped is not."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.commands.daemon import FAST, running
from tests.commands.world import msk, write_config
from tracker_bridge.cli.run import FanOut, Liveness
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture


async def test_running_loops_stay_live_past_every_threshold(tmp_path: Path) -> None:
    """Twenty minutes of clock with every loop going round: the watchdog keeps pinging."""
    clock = ManualClock(msk("2026-03-02 11:00"))
    with FakeTracker(clock=clock) as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        async with running(config, clock) as bridge:
            liveness = Liveness(bridge.daemon, clock, FAST.intervals)
            bridge.daemon.heartbeat = FanOut(bridge.health, liveness.health)
            verdicts = []
            for _ in range(40):
                for _ in range(4):
                    await asyncio.sleep(0.005)
                clock.advance(30.0)
                verdicts.append(liveness.healthy())
            assert all(verdicts)
            assert bridge.health.check(clock.now()).ok  # the fan-out reached /healthz too


async def test_a_daemon_whose_loops_stopped_is_not_live(tmp_path: Path) -> None:
    """No pass for three periods (at least 15 minutes): the watchdog stops pinging."""
    clock = ManualClock(msk("2026-03-02 11:00"))
    with FakeTracker(clock=clock) as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        async with running(config, clock) as bridge:
            bridge.daemon.stop()
            for _ in range(10):
                await asyncio.sleep(0.01)
            liveness = Liveness(bridge.daemon, clock, FAST.intervals)
            assert liveness.healthy()
            clock.advance(16 * 60.0)
            assert not liveness.healthy()
