"""Issue 13.2: a card's address is kept on its issue in Tracker, so a lost or restored state
database edits the same card instead of posting a second one. The real python-telegram-bot
against FakeTelegram, the unmodified yandex-tracker-client against FakeTracker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest

from tests.telegram.conftest import CHAT, CHAT_TWO, MirrorFactory, a_view
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.regulation.actions import TelegramCard
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.telegram.card_ledger import TrackerCardLedger, card_in_tags, card_tag
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.gateway import TrackerGateway

CARD = TelegramCard("SUP-1", "clinic-one", "fp")


@pytest.fixture(name="tracker")
def tracker_fixture(clock: ManualClock) -> Iterator[FakeTracker]:
    with FakeTracker(clock=clock) as fake:
        fake.create_issue("SUP", "Не открывается карта пациента")
        yield fake


@pytest.fixture(name="ledger")
async def ledger_fixture(tracker: FakeTracker) -> AsyncIterator[TrackerCardLedger]:
    retry = RetryPolicy(attempts=2, total_seconds=1, initial_wait=0.01, max_wait=0.01)
    async with TrackerGateway(
        base_url=tracker.url, token=tracker.token, org_id=tracker.org_id, retry=retry
    ) as gateway:
        yield TrackerCardLedger(gateway)


async def test_a_posted_card_is_tagged_on_its_issue_and_a_fresh_store_edits_it(
    tg: FakeTelegram, make_mirror: MirrorFactory, tracker: FakeTracker, ledger: TrackerCardLedger
) -> None:
    """Posted once, tagged on SUP-1; the state database is lost (a fresh store), the issue is
    read again with its tags: the next change edits that card — one message in the group."""
    first = make_mirror(ledger=ledger)
    await first.start(polling=False)
    try:
        message_id = await first.upsert_card(CARD, a_view())
    finally:
        await first.stop()
    tags = tracker.issues["SUP-1"].tags
    assert tags == [card_tag(CHAT, message_id)]

    rebuilt = make_mirror(cards=MemoryStore(), ledger=ledger)  # the database lost
    await rebuilt.start(polling=False)
    try:
        view = replace(a_view(status=Status.IN_PROGRESS, assignee="ivanov"), tags=frozenset(tags))
        again = await rebuilt.upsert_card(CARD, view)
    finally:
        await rebuilt.stop()
    [message] = tg.bot_messages(CHAT)
    assert again == message_id == message.message_id
    assert "Исполнитель: ivanov" in message.text
    assert tracker.issues["SUP-1"].tags == [card_tag(CHAT, message_id)]  # nothing new to note


async def test_a_tagged_card_someone_deleted_is_posted_anew_and_tagged_again(
    tg: FakeTelegram, make_mirror: MirrorFactory, tracker: FakeTracker, ledger: TrackerCardLedger
) -> None:
    """The tag names a card that is gone: after a lost database the card is posted anew (one
    live card), and the new address is noted too; the latest tag is the one read."""
    mirror = make_mirror(ledger=ledger)
    await mirror.start(polling=False)
    try:
        first = await mirror.upsert_card(CARD, a_view())
    finally:
        await mirror.stop()
    tg.chats[CHAT].messages[first].deleted = True
    rebuilt = make_mirror(cards=MemoryStore(), ledger=ledger)
    await rebuilt.start(polling=False)
    try:
        view = replace(a_view(), tags=frozenset(tracker.issues["SUP-1"].tags))
        second = await rebuilt.upsert_card(CARD, view)
    finally:
        await rebuilt.stop()
    assert second != first
    assert [m.message_id for m in tg.bot_messages(CHAT) if not m.deleted] == [second]
    tags = tracker.issues["SUP-1"].tags
    assert tags == [card_tag(CHAT, first), card_tag(CHAT, second)]
    assert card_in_tags(tags, CHAT) == second


def test_only_a_card_tag_of_the_same_chat_counts() -> None:
    tags = {"telegram", card_tag(CHAT, 7), card_tag(CHAT_TWO, 9), "telegram-card:x:1"}
    assert card_in_tags(tags, CHAT) == 7
    assert card_in_tags(tags, CHAT_TWO) == 9
    assert card_in_tags({"telegram"}, CHAT) is None


async def test_tracker_down_when_noting_costs_only_the_note(
    tg: FakeTelegram, make_mirror: MirrorFactory, tracker: FakeTracker, ledger: TrackerCardLedger
) -> None:
    """The card goes out and the store has it; the failed note is logged, not raised."""
    tracker.fail_next("* /*", status=503, times=10)
    mirror = make_mirror(ledger=ledger)
    await mirror.start(polling=False)
    try:
        message_id = await mirror.upsert_card(CARD, a_view())
    finally:
        await mirror.stop()
    assert [m.message_id for m in tg.bot_messages(CHAT)] == [message_id]
    tracker.clear_faults()
    assert tracker.issues["SUP-1"].tags == []
