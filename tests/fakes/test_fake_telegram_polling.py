"""FakeTelegram's updates: long polling, offsets, allowed_updates, and a full PTB Application."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.waiting import eventually, eventually_blocking

TOKEN = "123456:test-token"
CHAT = -1001234567890
USER = 501


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        fake.add_chat(CHAT, "Поддержка")
        fake.add_user(USER, "Анна", "anna_support")
        yield fake


async def get_updates(tg: FakeTelegram, **params: Any) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{tg.url}/bot{TOKEN}/getUpdates", json=params)
    body = answer.json()
    assert body["ok"], body
    updates: list[dict[str, Any]] = body["result"]
    return updates


def build_app(tg: FakeTelegram) -> Application[Any, Any, Any, Any, Any, Any]:
    app = ApplicationBuilder().token(TOKEN).base_url(tg.url + "/bot")
    return app.base_file_url(tg.url + "/file/bot").build()


async def test_application_handles_injected_command_and_button_press(tg: FakeTelegram) -> None:
    """A polling Application runs /take and a button press and confirms both updates on stop."""
    taken: list[list[str]] = []

    async def take(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        taken.append(list(context.args or []))
        assert update.effective_chat is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Закрыть", callback_data="close")]])
        await update.effective_chat.send_message("<b>Взято</b>", "HTML", reply_markup=keyboard)

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer(f"{query.data} ok")
        await context.bot.edit_message_text("Закрыто", CHAT, query.message.message_id)

    app = build_app(tg)
    app.add_handler(CommandHandler("take", take))
    app.add_handler(CallbackQueryHandler(press))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        tg.inject_command(CHAT, USER, "/take@fake_bot SUP-1")
        await eventually(lambda: len(tg.bot_messages(CHAT)) == 1, 5)
        card = tg.bot_messages(CHAT)[0]
        tg.inject_callback(CHAT, USER, card.message_id, "close")
        await eventually(lambda: card.edits == 1, 5)
        await app.updater.stop()
        await app.stop()
    assert taken == [["SUP-1"]]
    assert [(a.data, a.text) for a in tg.callback_answers] == [("close", "close ok")]
    assert (card.text, card.buttons) == ("Закрыто", [])
    assert tg.pending_updates == 0


async def test_long_poll_returns_as_soon_as_an_update_arrives(tg: FakeTelegram) -> None:
    """getUpdates with timeout=30 answers right after inject_message, not after the timeout."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(get_updates(tg, timeout=30))
    await eventually(lambda: tg.polls_waiting == 1, 5)
    message = tg.inject_message(CHAT, USER, "Есть кто?")
    [update] = await poll
    assert loop.time() - started < 5
    assert update["message"]["message_id"] == message.message_id
    assert update["message"]["from"]["username"] == "anna_support"
    assert update["message"]["chat"] == {"id": CHAT, "type": "supergroup", "title": "Поддержка"}


async def test_offset_confirms_earlier_updates(tg: FakeTelegram) -> None:
    """Updates stay until an offset above their id; a negative offset keeps only the last ones."""
    for text in ("один", "два", "три"):
        tg.inject_message(CHAT, USER, text)
    ids = [u["update_id"] for u in await get_updates(tg)]
    assert len(ids) == 3 and ids == sorted(ids)
    assert [u["update_id"] for u in await get_updates(tg, offset=ids[1])] == ids[1:]
    assert [u["update_id"] for u in await get_updates(tg, offset=-1)] == ids[2:]
    assert await get_updates(tg, offset=ids[2] + 1) == []
    assert tg.pending_updates == 0


async def test_limit_caps_the_batch(tg: FakeTelegram) -> None:
    """limit returns the oldest updates first and leaves the rest queued."""
    for number in range(5):
        tg.inject_message(CHAT, USER, str(number))
    batch = await get_updates(tg, limit=2)
    assert [u["message"]["text"] for u in batch] == ["0", "1"]
    assert tg.pending_updates == 5


async def test_allowed_updates_filters_kinds(tg: FakeTelegram) -> None:
    """With allowed_updates=['callback_query'] messages are not delivered (and are dropped)."""
    card = tg.inject_message(CHAT, USER, "карточка")
    tg.inject_callback(CHAT, USER, card.message_id, "take")
    [update] = await get_updates(tg, allowed_updates=["callback_query"])
    assert update["callback_query"]["data"] == "take"
    assert update["callback_query"]["message"]["text"] == "карточка"
    assert tg.pending_updates == 1


async def test_delete_webhook_can_drop_pending_updates(tg: FakeTelegram) -> None:
    """deleteWebhook(drop_pending_updates=True) forgets the queue; webhook info shows none."""
    tg.inject_message(CHAT, USER, "старое")
    async with httpx.AsyncClient(base_url=f"{tg.url}/bot{TOKEN}") as client:
        info = (await client.post("/getWebhookInfo")).json()["result"]
        await client.post("/deleteWebhook", data={"drop_pending_updates": "true"})
    assert info == {"url": "", "has_custom_certificate": False, "pending_update_count": 1}
    assert tg.pending_updates == 0


async def test_a_second_poller_ends_the_first_with_conflict(tg: FakeTelegram) -> None:
    """Two bot instances polling: the waiting getUpdates is terminated with 409 Conflict."""
    async with httpx.AsyncClient(base_url=f"{tg.url}/bot{TOKEN}") as client:
        first = asyncio.create_task(client.post("/getUpdates", json={"timeout": 30}))
        await eventually(lambda: tg.polls_waiting == 1, 5)
        second = await client.post("/getUpdates", json={"timeout": 0})
        terminated = await first
    assert second.json() == {"ok": True, "result": []}
    assert terminated.status_code == 409
    assert terminated.json()["description"].startswith("Conflict: terminated by other getUpdates")


def test_stopping_the_fake_ends_a_pending_long_poll() -> None:
    """A getUpdates still waiting when the fake stops is answered at once with no updates."""
    answers: list[httpx.Response] = []
    with FakeTelegram() as tg:
        url = f"{tg.url}/bot{TOKEN}/getUpdates"

        def poll() -> None:
            answers.append(httpx.post(url, data={"timeout": "30"}, timeout=40))

        poller = threading.Thread(target=poll)
        poller.start()
        eventually_blocking(lambda: tg.polls_waiting == 1, 5)
    poller.join(timeout=5)
    assert not poller.is_alive()
    assert answers[0].json() == {"ok": True, "result": []}
