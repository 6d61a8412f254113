"""Prometheus metrics and the ``/metrics`` + ``/healthz`` endpoint on a loopback address.

:class:`Metrics` owns its own ``CollectorRegistry`` (never prometheus_client's global one), so two
daemons in one test session do not share counters. :func:`serve_metrics` answers on one port:

* ``GET /metrics`` — the Prometheus text format;
* ``GET /healthz`` — 200 with a small JSON body when every loop is fresh, 503 naming the stale
  loops otherwise (:mod:`tracker_bridge.observability.health`), judged at the injected clock's
  ``now``.

The server runs in a thread, like every stdlib HTTP server here, and :meth:`MetricsServer.stop`
closes its socket (tests run with unclosed-resource warnings as errors).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from tracker_bridge import __version__
from tracker_bridge.foundation.clock import Clock
from tracker_bridge.foundation.serving import ServingThread
from tracker_bridge.observability.health import Health
from tracker_bridge.regulation.sla import ClockKind, ClockState

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "MESSAGE_OUTCOMES",
    "SYSTEMS",
    "MetricFamilies",
    "Metrics",
    "MetricsServer",
    "serve_metrics",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9464
PREFIX = "tracker_bridge"
# The label values docs/operations.md explains; they start at 0 so that rate() and increase()
# see the first event. Other values are accepted (and then appear on first use).
MESSAGE_OUTCOMES = ("created", "commented", "quarantined", "ignored", "refused", "failed")
NOTIFICATION_OUTCOMES = ("sent", "failed")
SYSTEMS = ("imap", "smtp", "tracker", "telegram")
OUTAGE_SYSTEMS = (*SYSTEMS, "store")
LOOPS = ("intake", "tracker_sync", "rules", "outbox")
# the daily caps of the loop guard (issue 17): answers and new requests per robot and per domain
LOOP_CAPS = (
    "answers_per_sender",
    "answers_per_domain",
    "requests_per_sender",
    "requests_per_domain",
)


ROLES = ("active", "standby", "fenced")


_Labelled = TypeVar("_Labelled", Counter, Gauge)


class MetricFamilies:
    """Makes the metrics named ``<prefix>_<name>`` on one registry (the daemon's, the webhook's).

    A labelled metric given its ``known`` label values starts with each of them at 0, so that
    rate() and increase() see the first event.
    """

    def __init__(self, registry: CollectorRegistry, prefix: str) -> None:
        self.registry = registry
        self.prefix = prefix

    def counter(self, name: str, doc: str, *labels: str, known: Iterable[str] = ()) -> Counter:
        return self._start(Counter(self._name(name), doc, labels, registry=self.registry), known)

    def gauge(self, name: str, doc: str, *labels: str, known: Iterable[str] = ()) -> Gauge:
        return self._start(Gauge(self._name(name), doc, labels, registry=self.registry), known)

    def histogram(self, name: str, doc: str, buckets: Sequence[float]) -> Histogram:
        return Histogram(self._name(name), doc, buckets=buckets, registry=self.registry)

    def _name(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    @staticmethod
    def _start(metric: _Labelled, known: Iterable[str]) -> _Labelled:
        for value in known:
            metric.labels(value)
        return metric


class Metrics:
    """Every metric the daemon exports; the attributes are prometheus_client objects."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True) if registry is None else registry
        m = MetricFamilies(self.registry, PREFIX)
        self.messages = m.counter(
            "messages", "Inbound mails handled, by outcome.", "outcome", known=MESSAGE_OUTCOMES
        )
        self.issues_created = m.counter("issues_created", "Tracker issues created from requests.")
        self.actions = m.counter(
            "actions", "Side effects run, by kind and outcome.", "kind", "outcome"
        )
        self.retries = m.counter(
            "retries", "Retried calls to an external system.", "system", known=SYSTEMS
        )
        self.clocks = m.gauge("clocks", "Open SLA clocks, by kind and state.", "kind", "state")
        self.breaches = m.counter("breaches", "SLA deadlines missed, by clock kind.", "kind")
        self.last_contact = m.gauge(
            "last_success_timestamp_seconds",
            "Unix time of the last successful exchange with an external system.",
            "system",
        )
        self.loop_lag = m.gauge(
            "loop_lag_seconds",
            "How late a loop's last pass started compared with when it was due.",
            "loop",
        )
        self.notifications = m.counter(
            "notifications",
            "Notification emails settled by the outbox, by outcome (sent, failed).",
            "outcome",
            known=NOTIFICATION_OUTCOMES,
        )
        self.outbox_pending = m.gauge(
            "outbox_pending", "Notification emails queued and not yet sent."
        )
        self.loop_caps = m.counter(
            "loop_caps",
            "Mails that met a daily loop cap (a suspected mail loop), by cap.",
            "cap",
            known=LOOP_CAPS,
        )
        self.calendar_days_left = m.gauge(
            "calendar_data_days_left",
            "Days until the production calendar's data ends (negative once it has).",
        )
        self.dependency_up = m.gauge(
            "dependency_up",
            "1 while an outside system (or the state disk) answers, 0 during an outage.",
            "system",
        )
        for system in OUTAGE_SYSTEMS:
            self.dependency_up.labels(system=system).set(1)
        self.backlog = m.gauge(
            "backlog",
            "Work waiting for a loop (mail kept in hand, queued notifications, due rules).",
            "loop",
            known=LOOPS,
        )
        self.oldest_waiting = m.gauge(
            "oldest_waiting_seconds",
            "Age of the oldest item waiting for a loop (0 when none waits).",
            "loop",
            known=LOOPS,
        )
        self.role = m.gauge(
            "role",
            "1 for the role this instance holds: active (the leader), standby, fenced.",
            "role",
        )
        self.set_role("active")
        info = m.gauge("build_info", "The running version.", "version")
        info.labels(version=__version__).set(1)
        self.set_clocks({})

    def set_role(self, role: str) -> None:
        """This instance now holds ``role`` (the others read 0)."""
        self.current_role = role
        for name in ROLES:
            self.role.labels(role=name).set(1 if name == role else 0)

    def mark_contact(self, system: str, at: datetime) -> None:
        """A successful exchange with ``system`` (imap, smtp, tracker, telegram) at ``at``."""
        self.last_contact.labels(system=system).set(at.timestamp())

    def observe_backlog(self, loop: str, count: int, oldest_age: float) -> None:
        """``count`` items wait for ``loop``, the oldest for ``oldest_age`` seconds."""
        self.backlog.labels(loop=loop).set(count)
        self.oldest_waiting.labels(loop=loop).set(max(0.0, oldest_age))

    def dependency(self, system: str, up: bool) -> None:
        self.dependency_up.labels(system=system).set(1 if up else 0)

    def observe_lag(self, loop: str, seconds: float) -> None:
        """``loop`` started its pass ``seconds`` later than planned (0 when on time)."""
        self.loop_lag.labels(loop=loop).set(max(0.0, seconds))

    def set_clocks(self, counts: Mapping[tuple[ClockKind, ClockState], int]) -> None:
        """Replace the clock gauges with this pass's counts; absent combinations become 0."""
        for kind in ClockKind:
            for state in ClockState:
                self.clocks.labels(kind=kind.value, state=state.value).set(
                    counts.get((kind, state), 0)
                )

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)


