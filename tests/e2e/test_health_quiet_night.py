"""Health that is true (issue 12.1), with the production defaults on the injected clock.

The whole daemon reads a real Dovecot over IMAP IDLE, with every interval, IDLE wait, health
threshold and retry budget at its shipped value (``Overrides()`` changes nothing but the
loopback TLS), and Telegram on. A quiet night — hours without a single mail — must keep
``/healthz`` at 200: an IDLE that is alive and refreshed is healthy. A mail server that goes
away must turn ``intake`` stale within its threshold, and recovery must clear it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import email, running_world
from tests.mail.conftest import start_dovecot
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.observability.health import DEFAULT_THRESHOLDS
from tracker_bridge.observability.metrics import MetricsServer, serve_metrics
from tracker_bridge.runtime.daemon import INTAKE_REFRESH
from tracker_bridge.runtime.wiring import Bridge
from tracker_bridge.testing.dovecot import Dovecot
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.waiting import eventually

STEP = 30.0  # seconds of clock time per step: well below every threshold
SETTLE = 20.0  # real seconds: a busy machine's lag, never clock time


@dataclass
class Night:
    clock: ManualClock
    dovecot: Dovecot
    tracker: FakeTracker
    bridge: Bridge
    server: MetricsServer
    task: asyncio.Task[None]

    async def advance(self, seconds: float) -> None:
        """Move the clock in STEPs while the loops (and the IDLE's worker thread) work."""
        moved = 0.0
        while moved < seconds:
            self.clock.advance(STEP)
            moved += STEP
            for _ in range(5):
                await asyncio.sleep(0.01)
            assert not self.task.done(), "the daemon stopped"

    async def healthz_once(
        self, settled: Callable[[int, dict[str, Any]], bool]
    ) -> tuple[int, dict[str, Any]]:
        """/healthz once the loops have caught up with the clock.

        The clock is frozen while this waits (real time, bounded), so an age can only fall: a
        loop that is behind only because this machine is busy gets to finish the pass the clock
        already asked for, while a loop that does not refresh stays as old as it is and this
        fails with the last answer."""
        answers: list[tuple[int, dict[str, Any]]] = []

        def caught_up() -> bool:
            answers.append(self.healthz())
            return settled(*answers[-1])

        await eventually(caught_up, SETTLE, "/healthz settled", lambda: repr(answers[-1]))
        return answers[-1]

    def healthz(self) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(self.server.url + "/healthz", timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())


@pytest.fixture(name="dovecot")
def fixture_dovecot() -> Iterator[Dovecot]:
    """A Dovecot of its own: the test stops and restarts it."""
    dc = start_dovecot()
    yield dc
    dc.close()


@contextlib.asynccontextmanager
async def quiet_night(root: Path, dovecot: Dovecot) -> AsyncIterator[Night]:
    """The harness's world at production defaults throughout (``production=True``), reading
    ``dovecot`` over IMAP IDLE, with Telegram on and /metrics and /healthz served."""
    async with running_world(
        root, start="2026-03-02 19:00", telegram=True, production=True, imap=dovecot.account
    ) as world:  # a Monday evening: nobody writes till morning
        bridge = world.bridge
        with serve_metrics(bridge.metrics, bridge.health, world.clock, port=0) as server:
            try:
                yield Night(world.clock, dovecot, world.tracker, bridge, server, world.task)
            finally:  # a daemon that fails on its way out fails the test
                bridge.daemon.stop()
                await asyncio.wait_for(world.task, 20)


def test_the_production_refresh_is_well_inside_the_intake_threshold() -> None:
    """Two refreshes fit in the intake threshold: one lost round trip is not yet an alarm."""
    assert timedelta(seconds=2 * INTAKE_REFRESH) <= DEFAULT_THRESHOLDS["intake"]


async def test_a_quiet_night_on_idle_stays_healthy(tmp_path: Path, dovecot: Dovecot) -> None:
    """Six hours without mail: /healthz answers 200 every half hour, every loop fresh —
    Telegram included, since it is enabled — and intake's last success is never older than
    one refresh (plus a step)."""
    async with quiet_night(tmp_path, dovecot) as night:
        await night.advance(60)
        status, body = night.healthz()
        assert set(body["loops"]) == {"intake", "tracker_sync", "rules", "outbox", "telegram"}
        for _ in range(12):
            await night.advance(30 * 60)
            status, body = await night.healthz_once(
                lambda status, body: (
                    status == 200
                    and body["loops"]["intake"]["age_seconds"] <= INTAKE_REFRESH + 2 * STEP
                )
            )
            assert status == 200, body
            intake = body["loops"]["intake"]
            assert intake["last_success"] is not None
            assert intake["age_seconds"] <= INTAKE_REFRESH + 2 * STEP, intake
            assert body["loops"]["telegram"]["last_success"] is not None, body
        # and the IDLE still hears mail at once after the night
        _, raw = email(subject="Утро", body="Логин: x", when=night.clock.now())
        dovecot.append("INBOX", raw)
        # real time: the IDLE answers at once, the rest is CPU
        await eventually(lambda: bool(night.tracker.issues), 10, "the morning's mail registered")
        assert [i.summary for i in night.tracker.issues.values()] == ["Утро"]


async def test_a_mail_server_gone_makes_intake_stale_and_its_return_heals_it(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    """Dovecot stopped: intake goes stale within its threshold plus a refresh (the other loops
    stay fresh); Dovecot back: the next refresh reconnects and /healthz is 200 again."""
    async with quiet_night(tmp_path, dovecot) as night:
        await night.advance(60)
        # The day's digest is due at once (it is past the opening) and looks for its record in
        # the Sent folder before posting; it must be filed before the server goes, or the rules
        # loop (rightly) fails too and the night is not the quiet one this test is about.
        await eventually(
            lambda: bool(dovecot.account.messages("Sent")), 30, "the day's digest filed in Sent"
        )
        assert night.healthz()[0] == 200
        dovecot.stop()
        threshold = DEFAULT_THRESHOLDS["intake"].total_seconds()
        await night.advance(threshold + INTAKE_REFRESH + 2 * STEP)
        status, body = await night.healthz_once(
            lambda status, body: (status, body["stale"]) == (503, ["intake"])
        )
        assert (status, body["stale"]) == (503, ["intake"]), body
        dovecot.start()
        await night.advance(INTAKE_REFRESH + 10 * STEP)
        status, body = await night.healthz_once(lambda status, body: status == 200)
        assert status == 200, body
