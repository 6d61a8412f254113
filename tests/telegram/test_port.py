"""The mirror behind the effects executor: journaled once, 403 settled for good, 429 transient."""

from __future__ import annotations

import pytest

from tests.telegram.conftest import CHAT, a_view
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.regulation.actions import (
    Action,
    AddComment,
    AttachFiles,
    CreateIssue,
    Link,
    SetFields,
    TelegramAlert,
    TelegramCard,
    Transition,
)
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.service.effects import Effects, TelegramPort, TransientEffectError
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.telegram.mirror import TelegramMirror
from tracker_bridge.telegram.port import EffectsPort
from tracker_bridge.testing.fake_telegram import FakeTelegram

CARD = TelegramCard("SUP-1", "clinic-one", "fp-1")


class NoTracker:
    """These batches hold only Telegram actions: Tracker must never be called."""

    async def create_issue(self, a: CreateIssue) -> str:
        raise AssertionError(a)

    async def add_comment(self, a: AddComment, key: str) -> str:
        raise AssertionError(a)

    async def transition(self, a: Transition, key: str) -> bool:
        raise AssertionError(a)

    async def set_fields(self, a: SetFields, key: str) -> None:
        raise AssertionError(a)

    async def link(self, a: Link, key: str) -> None:
        raise AssertionError(a)

    async def attach(self, a: AttachFiles, key: str) -> None:
        raise AssertionError(a)


@pytest.fixture(name="effects")
def effects_fixture(mirror: TelegramMirror, store: MemoryStore, clock: ManualClock) -> Effects:
    port: TelegramPort = EffectsPort(mirror)  # mypy checks the protocol here
    return Effects(store, clock, tracker=NoTracker(), telegram=port)


async def test_r5_card_action_runs_once_through_the_journal(
    tg: FakeTelegram, effects: Effects
) -> None:
    """R5: a TelegramCard run twice through the effects posts one card (journaled once)."""
    first = await effects.run([CARD], customer="clinic-one")
    second = await effects.run([CARD], customer="clinic-one")
    assert (first.done, second.skipped) == ([CARD.key], [CARD.key])
    assert len(tg.bot_messages(CHAT)) == 1


async def test_kicked_bot_fails_actions_for_good_without_a_retry_loop(
    tg: FakeTelegram, effects: Effects, views: dict[str, IssueView]
) -> None:
    """403 → a permanent effect failure: settled, not retried; one request ever reaches Telegram."""
    await effects.run([CARD], customer="clinic-one")
    tg.kick_bot(CHAT)
    views["SUP-1"] = a_view(status=Status.IN_PROGRESS)
    batches: list[list[Action]] = [
        [
            TelegramCard("SUP-1", "clinic-one", f"fp-{n}"),
            TelegramAlert("SUP-1", "clinic-one", "breach", f"e{n}"),
        ]
        for n in range(2, 5)
    ]
    results = [await effects.run(batch, customer="clinic-one") for batch in batches]
    assert [len(result.failed) for result in results] == [2, 2, 2]
    assert sum(1 for call in tg.requests if call.error_code == 403) == 1
    again = await effects.run(batches[0], customer="clinic-one")
    assert again.skipped == [action.key for action in batches[0]]


async def test_flood_after_retries_is_a_transient_effect_error(
    tg: FakeTelegram, effects: Effects
) -> None:
    """A 429 outlasting the rate limiter's 3 retries (each after retry_after) is transient."""
    tg.fail_next("sendMessage", 429, retry_after=1, times=10)
    with pytest.raises(TransientEffectError, match="RetryAfter"):
        await effects.run([CARD], customer="clinic-one")
    assert len(tg.calls("sendMessage")) == 4
