"""``tracker-bridge run``: the daemon as a systemd ``Type=notify`` service.

The order of one life: logging (JSON lines when stdout is not a terminal, i.e. under journald),
every secret registered for redaction, the bridge opened from the settings, ``/metrics`` and
``/healthz`` served, SIGTERM/SIGINT handled, ``READY=1`` once every loop started, ``STATUS=``
lines while it runs, the watchdog pinged while the loops go round, ``STOPPING=1`` on the way
out. Exit codes: 0 after a clean stop, 78 for a configuration problem (raised to the CLI), 75 when
another daemon is already active on the same store (one line naming it), 1 for anything that
crashed the daemon.

Two :class:`~tracker_bridge.observability.health.Health` instances, as that module explains: the
bridge's own
(``/healthz``: loops that *succeeded* recently) and a *liveness* one for the watchdog, beaten
after every pass, failed or not. The daemon reports successes through its one heartbeat, which
:class:`FanOut` hands to both; failed passes show in the daemon's per-loop counters, which
:class:`Liveness` samples on each watchdog tick.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from dataclasses import replace
from datetime import datetime, timedelta

import structlog

from tracker_bridge.cli.common import config_path, settings_of
from tracker_bridge.config import EX_CONFIG, SECRET_FIELDS, Settings
from tracker_bridge.config.reread import Reread
from tracker_bridge.foundation.clock import Clock, SystemClock
from tracker_bridge.foundation.extras import MissingExtraError
from tracker_bridge.observability.health import DEFAULT_THRESHOLDS, Health
from tracker_bridge.observability.log import configure_logging, register_secret
from tracker_bridge.observability.metrics import Metrics, MetricsServer, serve_metrics
from tracker_bridge.runtime import systemd
from tracker_bridge.runtime.daemon import Daemon, Heartbeat, Intervals
from tracker_bridge.runtime.wiring import Bridge, Overrides, open_bridge
from tracker_bridge.store.instance import (
    EX_ANOTHER_INSTANCE,
    AnotherInstanceError,
    LeadershipLost,
    raise_if_fenced,
)
from tracker_bridge.store.location import StateLocationError, maildir_problem, prepare_state_dir

__all__ = ["FanOut", "Liveness", "liveness_thresholds", "main", "serve", "status_text"]

log = structlog.get_logger(__name__)

STATUS_EVERY = 30.0  # seconds between STATUS= lines
WATCHDOG_IDLE_CHECK = 10.0  # without a systemd watchdog, liveness is still sampled this often


class FanOut:
    """One heartbeat for the daemon, several listeners behind it."""

    def __init__(self, *beats: Heartbeat) -> None:
        self._beats = beats

    def beat(self, loop: str, at: datetime) -> None:
        for heartbeat in self._beats:
            heartbeat.beat(loop, at)


# No loop is judged dead in less than three times this (15 minutes): a restart is the watchdog's
# last resort, for a loop that stopped going round, not for one that is slow for a while.
LIVENESS_FLOOR = 300.0


def liveness_thresholds(intervals: Intervals) -> dict[str, timedelta]:
    """A few periods of each loop: a failing loop still goes round once per backoff."""
    periods = {
        "intake": intervals.mail_wait,
        "tracker_sync": intervals.sync,
        "rules": intervals.rules,
        "outbox": intervals.outbox,
    }
    return {
        loop: timedelta(seconds=3 * max(period, intervals.backoff_max, LIVENESS_FLOOR))
        for loop, period in periods.items()
    }


class Liveness:
    """Are the loops still going round? A pass counts whether it succeeded or failed."""

    def __init__(self, daemon: Daemon, clock: Clock, intervals: Intervals) -> None:
        self._daemon, self._clock = daemon, clock
        self.health = Health(clock.now(), liveness_thresholds(intervals))
        self._seen: dict[str, tuple[int, int]] = {}

    def healthy(self) -> bool:
        """Record the passes made since the last call, then judge (the watchdog's question)."""
        now = self._clock.now()
        for name, state in self._daemon.loops.items():
            if name not in self.health.loops:
                continue  # the webhook loop: see daemon.UNWATCHED_LOOPS
            mark = (state.iterations, state.failures)
            if self._seen.get(name) != mark:
                self._seen[name] = mark
                self.health.beat(name, now)
        report = self.health.check(now)
        if not report.ok:
            log.error("daemon.not_live", stale=report.stale)
        return report.ok


def status_text(bridge: Bridge) -> str:
    """One line for ``systemctl status``: what each loop has done, and what is stale."""
    report = bridge.health.check(bridge.clock.now())
    loops = bridge.daemon.loops
    passes = ", ".join(f"{name} {state.iterations}" for name, state in sorted(loops.items()))
    stale = f"; stale: {', '.join(report.stale)}" if report.stale else ""
    return f"running; passes: {passes}{stale}"


async def _status_loop(bridge: Bridge) -> None:
    while True:
        await bridge.clock.sleep(STATUS_EVERY)
        systemd.status(status_text(bridge))


async def _watchdog(clock: Clock, liveness: Liveness) -> None:
    if systemd.watchdog_interval() is not None:
        await systemd.watchdog_loop(clock, liveness.healthy)
        return
    while True:  # no watchdog configured: still log a stuck loop
        await clock.sleep(WATCHDOG_IDLE_CHECK)
        liveness.healthy()


def _register_secrets(settings: Settings) -> None:
    for name in SECRET_FIELDS:
        value = getattr(settings, name)
        if value is not None:
            register_secret(value.get_secret_value())


class StandbyPhase:
    """While a daemon waits as a standby (a PostgreSQL store, another daemon leads): tell
    systemd it started (READY=1, STATUS naming the leader) and keep its watchdog fed, so the
    unit is active rather than timed out; answer ``/healthz`` and ``/metrics`` with the role."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings, self._clock = settings, clock
        self._server: MetricsServer | None = None
        self._watchdog: asyncio.Task[None] | None = None

    def begin(self, leader: str) -> None:
        systemd.ready(f"standby; the leader is {leader}")
        metrics = Metrics()
        metrics.set_role("standby")
        # not consulted while the role is standby (/healthz answers for it); the server needs one
        health = Health(self._clock.now(), {"intake": DEFAULT_THRESHOLDS["intake"]})
        host, port = self._settings.metrics_host, self._settings.metrics_port
        self._server = serve_metrics(metrics, health, self._clock, host, port)
        log.info("metrics.serving", url=self._server.url, role="standby")
        self._watchdog = asyncio.get_running_loop().create_task(
            systemd.watchdog_loop(self._clock, lambda: True), name="standby-watchdog"
        )

    async def end(self) -> None:
        """Leading now (or stopping): the bridge serves its own endpoint from here."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
        if self._server is not None:
            self._server.stop()
        self._server = self._watchdog = None


async def serve(settings: Settings, *, clock: Clock, overrides: Overrides | None = None) -> None:
    """Run the daemon until a signal stops it, speaking sd_notify all along."""
    standby = StandbyPhase(settings, clock)
    over = replace(overrides or Overrides(), on_standby=standby.begin)
    try:
        async with open_bridge(settings, clock=clock, overrides=over) as bridge:
            await standby.end()
            await _lead(bridge, settings, clock, over)
    finally:
        await standby.end()


async def _lead(bridge: Bridge, settings: Settings, clock: Clock, over: Overrides) -> None:
    """The daemon's life once this instance may act: loops, endpoint, watchdog."""
    daemon = bridge.daemon
    liveness = Liveness(daemon, clock, over.intervals)
    daemon.heartbeat = FanOut(bridge.health, liveness.health)
    daemon.on_ready = lambda: _ready(bridge)
    host, port = settings.metrics_host, settings.metrics_port
    try:
        metrics_server = serve_metrics(bridge.metrics, bridge.health, clock, host, port)
    except OSError as exc:  # taken, or not an address of this host: no wait can fix it
        raise LocalConfigError(f"metrics_listen {host}:{port}: {exc.strerror or exc}") from exc
    except ValueError as exc:  # not a loopback address (or no address at all): refused
        raise LocalConfigError(f"metrics_listen {host}:{port}: {exc}") from exc
    with metrics_server as server:
        log.info("metrics.serving", url=server.url)
        daemon.install_signal_handlers()
        helpers = [
            asyncio.create_task(_watchdog(clock, liveness), name="watchdog"),
            asyncio.create_task(_status_loop(bridge), name="status"),
        ]
        try:
            await daemon.run()
            leader = bridge.leadership
            if leader is not None:
                raise_if_fenced(leader.role, leader.name)
        finally:
            systemd.stopping("stopping")
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)