class MetricsServer(ServingThread):
    """A running ``/metrics`` + ``/healthz`` server; stop it (or use ``with``) to free the port."""


def serve_metrics(
    metrics: Metrics,
    health: Health,
    clock: Clock,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
) -> MetricsServer:
    """Start answering ``/metrics`` and ``/healthz`` on ``host:port`` (port 0: any free port).

    Only loopback addresses are accepted: the endpoint has no authentication, and a scraper on
    another host should go through a reverse proxy or an SSH tunnel.
    """
    address, family = _loopback(host)
    handler = _handler_class(metrics, health, clock)
    server = MetricsServer(_server_class(family)((address, port), handler), name="metrics-server")
    server.start()
    return server


def _loopback(host: str) -> tuple[str, socket.AddressFamily]:
    """``host`` as an address and its family, refusing anything but loopback."""
    if host == "localhost":
        # Not resolved: it may name ::1 first, or be pointed elsewhere in /etc/hosts.
        return "127.0.0.1", socket.AF_INET
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"metrics address {host!r} is not an IP address") from None
    if not address.is_loopback:
        raise ValueError(f"metrics address {host} is not a loopback address (127.0.0.0/8 or ::1)")
    return str(address), socket.AF_INET6 if address.version == 6 else socket.AF_INET


def _server_class(family: socket.AddressFamily) -> type[ThreadingHTTPServer]:
    class Server(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True
        # A restart must be able to bind the port again while old connections sit in TIME_WAIT.
        allow_reuse_address = True

    return Server


def _handler_class(metrics: Metrics, health: Health, clock: Clock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = f"tracker-bridge/{__version__}"
        # A client that connects and says nothing must not hold a thread forever.
        timeout = 10

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(HTTPStatus.OK, CONTENT_TYPE_LATEST, metrics.render())
            elif path == "/healthz":
                if metrics.current_role == "standby":  # waiting, as it should: no loops yet
                    self._send_json(HTTPStatus.OK, {"status": "standby", "role": "standby"})
                    return
                report = health.check(clock.now())
                status = HTTPStatus.OK if report.ok else HTTPStatus.SERVICE_UNAVAILABLE
                # which role this instance holds on a shared store (active, or fenced)
                self._send_json(status, {**report.to_json(), "role": metrics.current_role})
            else:
                self._send_json(HTTPStatus.NOT_FOUND, {"error": "try /metrics or /healthz"})

        def _send_json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
            data = (json.dumps(body, ensure_ascii=False, sort_keys=True) + "\n").encode()
            self._send(status, "application/json; charset=utf-8", data)

        def _send(self, status: HTTPStatus, content_type: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            # Scrapes every 15 s would drown the journal; failures show up in /healthz instead.
            return

    return Handler
