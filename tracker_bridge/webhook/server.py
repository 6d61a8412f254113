"""The endpoint Tracker's triggers call: ``POST <webhook.path>`` with ``{"issue": "<KEY>"}``.

Served by aiohttp on the daemon's own event loop (a well-kept asyncio server: request size
limits, keep-alive and slow-client timeouts are its job, not ours; the stdlib ``http.server``
behind ``/metrics`` is documented as unfit for exposed use). Each call is checked in the order
that costs least first:

1. the request rate (a token bucket on the injected clock: ``webhook.rate_per_second``, bursts of
   ``webhook.rate_burst``) → 429 with ``Retry-After``;
2. the secret: ``Authorization: Bearer <webhook_secret>``, compared in constant time, before the
   body is read → 401;
3. the size: ``Content-Length`` over ``webhook.max_body_bytes`` → 413 (aiohttp enforces the same
   bound on bodies without a length);
4. the body: a JSON object naming an issue key of a configured queue → 400 / 422.

Then the key is handed to :class:`~tracker_bridge.webhook.hints.Hints` and the call answered 202
at once: the call is a hint, never data — the daemon reads the issue from Tracker itself. The
secret is never logged (it is registered for redaction like every secret); a refused call is
logged with its outcome and the peer only.
"""

from __future__ import annotations

import hmac
import json
import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.webhook.health import WebhookHealth
from tracker_bridge.webhook.hints import Hints
from tracker_bridge.webhook.metrics import WebhookMetrics

__all__ = ["ISSUE_KEY", "TokenBucket", "WebhookServer"]

log = structlog.get_logger(__name__)

# outcome (a metric label), HTTP status, extra headers
_Refusal = tuple[str, int, dict[str, str]]

ISSUE_KEY = re.compile(r"(?P<queue>[A-Z][A-Z0-9_]*)-[1-9][0-9]{0,9}")


@dataclass
class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; time from ``now`` (seconds)."""

    rate: float
    burst: int
    now: Callable[[], float]

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._at = self.now()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is there."""
        at = self.now()
        self._tokens = min(float(self.burst), self._tokens + (at - self._at) * self.rate)
        self._at = max(self._at, at)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


class WebhookServer:
    """Started and stopped by the daemon as one of its services."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        path: str,
        secret: str,
        queues: Collection[str],
        hints: Hints,
        health: WebhookHealth,
        metrics: WebhookMetrics,
        clock: Clock,
        max_body: int = 16 * 1024,
        rate: float = 20.0,
        burst: int = 200,
    ) -> None:
        self._host, self._port, self._path = host, port, path
        self._expected = f"Bearer {secret}".encode()
        self._queues = frozenset(queues)
        self._hints, self._health, self._metrics = hints, health, metrics
        self._clock = clock
        self._max_body = max_body
        self._bucket = TokenBucket(rate, burst, lambda: clock.now().timestamp())
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The bound port (the configured one, or the one the OS chose for port 0)."""
        assert self._runner is not None, "not started"
        for address in self._runner.addresses:
            return int(address[1])
        raise RuntimeError("the webhook server has no socket")

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}{self._path}"

    async def start(self) -> None:
        app = web.Application(client_max_size=self._max_body)
        app.router.add_post(self._path, self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("webhook.serving", url=self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        now = self._clock.now()
        refusal = self._gate(request)
        key = None
        if refusal is None:
            key, refusal = await self._named(request)
        if refusal is not None or key is None:
            outcome, status, headers = refusal or ("bad_request", 400, {})
            return self._refuse(outcome, status, request, headers)
        return self._accept(key, now)

    def _gate(self, request: web.Request) -> _Refusal | None:
        """Rate, secret and declared size: all checked before the body is read."""
        wait = self._bucket.take()
        if wait > 0:
            return "rate_limited", 429, {"Retry-After": str(max(1, math.ceil(wait)))}
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, self._expected):
            return "unauthorized", 401, {}
        if request.content_length is not None and request.content_length > self._max_body:
            return "too_large", 413, {}
        return None

    async def _named(self, request: web.Request) -> tuple[str | None, _Refusal | None]:
        """The issue key the body names, else why the call is refused."""
        try:
            body = json.loads(await request.read())
        except web.HTTPRequestEntityTooLarge:
            return None, ("too_large", 413, {})
        except ValueError:
            return None, ("bad_request", 400, {})
        key = _issue_key(body)
        if key is None:
            return None, ("bad_request", 400, {})
        if key.rpartition("-")[0] not in self._queues:
            return None, ("unknown_queue", 422, {})
        return key, None

    def _accept(self, key: str, now: datetime) -> web.Response:
        self._health.called(key, now)
        outcome = "accepted" if self._hints.add(key, now) else "coalesced"
        self._metrics.calls.labels(outcome=outcome).inc()
        log.debug("webhook.call", issue=key, outcome=outcome)
        return web.json_response({"status": outcome, "issue": key}, status=202)

    def _refuse(
        self,
        outcome: str,
        status: int,
        request: web.Request,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self._metrics.calls.labels(outcome=outcome).inc()
        log.warning("webhook.refused", outcome=outcome, status=status, peer=request.remote)
        return web.json_response({"status": outcome}, status=status, headers=headers)


def _issue_key(body: Any) -> str | None:
    """The issue key a call names: ``{"issue": "SUP-12"}`` (also ``{"issue": {"key": …}}``)."""
    if not isinstance(body, dict):
        return None
    value = body.get("issue")
    if isinstance(value, dict):
        value = value.get("key")
    if not isinstance(value, str):
        return None
    key = value.strip()
    return key if ISSUE_KEY.fullmatch(key) else None
