"""Fixtures shared by the fakes' conformance tests: a FakeTracker on a manual clock, and the real
client pointed at it (a module that needs another start time overrides ``start``); the real
python-telegram-bot ``Bot`` pointed at a module's ``tg`` FakeTelegram."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import Bot

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker

BOT_TOKEN = "123456:test-token"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # else RetryAfter warns (warnings are errors)


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


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(BOT_TOKEN, base_url=f"{tg.url}/bot", base_file_url=f"{tg.url}/file/bot") as ptb:
        yield ptb
