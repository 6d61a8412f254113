"""Telegram refusing: 429 storms, the bot kicked (403), bad requests never retried."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from tests.telegram.conftest import CHAT, CHAT_TWO, MirrorFactory, a_view
from tracker_bridge.regulation.actions import TelegramAlert, TelegramCard
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.telegram.errors import ChatUnavailable, TelegramPermanent, TelegramTransient
from tracker_bridge.telegram.mirror import TelegramMirror
from tracker_bridge.testing.fake_telegram import FakeTelegram

CARD = TelegramCard("SUP-1", "clinic-one", "fp")


def failures(tg: FakeTelegram, code: int) -> int:
    return sum(1 for call in tg.requests if call.error_code == code)


class TestFloodControl:
    async def test_r5_429_storm_is_ridden_out_and_every_card_delivered(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """R5: 429s with retry_after on sends and edits: retried after the wait, all delivered."""
        keys = [f"SUP-{n}" for n in range(1, 6)]
        cards = {key: TelegramCard(key, "clinic-one", "f") for key in keys}
        await asyncio.gather(*(mirror.upsert_card(cards[k], a_view(k)) for k in keys[:2]))
        tg.fail_next("sendMessage", 429, retry_after=1, times=2)
        tg.fail_next("editMessageText", 429, retry_after=1, times=2)
        updates = [
            mirror.upsert_card(cards[key], a_view(key, status=Status.IN_PROGRESS)) for key in keys
        ]
        await asyncio.gather(*updates)  # raises if any 429 were left unhandled
        assert failures(tg, 429) == 4
        texts = {m.text.split()[1]: m.text for m in tg.bot_messages(CHAT)}
        assert sorted(texts) == keys
        assert all("Статус: В работе" in text for text in texts.values())

    async def test_flood_beyond_the_retries_is_transient_with_telegrams_hint(
        self, tg: FakeTelegram, make_mirror: MirrorFactory
    ) -> None:
        """Still 429 after the retries: TelegramTransient carrying retry_after; next call works."""
        mirror = make_mirror(max_retries=0)
        await mirror.start(polling=False)
        try:
            tg.fail_next("sendMessage", 429, retry_after=7)
            with pytest.raises(TelegramTransient) as caught:
                await mirror.upsert_card(CARD, a_view())
            assert caught.value.retry_after == timedelta(seconds=7)
            assert isinstance(caught.value.__cause__, Exception)  # chained to PTB's RetryAfter
            await mirror.upsert_card(CARD, a_view())
        finally:
            await mirror.stop()
        assert len(tg.bot_messages(CHAT)) == 1


class TestBadRequest:
    async def test_bad_request_is_permanent_and_never_retried(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """PTB's BadRequest (a NetworkError subclass) is permanent: one request, no retry."""
        await mirror.upsert_card(CARD, a_view())
        tg.fail_next("editMessageText", 400, description="Bad Request: can't parse entities")
        before = len(tg.calls("editMessageText"))
        with pytest.raises(TelegramPermanent, match=r"(?i)can't parse entities"):
            await mirror.upsert_card(CARD, a_view(status=Status.IN_PROGRESS))
        assert len(tg.calls("editMessageText")) == before + 1

    async def test_server_error_is_transient(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """A 5xx from Telegram is transient: the caller may retry later."""
        tg.fail_next("sendMessage", 502)
        with pytest.raises(TelegramTransient):
            await mirror.upsert_card(CARD, a_view())


class TestKicked:
    async def test_bot_removed_from_chat_is_logged_and_reported_once_without_retries(
        self, tg: FakeTelegram, make_mirror: MirrorFactory
    ) -> None:
        """403: logged once, the hook told once, later calls refused locally, others unaffected."""
        lost: list[tuple[int, str]] = []

        async def hook(chat_id: int, reason: str) -> None:
            lost.append((chat_id, reason))

        mirror = make_mirror(on_chat_unavailable=hook)
        await mirror.start(polling=False)
        try:
            await mirror.upsert_card(CARD, a_view())
            tg.kick_bot(CHAT)
            with capture_logs() as logs:
                for n in range(5):
                    with pytest.raises(ChatUnavailable):
                        await mirror.upsert_card(CARD, a_view(summary=f"v{n}"))
                with pytest.raises(ChatUnavailable):
                    await mirror.send_alert(TelegramAlert("SUP-1", "clinic-one", "breach", "e"))
            forbidden = failures(tg, 403)
            other = await mirror.upsert_card(
                TelegramCard("CL2-1", "clinic-two", "f"), a_view("CL2-1", customer="clinic-two")
            )
            assert not mirror.chat_available(CHAT) and mirror.chat_available(CHAT_TWO)
        finally:
            await mirror.stop()
        assert forbidden == 1  # one request found out; the rest never left the process
        assert lost == [(CHAT, "Forbidden: bot was kicked from the supergroup chat")]
        assert [e["event"] for e in logs if e["log_level"] == "error"] == [
            "telegram.chat_unavailable"
        ]
        assert tg.chats[CHAT_TWO].messages[other].text.startswith("🆕 CL2-1")

    async def test_restored_chat_is_written_to_again(
        self, tg: FakeTelegram, mirror: TelegramMirror
    ) -> None:
        """After restore_chat (bot re-added) the card is edited again."""
        await mirror.upsert_card(CARD, a_view())
        tg.kick_bot(CHAT)
        with pytest.raises(ChatUnavailable):
            await mirror.upsert_card(CARD, a_view(status=Status.IN_PROGRESS))
        tg.restore_bot(CHAT)
        mirror.restore_chat(CHAT)
        await mirror.upsert_card(CARD, a_view(status=Status.IN_PROGRESS))
        assert "Статус: В работе" in tg.bot_messages(CHAT)[0].text
