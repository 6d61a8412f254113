"""Fixtures shared by the fakes' conformance tests: a FakeTracker on a manual clock, and the real
client pointed at it. A module that needs another start time overrides ``start``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_tracker import FakeTracker


@pytest.fixture
def start() -> datetime:
    return datetime(2026, 11, 26, 9, 15, tzinfo=UTC)


@pytest.fixture
def clock(start: datetime) -> ManualClock:
    return ManualClock(start)


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeTracker]:
    with FakeTracker(clock=clock) as tracker:
        yield tracker


@pytest.fixture
def client(fake: FakeTracker) -> Iterator[Any]:
    with fake.client() as tracker_client:
        yield tracker_client
