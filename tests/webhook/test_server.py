"""The webhook endpoint over real HTTP on loopback: what it accepts, refuses, and never logs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.webhook.health import WebhookHealth
from tracker_bridge.webhook.hints import Hints
from tracker_bridge.webhook.metrics import WebhookMetrics
from tracker_bridge.webhook.server import TokenBucket, WebhookServer

SECRET = "test-webhook-secret-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {SECRET}"}
START = datetime(2026, 3, 2, 9, tzinfo=UTC)


class Endpoint:
    def __init__(self, server: WebhookServer, hints: Hints, metrics: WebhookMetrics) -> None:
        self.server, self.hints, self.metrics = server, hints, metrics

    def calls(self, outcome: str) -> float:
        return self.metrics.calls.labels(outcome=outcome)._value.get()  # type: ignore[attr-defined]


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    async with _endpoint() as found:
        yield found


class _endpoint:
    def __init__(self, **options: float) -> None:
        self.clock = ManualClock(START)
        self.options = options

    async def __aenter__(self) -> Endpoint:
        metrics = WebhookMetrics(CollectorRegistry())
        hints = Hints()
        server = WebhookServer(
            host="127.0.0.1",
            port=0,
            path="/tracker/webhook",
            secret=SECRET,
            queues={"SUP"},
            hints=hints,
            health=WebhookHealth(metrics),
            metrics=metrics,
            clock=self.clock,
            max_body=1024,
            rate=float(self.options.get("rate", 20.0)),
            burst=int(self.options.get("burst", 200)),
        )
        await server.start()
        self.endpoint = Endpoint(server, hints, metrics)
        return self.endpoint

    async def __aexit__(self, *exc: object) -> None:
        await self.endpoint.server.stop()


async def _post(url: str, **kwargs: object) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(url, **kwargs)  # type: ignore[arg-type]


async def test_an_authenticated_call_schedules_one_read_of_the_issue(endpoint: Endpoint) -> None:
    """202 at once; the key waits for the daemon's read; a second call for it costs nothing."""
    first = await _post(endpoint.server.url, json={"issue": "SUP-12"}, headers=AUTH)
    second = await _post(endpoint.server.url, json={"issue": "SUP-12"}, headers=AUTH)
    assert (first.status_code, first.json()["status"]) == (202, "accepted")
    assert (second.status_code, second.json()["status"]) == (202, "coalesced")
    assert list(endpoint.hints.take()) == ["SUP-12"]
    assert endpoint.calls("accepted") == 1
    assert endpoint.calls("coalesced") == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": SECRET}, {"X-Token": SECRET}],
)
async def test_a_call_without_the_secret_is_refused_before_its_body_is_read(
    endpoint: Endpoint, headers: dict[str, str]
) -> None:
    answer = await _post(endpoint.server.url, json={"issue": "SUP-1"}, headers=headers)
    assert answer.status_code == 401
    assert len(endpoint.hints) == 0
    assert endpoint.calls("unauthorized") == 1


async def test_the_secret_is_never_logged(endpoint: Endpoint) -> None:
    with capture_logs() as logs:
        await _post(endpoint.server.url, json={"issue": "SUP-1"}, headers=AUTH)
        await _post(endpoint.server.url, json={"issue": "SUP-1"}, headers={"Authorization": "x"})
    assert logs, "the refused call is logged"
    assert SECRET not in repr(logs)


async def test_a_body_over_the_bound_is_refused(endpoint: Endpoint) -> None:
    """413 for a declared length over ``max_body_bytes``, and for a chunked body without one."""
    big = b'{"issue": "SUP-1", "pad": "' + b"x" * 2000 + b'"}'
    declared = await _post(endpoint.server.url, content=big, headers=AUTH)

    async def chunks() -> AsyncIterator[bytes]:
        yield big

    chunked = await _post(endpoint.server.url, content=chunks(), headers=AUTH)
    assert (declared.status_code, chunked.status_code) == (413, 413)
    assert len(endpoint.hints) == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[]", 400),
        (b'{"issue": "sup-1; DROP"}', 400),
        (b'{"key": "SUP-1"}', 400),
        (b'{"issue": "OTHER-3"}', 422),
    ],
)
async def test_a_body_that_names_no_issue_of_a_configured_queue_is_refused(
    endpoint: Endpoint, body: bytes, status: int
) -> None:
    answer = await _post(endpoint.server.url, content=body, headers=AUTH)
    assert answer.status_code == status
    assert len(endpoint.hints) == 0


async def test_the_issue_may_be_given_as_an_object() -> None:
    async with _endpoint() as endpoint:
        body = {"issue": {"key": "SUP-7"}}
        answer = await _post(endpoint.server.url, json=body, headers=AUTH)
        assert answer.status_code == 202
        assert list(endpoint.hints.take()) == ["SUP-7"]


async def test_calls_beyond_the_rate_are_refused_until_the_bucket_refills() -> None:
    """A burst of 3 at 1 a second: the 4th call waits (429, Retry-After), one second later one
    more is accepted. Time is the injected clock."""
    ctx = _endpoint(rate=1.0, burst=3)
    async with ctx as endpoint:
        answers = [
            await _post(endpoint.server.url, json={"issue": f"SUP-{n}"}, headers=AUTH)
            for n in range(1, 5)
        ]
        assert [a.status_code for a in answers] == [202, 202, 202, 429]
        assert answers[-1].headers["Retry-After"] == "1"
        ctx.clock.advance(1.0)
        later = await _post(endpoint.server.url, json={"issue": "SUP-4"}, headers=AUTH)
        assert later.status_code == 202
        assert endpoint.calls("rate_limited") == 1


async def test_only_post_on_the_path_is_served(endpoint: Endpoint) -> None:
    async with httpx.AsyncClient() as client:
        wrong_method = await client.get(endpoint.server.url, headers=AUTH)
        wrong_path = await client.post(
            endpoint.server.url + "/x", json={"issue": "SUP-1"}, headers=AUTH
        )
    assert (wrong_method.status_code, wrong_path.status_code) == (405, 404)


def test_the_token_bucket_saves_up_to_its_burst() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=2, now=lambda: now[0])
    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)
    now[0] = 10.0  # long idle: still only the burst
    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() > 0


async def test_a_stopped_server_frees_its_port() -> None:
    async with _endpoint() as endpoint:
        port = endpoint.server.port
    with pytest.raises(httpx.ConnectError):
        await _post(f"http://127.0.0.1:{port}/tracker/webhook", json={}, headers=AUTH)
    await asyncio.sleep(0)
