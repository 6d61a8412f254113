"""Cards through python-telegram-bot against FakeTelegram: post, edit, final, deleted, restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.telegram.conftest import (
    CHAT,
    MirrorFactory,
    a_view,
)
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.regulation.actions import TelegramAlert, TelegramCard
from tracker_bridge.regulation.digest import Digest, DigestLine, TelegramDigest
from tracker_bridge.regulation.model import Comment, IssueView
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.telegram.errors import TelegramPermanent
from tracker_bridge.telegram.mirror import MirrorSettings, TelegramMirror
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.waiting import eventually

CARD = TelegramCard("SUP-1", "clinic-one", "fp")
HOSTILE = '<script>alert(1)</script> & <b>unbalanced <i> "q" &amp;'


class TestLifecycle:
    async def test_r5_first_update_posts_the_card_with_buttons(
        self, tg: FakeTelegram, mirror: TelegramMirror, store: MemoryStore
    ) -> None:
        """R5: the first update posts one card with buttons in the customer's chat and stores it."""
        message_id = await mirror.upsert_card(CARD, a_view())
        [message] = tg.bot_messages(CHAT)
        assert message.message_id == message_id
        assert message.text.startswith("🆕 SUP-1 · Критичный\nНе открывается карта пациента")
        assert message.callback_data == ["take:SUP-1", "info:SUP-1", "comment:SUP-1"]
        record = store.card("SUP-1")
        assert record is not None and (record.chat_id, record.message_id) == (CHAT, message_id)

    async def test_r5_change_edits_the_same_message(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """R5: a change edits the card in place: no new message."""
        first = await mirror.upsert_card(CARD, a_view())
        second = await mirror.upsert_card(
            CARD, a_view(status=Status.IN_PROGRESS, assignee="ivanov")
        )
        [message] = tg.bot_messages(CHAT)
        assert first == second == message.message_id
        assert message.edits == 1
        assert "Статус: В работе" in message.text and "Исполнитель: ivanov" in message.text

    async def test_r5_unchanged_card_is_not_edited(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """R5: the same text again makes no request at all."""
        await mirror.upsert_card(CARD, a_view())
        calls = len(tg.requests)
        await mirror.upsert_card(CARD, a_view())
        assert len(tg.requests) == calls
        assert tg.bot_messages(CHAT)[0].edits == 0

    async def test_r16_closing_shows_the_final_state_without_buttons(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """R16: when the request closes the card shows its final state and loses its buttons."""
        await mirror.upsert_card(CARD, a_view())
        await mirror.upsert_card(CARD, a_view(status=Status.CLOSED, resolution="fixed"))
        [message] = tg.bot_messages(CHAT)
        assert message.text.startswith("✅ SUP-1 · Закрыто (Решён)")
        assert message.buttons == []

    async def test_deleted_card_is_posted_again_and_the_new_id_kept(
        self, tg: FakeTelegram, mirror: TelegramMirror, store: MemoryStore
    ) -> None:
        """A card someone deleted is posted anew on the next change; the store gets the new id."""
        old = await mirror.upsert_card(CARD, a_view())
        tg.chats[CHAT].messages[old].deleted = True
        new = await mirror.upsert_card(CARD, a_view(status=Status.IN_PROGRESS))
        assert new != old
        assert [m.message_id for m in tg.bot_messages(CHAT)] == [new]
        record = store.card("SUP-1")
        assert record is not None and record.message_id == new

    async def test_hostile_text_is_escaped_and_accepted_by_the_strict_parser(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """User text with tags, '&' and quotes reaches the chat literally (strict HTML parser)."""
        comment = Comment("c1", a_view().created_at, HOSTILE, by_customer=True)
        view = a_view(summary=HOSTILE, comments=(comment,), assignee="<i>")
        await mirror.upsert_card(CARD, view)
        [message] = tg.bot_messages(CHAT)
        assert message.text.splitlines()[1] == HOSTILE
        assert "Исполнитель: <i>" in message.text


class TestCoalescing:
    async def test_r5_ten_rapid_updates_cost_far_fewer_edits_and_the_last_wins(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """R5: ten updates arriving together → at most two edits; the card shows the tenth."""
        await mirror.upsert_card(CARD, a_view())
        views = [a_view(summary=f"Версия {n}") for n in range(1, 11)]
        ids = await asyncio.gather(*(mirror.upsert_card(CARD, view) for view in views))
        [message] = tg.bot_messages(CHAT)
        assert set(ids) == {message.message_id}
        assert message.edits <= 2
        assert message.text.splitlines()[1] == "Версия 10"
        assert mirror.edits.superseded >= 8

    async def test_update_during_an_edit_in_flight_is_sent_after_it(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """An update that arrives while an edit is in flight is applied right after it."""
        await mirror.upsert_card(CARD, a_view())
        runs = mirror.edits.runs
        first = asyncio.create_task(mirror.upsert_card(CARD, a_view(summary="A")))
        await eventually(lambda: mirror.edits.runs > runs, 5)  # edit A is on its way
        await asyncio.gather(first, mirror.upsert_card(CARD, a_view(summary="B")))
        [message] = tg.bot_messages(CHAT)
        assert message.edits == 2 and message.text.splitlines()[1] == "B"


class TestRestart:
    async def test_r5_restart_edits_the_same_card(
        self, tg: FakeTelegram, make_mirror: MirrorFactory, tmp_path: Path
    ) -> None:
        """R5: a new mirror on the same SQLite card store edits the card the old one posted."""
        with SqliteStore(tmp_path / "bridge.db") as store:
            before = make_mirror(cards=store)
            await before.start(polling=False)
            posted = await before.upsert_card(CARD, a_view())
            await before.stop()
        with SqliteStore(tmp_path / "bridge.db") as store:
            after = make_mirror(cards=store)
            await after.start(polling=False)
            unchanged = await after.upsert_card(CARD, a_view())
            calls = len(tg.calls("editMessageText"))
            edited = await after.upsert_card(CARD, a_view(status=Status.IN_PROGRESS))
            await after.stop()
        assert posted == unchanged == edited
        assert calls == 0  # nothing changed: the restarted mirror did not even try an edit
        [message] = tg.bot_messages(CHAT)
        assert message.edits == 1 and "Статус: В работе" in message.text


class TestAlertsAndDigest:
    async def test_r10_alert_replies_to_the_card(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """R10: a breach alert is posted as a reply to the request's card."""
        card_id = await mirror.upsert_card(CARD, a_view())
        alert = TelegramAlert("SUP-1", "clinic-one", "breach", "intake:x", "Срок истёк 05.03")
        alert_id = await mirror.send_alert(alert, a_view())
        message = tg.chats[CHAT].messages[alert_id]
        assert message.reply_to == card_id
        assert message.text.startswith("🚨 Срок истёк\nSUP-1 Не открывается карта пациента")

    async def test_r15_alert_without_a_card_is_a_plain_message(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """R15: 'ready for production' for a request with no card is a plain message."""
        alert = TelegramAlert("SUP-7", "clinic-one", "ready_for_production", "verified:x")
        message = tg.chats[CHAT].messages[await mirror.send_alert(alert)]
        assert message.reply_to is None
        assert "можно переносить на основную среду" in message.text

    async def test_alert_after_the_card_was_deleted_still_goes_out(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """An alert whose card was deleted is sent without the reply, not lost."""
        card_id = await mirror.upsert_card(CARD, a_view())
        tg.chats[CHAT].messages[card_id].deleted = True
        alert = TelegramAlert("SUP-1", "clinic-one", "warning", "intake-share:x", "75 %")
        message = tg.chats[CHAT].messages[await mirror.send_alert(alert)]
        assert message.reply_to is None and message.text.startswith("⏰")

    async def test_effects_port_renders_from_the_live_views(
        self, tg: FakeTelegram, mirror: TelegramMirror, views: dict[str, IssueView]
    ) -> None:
        """card()/alert() (the effects' port) take the view from the live views mapping."""
        await mirror.card(CARD)
        views["SUP-1"] = a_view(status=Status.INFO_REQUESTED)
        await mirror.card(CARD)
        await mirror.alert(TelegramAlert("SUP-1", "clinic-one", "unclear_reply", "m1", "Хм"))
        card, alert = tg.bot_messages(CHAT)
        assert "Статус: Запрошена дополнительная информация" in card.text
        assert alert.reply_to == card.message_id


async def test_clock_is_not_advanced_by_the_mirror(
    clock: ManualClock, mirror: TelegramMirror
) -> None:
    """Posting cards reads the injected clock and never moves or waits on it."""
    before = clock.now()
    await mirror.upsert_card(CARD, a_view())
    assert clock.now() == before and clock.sleepers == 0


def test_settings_from_a_bot_api_base_url_derive_the_file_url() -> None:
    """MirrorSettings.from_base: '…/bot' (with or without it) gives both API and file URLs."""
    for base in ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/", "http://127.0.0.1:8081"):
        settings = MirrorSettings.from_base("1:x", base)
        assert (settings.base_url, settings.base_file_url) == (
            "http://127.0.0.1:8081/bot",
            "http://127.0.0.1:8081/file/bot",
        )


async def test_not_modified_answer_counts_as_success(
    tg: FakeTelegram, mirror: TelegramMirror, store: MemoryStore, clock: ManualClock
) -> None:
    """A stored fingerprint that is stale but a card already right: 'not modified' is success."""
    posted = await mirror.upsert_card(CARD, a_view())
    store.save_card("SUP-1", CHAT, posted, "stale", clock.now())
    assert await mirror.upsert_card(CARD, a_view()) == posted
    [edit] = tg.calls("editMessageText")
    assert edit.error_code == 400 and "not modified" in (edit.description or "")
    record = store.card("SUP-1")
    assert record is not None and record.fingerprint != "stale"
    assert tg.bot_messages(CHAT)[0].edits == 0


async def test_r21_digest_is_posted_to_the_customers_chat(
    tg: FakeTelegram, mirror: TelegramMirror
) -> None:
    """R21: the day's digest goes to the customer's chat as one message."""
    line = DigestLine("SUP-1", "Тема & <x>", "critical", "Открыто", a_view().created_at)
    digest = Digest("clinic-one", a_view().created_at.date(), {"critical": 1}, (line,), ())
    message_id = await mirror.post_digest(TelegramDigest(digest))
    text = tg.chats[CHAT].messages[message_id].text
    assert text.startswith("📋 Сводка на 02.03.2026 — clinic-one\nОткрыто заявок: 1 (Критичный: 1)")
    assert "• SUP-1 Тема & <x> (Критичный, Открыто, срок исполнения 02.03 12:00)" in text


async def test_wrong_token_fails_start_as_permanent(
    tg: FakeTelegram, make_mirror: MirrorFactory
) -> None:
    """A token the Bot API rejects stops start() with TelegramPermanent (a config problem)."""
    with FakeTelegram(token="42:right") as strict:
        mirror = make_mirror(settings=MirrorSettings.from_base("42:wrong", strict.url + "/bot"))
        with pytest.raises(TelegramPermanent, match="InvalidToken") as caught:
            await mirror.start()
        assert "42:wrong" not in str(caught.value)  # the token never reaches a log line
        await mirror.stop()
