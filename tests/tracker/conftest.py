"""Shared fixtures for the Tracker adapter: a FakeTracker on a ManualClock and a gateway on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tracker_bridge.foundation import retry
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.regulation.actions import CreateIssue
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.fake_tracker.switches import PROFILES
from tracker_bridge.tracker.gateway import TrackerGateway

START = datetime(2026, 11, 26, 9, 15, tzinfo=UTC)


@pytest.fixture(name="clock")
def clock_fixture() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(name="switches", params=[p for _, p in PROFILES], ids=[i for i, _ in PROFILES])
def switches_fixture(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The FakeTracker's switches for this run: every gateway test runs with the defaults and
    with each unknown behaviour moved to each of its other candidates (issue 11.8)."""
    return dict(request.param)


@pytest.fixture(name="fake")
def fake_fixture(clock: ManualClock, switches: dict[str, Any]) -> Iterator[FakeTracker]:
    with FakeTracker(clock=clock, **switches) as tracker:
        yield tracker


@pytest.fixture(name="no_waits", autouse=True)
def no_waits_fixture() -> Iterator[None]:
    """Retries in these tests do not sleep (the waits are still computed and logged)."""
    with retry.testing():
        yield


def make_gateway(fake: FakeTracker, **options: object) -> TrackerGateway:
    settings: dict[str, object] = {
        "base_url": fake.url,
        "token": fake.token,
        "org_id": fake.org_id,
        "retry": RetryPolicy(attempts=8, total_seconds=30),
        **options,
    }
    return TrackerGateway(**settings)  # type: ignore[arg-type]


@pytest.fixture(name="gateway")
async def gateway_fixture(fake: FakeTracker) -> AsyncIterator[TrackerGateway]:
    async with make_gateway(fake) as gateway:
        yield gateway


def create_action(unique: str = "tb-1", **overrides: Any) -> CreateIssue:
    """A CreateIssue as triage would make it for one email."""
    values: dict[str, Any] = {
        "unique": unique,
        "customer": "clinic",
        "queue": "SUP",
        "summary": "Не открывается карта",
        "description": "Логин doctor, карта 123",
        "requester": "doctor@clinic.ru",
        "source_message_id": f"<{unique}@clinic.ru>",
        **overrides,
    }
    return CreateIssue(**values)
