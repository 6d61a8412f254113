"""Issue 13.5: a message Telegram took whose id never reached the store is found, not posted
twice — every send ledgered, an unknown outcome resolved by an identical edit before the chat's
next send (tracker_bridge.telegram.send_ledger), against FakeTelegram over real HTTP."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from tests.telegram.conftest import CHAT, SUPPORT, MirrorFactory, a_view
from tracker_bridge.regulation.actions import TelegramAlert, TelegramCard
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.telegram.errors import TelegramTransient
from tracker_bridge.telegram.mirror import TelegramMirror
from tracker_bridge.telegram.send_ledger import PROBE_MISSES, PROBE_WINDOW, Probe, next_probe
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_telegram.methods import NOT_MODIFIED

FIRST = TelegramCard("SUP-1", "clinic-one", "fp")
CARD = TelegramCard("SUP-2", "clinic-one", "fp")


def cards_of(tg: FakeTelegram, key: str) -> list[int]:
    return [m.message_id for m in tg.bot_messages(CHAT) if m.buttons and f"{key} " in m.text]


def probes(tg: FakeTelegram) -> list[tuple[int, str | None]]:
    return [(int(c.params["message_id"]), c.description) for c in tg.calls("editMessageText")]


async def lost_card(tg: FakeTelegram, make_mirror: MirrorFactory) -> None:
    """A first card recorded (the chat's floor), then SUP-2's card taken by Telegram with its
    answer lost (the connection cut: as a kill, or a timeout, between send and record)."""
    mirror = make_mirror()
    await mirror.start(polling=False)
    try:
        await mirror.upsert_card(FIRST, a_view("SUP-1"))
        tg.lose_answer("sendMessage", chat_id=CHAT)
        with pytest.raises(TelegramTransient):
            await mirror.upsert_card(CARD, a_view("SUP-2"))
    finally:
        await mirror.stop()


async def test_a_card_whose_answer_was_lost_is_found_by_the_next_leader_and_not_posted_again(
    tg: FakeTelegram, make_mirror: MirrorFactory, store: MemoryStore
) -> None:
    """The next daemon (same store) probes the id above the floor with the very same text and
    buttons: Telegram's "not modified" says it is the card; it is recorded and kept."""
    await lost_card(tg, make_mirror)
    assert len(cards_of(tg, "SUP-2")) == 1 and store.card("SUP-2") is None
    successor = make_mirror()
    await successor.start(polling=False)
    try:
        with capture_logs() as logs:
            message_id = await successor.upsert_card(CARD, a_view("SUP-2"))
    finally:
        await successor.stop()
    assert cards_of(tg, "SUP-2") == [message_id]
    record = store.card("SUP-2")
    assert record is not None and record.message_id == message_id
    assert probes(tg) == [(message_id, f"Bad Request: {NOT_MODIFIED}")] * 2  # probe, refresh
    found = [e["message_id"] for e in logs if e["event"] == "telegram.send_found"]
    assert found == [message_id]


async def test_the_found_card_is_brought_up_to_date_and_the_next_send_goes_out_once(
    tg: FakeTelegram, make_mirror: MirrorFactory, store: MemoryStore
) -> None:
    """Found with an older text (the request changed meanwhile): edited to the current one; an
    alert after it replies to it, posted once."""
    await lost_card(tg, make_mirror)
    mirror = make_mirror()
    await mirror.start(polling=False)
    try:
        moved = a_view("SUP-2", status=Status.IN_PROGRESS)
        message_id = await mirror.upsert_card(TelegramCard("SUP-2", "clinic-one", "fp2"), moved)
        alert = TelegramAlert("SUP-2", "clinic-one", "breach", "reaction", "")
        await mirror.send_alert(alert, moved)
        await mirror.send_alert(alert, moved)  # the same action again: its message is known
    finally:
        await mirror.stop()
    assert cards_of(tg, "SUP-2") == [message_id]
    assert "Статус: В работе" in tg.chats[CHAT].messages[message_id].text
    replies = [m for m in tg.bot_messages(CHAT) if m.reply_to == message_id]
    assert len(replies) == 1


async def test_a_send_that_never_reached_telegram_is_probed_past_others_messages_then_sent(
    tg: FakeTelegram, make_mirror: MirrorFactory, store: MemoryStore
) -> None:
    """A 502 left the outcome unknown; people wrote meanwhile ("message can't be edited"); ids
    nobody has end the probe after PROBE_MISSES; the card is posted once."""
    mirror = make_mirror()
    await mirror.start(polling=False)
    try:
        await mirror.upsert_card(FIRST, a_view("SUP-1"))
        tg.fail_next("sendMessage", 502)
        with pytest.raises(TelegramTransient):
            await mirror.upsert_card(CARD, a_view("SUP-2"))
        people = [tg.inject_message(CHAT, SUPPORT, f"сообщение {n}").message_id for n in (1, 2)]
        message_id = await mirror.upsert_card(CARD, a_view("SUP-2"))
    finally:
        await mirror.stop()
    assert cards_of(tg, "SUP-2") == [message_id]
    answers = [description for _, description in probes(tg)]
    assert [mid for mid, _ in probes(tg)][:2] == people
    assert answers == (
        ["Bad Request: message can't be edited"] * 2
        + ["Bad Request: message to edit not found"] * PROBE_MISSES
    )
    assert store.sends_unresolved(CHAT) == []


async def test_the_first_send_to_a_chat_is_not_probed(
    tg: FakeTelegram, make_mirror: MirrorFactory, store: MemoryStore
) -> None:
    """No recorded send in the chat, no floor: the bot's older messages there are unknown and
    must not be edited, so an unknown first send is at least once (docs/operations.md)."""
    mirror = make_mirror()
    await mirror.start(polling=False)
    try:
        tg.lose_answer("sendMessage")
        with pytest.raises(TelegramTransient):
            await mirror.upsert_card(FIRST, a_view("SUP-1"))
        with capture_logs() as logs:
            await mirror.upsert_card(FIRST, a_view("SUP-1"))
    finally:
        await mirror.stop()
    assert probes(tg) == []
    assert len(cards_of(tg, "SUP-1")) == 2
    assert [e["event"] for e in logs if e["event"].startswith("telegram.send_")] == [
        "telegram.send_unresolved"
    ]


async def test_without_a_ledger_nothing_is_recorded(
    tg: FakeTelegram, make_mirror: MirrorFactory, store: MemoryStore
) -> None:
    """A mirror without ``sends`` posts as before (the ledger is the daemon's)."""
    mirror: TelegramMirror = make_mirror(sends=None)
    await mirror.start(polling=False)
    try:
        await mirror.upsert_card(FIRST, a_view("SUP-1"))
    finally:
        await mirror.stop()
    assert store.send_get("card-post:SUP-1") is None and len(cards_of(tg, "SUP-1")) == 1


def test_the_probe_skips_recorded_ids_and_ends_past_the_chats_newest_message() -> None:
    """Ids above the floor, recorded ones skipped; PROBE_MISSES ids nobody has in a row end it
    (someone else's message in between starts the count again), PROBE_WINDOW ids at most."""
    known = frozenset({12})
    assert next_probe(10, [], known) == 11
    assert next_probe(10, [(11, Probe.OTHER)], known) == 13
    nobody = [(13 + n, Probe.NOBODY) for n in range(PROBE_MISSES - 1)]
    assert next_probe(10, [(11, Probe.OTHER), *nobody], known) == 13 + PROBE_MISSES - 1
    assert next_probe(10, [(11, Probe.OTHER), *nobody, (99, Probe.NOBODY)], known) is None
    again = [*nobody, (20, Probe.OTHER), (21, Probe.NOBODY)]
    assert next_probe(10, again, known) == 22
    others = [(11 + n, Probe.OTHER) for n in range(PROBE_WINDOW)]
    assert next_probe(10, others, frozenset()) is None