class LocalConfigError(Exception):
    """This host's setup is wrong in a way no waiting fixes (a port taken, a bad address)."""


def _ready(bridge: Bridge) -> None:
    systemd.ready(f"ready; loops: {', '.join(sorted(bridge.daemon.loops))}")


def _overrides(args: argparse.Namespace) -> Overrides:
    intervals = Intervals()
    if args.sync_interval is not None:
        intervals = replace(intervals, sync=args.sync_interval)
    # inline secrets are read again from where they were loaded once those files change
    return Overrides(intervals=intervals, reread=Reread.of(config_path(args), os.environ))


def main(args: argparse.Namespace) -> int:
    """Load the settings (a ConfigError goes up to the CLI: exit 78), run, report the end."""
    settings = settings_of(args)
    try:
        if settings.store_url is None:  # a PostgreSQL store keeps nothing in the state directory
            prepare_state_dir(settings.store_path)
    except StateLocationError as exc:  # the host's setup: a restart would fail the same way
        sys.stderr.write(f"tracker-bridge: {exc}\n")
        return EX_CONFIG
    maildir = settings.mail.maildir
    if maildir is not None and (problem := maildir_problem(maildir)) is not None:
        sys.stderr.write(f"tracker-bridge: {problem}\n")
        return EX_CONFIG
    configure_logging(level="debug" if args.verbose else "info")
    _register_secrets(settings)
    try:
        asyncio.run(serve(settings, clock=SystemClock(), overrides=_overrides(args)))
    except (AnotherInstanceError, LeadershipLost) as exc:
        sys.stderr.write(f"{exc}\n")  # one line, no traceback: nothing crashed
        return EX_ANOTHER_INSTANCE
    except LocalConfigError as exc:
        sys.stderr.write(f"{exc}\n")  # one line: a restart cannot fix it, systemd must not loop
        return EX_CONFIG
    except MissingExtraError:
        raise  # an install to complete, not a crash: the CLI names the extra (exit 69)
    except Exception:
        log.exception("daemon.crashed")
        with contextlib.suppress(Exception):
            systemd.stopping("crashed")
        return 1
    log.info("daemon.exit", code=0)
    return 0
