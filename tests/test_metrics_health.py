"""Metrics and /healthz: a real HTTP scrape on loopback, staleness judged on a ManualClock."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tracker_bridge import __version__
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.observability.health import DEFAULT_THRESHOLDS, Health
from tracker_bridge.observability.metrics import (
    MESSAGE_OUTCOMES,
    SYSTEMS,
    Metrics,
    MetricsServer,
    serve_metrics,
)
from tracker_bridge.regulation.sla import ClockKind, ClockState

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(name="health")
def fixture_health(clock: ManualClock) -> Health:
    return Health(clock.now())


@pytest.fixture(name="metrics")
def fixture_metrics() -> Metrics:
    return Metrics()


@pytest.fixture(name="server")
def fixture_server(metrics: Metrics, health: Health, clock: ManualClock) -> Iterator[MetricsServer]:
    with serve_metrics(metrics, health, clock, host="127.0.0.1", port=0) as server:
        yield server


def get(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET, 4xx/5xx included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read().decode()


def scrape(server: MetricsServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    status, content_type, body = get(server.url + "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def healthz(server: MetricsServer) -> tuple[int, dict[str, Any]]:
    status, content_type, body = get(server.url + "/healthz")
    assert content_type.startswith("application/json")
    return status, json.loads(body)


class TestHealth:
    def test_every_loop_is_fresh_at_start(self, health: Health) -> None:
        """Start-up grace: a loop that has not run yet is not stale before its threshold."""
        report = health.check(START + 4 * MINUTE)
        assert (report.ok, report.stale) == (True, [])
        assert set(report.details) == set(DEFAULT_THRESHOLDS)

    def test_a_loop_that_never_succeeds_goes_stale_after_its_threshold(
        self, health: Health
    ) -> None:
        """No successful mail fetch for 10 minutes since start makes intake stale."""
        for loop in ("tracker_sync", "rules", "outbox", "telegram"):
            health.beat(loop, START + 10 * MINUTE)
        assert health.check(START + 10 * MINUTE).ok
        report = health.check(START + 10 * MINUTE + timedelta(seconds=1))
        assert (report.ok, report.stale) == (False, ["intake"])
        assert report.details["intake"].last_beat is None

    def test_a_beat_restarts_the_loop_s_threshold(self, health: Health) -> None:
        """Staleness counts from the last success, per loop, with its own threshold."""
        health.beat("intake", START + 20 * MINUTE)
        health.beat("rules", START + 20 * MINUTE)
        report = health.check(START + 26 * MINUTE)
        assert "intake" not in report.stale
        assert "rules" in report.stale  # rules allows 5 minutes, intake 10
        assert report.details["intake"].age == 6 * MINUTE

    def test_thresholds_are_configurable_per_loop(self) -> None:
        """Seconds or timedeltas; only the named loops are watched."""
        health = Health(START, {"intake": 60, "telegram": timedelta(hours=1)})
        report = health.check(START + 2 * MINUTE)
        assert report.stale == ["intake"]
        assert health.loops == ("intake", "telegram")

    def test_an_older_beat_does_not_move_the_last_success_back(self, health: Health) -> None:
        """Beats may arrive out of order from different tasks."""
        health.beat("intake", START + 9 * MINUTE)
        health.beat("intake", START + 1 * MINUTE)
        assert health.check(START + 9 * MINUTE).details["intake"].last_beat == START + 9 * MINUTE

    def test_a_beat_for_an_unknown_loop_is_a_mistake(self, health: Health) -> None:
        """A typo in a loop name would otherwise hide a stuck loop forever."""
        with pytest.raises(ValueError, match="intak"):
            health.beat("intak", START)

    @pytest.mark.parametrize("thresholds", [{}, {"intake": 0}, {"intake": timedelta(-1)}])
    def test_empty_or_non_positive_thresholds_are_refused(self, thresholds: dict[str, Any]) -> None:
        """Health must watch something, each loop for a positive time."""
        with pytest.raises(ValueError):
            Health(START, thresholds)


class TestMetricsEndpoint:
    def test_counters_and_gauges_are_scraped_with_their_labels(
        self, metrics: Metrics, server: MetricsServer
    ) -> None:
        """What the daemon counts is what Prometheus reads."""
        metrics.messages.labels(outcome="created").inc(3)
        metrics.messages.labels(outcome="quarantined").inc()
        metrics.issues_created.inc(3)
        metrics.actions.labels(kind="comment", outcome="done").inc(2)
        metrics.retries.labels(system="tracker").inc(4)
        metrics.breaches.labels(kind="intake").inc()
        samples = scrape(server)
        assert samples[("tracker_bridge_messages_total", (("outcome", "created"),))] == 3
        assert samples[("tracker_bridge_messages_total", (("outcome", "quarantined"),))] == 1
        assert samples[("tracker_bridge_issues_created_total", ())] == 3
        actions = ("tracker_bridge_actions_total", (("kind", "comment"), ("outcome", "done")))
        assert samples[actions] == 2
        assert samples[("tracker_bridge_retries_total", (("system", "tracker"),))] == 4
        assert samples[("tracker_bridge_breaches_total", (("kind", "intake"),))] == 1

    def test_last_contact_is_unix_time_and_lag_is_per_loop(
        self, metrics: Metrics, server: MetricsServer
    ) -> None:
        """mark_contact stores the exchange's time; observe_lag the loop's lateness (never < 0)."""
        metrics.mark_contact("imap", START)
        metrics.mark_contact("tracker", START + MINUTE)
        metrics.observe_lag("intake", 0.25)
        metrics.observe_lag("rules", -0.01)
        samples = scrape(server)
        last = "tracker_bridge_last_success_timestamp_seconds"
        assert samples[(last, (("system", "imap"),))] == START.timestamp()
        assert samples[(last, (("system", "tracker"),))] == START.timestamp() + 60
        assert samples[("tracker_bridge_loop_lag_seconds", (("loop", "intake"),))] == 0.25
        assert samples[("tracker_bridge_loop_lag_seconds", (("loop", "rules"),))] == 0

    def test_clock_gauges_are_replaced_each_pass(
        self, metrics: Metrics, server: MetricsServer
    ) -> None:
        """A state that no clock is in any more reads 0, not its last count."""
        metrics.set_clocks({(ClockKind.EXECUTION, ClockState.RUNNING): 5})
        metrics.set_clocks({(ClockKind.EXECUTION, ClockState.PAUSED): 2})
        samples = scrape(server)

        def clocks(kind: str, state: str) -> float:
            return samples[("tracker_bridge_clocks", (("kind", kind), ("state", state)))]

        assert (clocks("execution", "running"), clocks("execution", "paused")) == (0, 2)
        assert clocks("reaction", "running") == 0
        assert clocks("silence", "breached") == 0

    def test_documented_outcomes_and_systems_start_at_zero(
        self, metrics: Metrics, server: MetricsServer
    ) -> None:
        """increase() needs a 0 before the first event; unlisted label values still work."""
        metrics.messages.labels(outcome="postponed").inc()
        samples = scrape(server)
        for outcome in MESSAGE_OUTCOMES:
            assert samples[("tracker_bridge_messages_total", (("outcome", outcome),))] == 0
        for system in SYSTEMS:
            assert samples[("tracker_bridge_retries_total", (("system", system),))] == 0
        assert samples[("tracker_bridge_messages_total", (("outcome", "postponed"),))] == 1
        assert samples[("tracker_bridge_build_info", (("version", __version__),))] == 1

    def test_each_metrics_object_has_its_own_registry(self, metrics: Metrics) -> None:
        """Two daemons in one process (tests, the demo) never share counters."""
        other = Metrics()
        metrics.issues_created.inc()
        assert b"tracker_bridge_issues_created_total 1.0" in metrics.render()
        assert b"tracker_bridge_issues_created_total 0.0" in other.render()

    def test_an_unknown_path_is_404(self, server: MetricsServer) -> None:
        """Only /metrics and /healthz exist."""
        assert get(server.url + "/admin")[0] == 404


class TestHealthzEndpoint:
    def test_healthz_turns_503_naming_the_stale_loop_as_the_clock_moves(
        self, health: Health, clock: ManualClock, server: MetricsServer
    ) -> None:
        """200 while fresh; 10 minutes without a mail fetch → 503 with "intake" in the body."""
        status, body = healthz(server)
        assert (status, body["status"], body["stale"]) == (200, "ok", [])
        clock.advance(8 * MINUTE)
        for loop in ("tracker_sync", "rules", "outbox", "telegram"):
            health.beat(loop, clock.now())
        clock.advance(2 * MINUTE + timedelta(seconds=1))
        status, body = healthz(server)
        assert (status, body["status"], body["stale"]) == (503, "stale", ["intake"])
        assert body["loops"]["intake"]["last_success"] is None
        assert body["loops"]["intake"]["threshold_seconds"] == 600
        assert body["loops"]["rules"]["stale"] is False

    def test_healthz_recovers_after_a_successful_pass(
        self, health: Health, clock: ManualClock, server: MetricsServer
    ) -> None:
        """The 503 lasts only until the loop succeeds again."""
        clock.advance(30 * MINUTE)
        assert healthz(server)[0] == 503
        for loop in health.loops:
            health.beat(loop, clock.now())
        status, body = healthz(server)
        assert status == 200
        assert body["loops"]["intake"]["last_success"] == clock.now().isoformat()


class TestServerLifecycle:
    def test_stop_releases_the_port(self, metrics: Metrics, health: Health) -> None:
        """After stop nothing listens; the same port can be bound again (a restart)."""
        server = serve_metrics(metrics, health, ManualClock(START), port=0)
        port = server.port
        assert get(server.url + "/metrics")[0] == 200
        server.stop()
        server.stop()  # idempotent
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0
        with serve_metrics(metrics, health, ManualClock(START), port=port) as again:
            assert again.port == port

    @pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "metrics.lan"])
    def test_only_loopback_addresses_are_served(
        self, metrics: Metrics, health: Health, host: str
    ) -> None:
        """The endpoint has no authentication, so it never listens beyond this machine."""
        with pytest.raises(ValueError, match=host if host != "::" else "loopback"):
            serve_metrics(metrics, health, ManualClock(START), host=host, port=0)

    def test_localhost_means_the_ipv4_loopback(self, metrics: Metrics, health: Health) -> None:
        """ "localhost" is taken as 127.0.0.1, never resolved to something else."""
        with serve_metrics(metrics, health, ManualClock(START), host="localhost", port=0) as server:
            assert server.host == "127.0.0.1"
            assert get(server.url + "/healthz")[0] == 200
