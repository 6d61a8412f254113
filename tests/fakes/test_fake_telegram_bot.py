"""FakeTelegram driven by the real python-telegram-bot ``Bot``: sends, edits, deletes, pins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MessageEntity,
)

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_telegram import FakeTelegram

TOKEN = "123456:test-token"
CHAT = -1001234567890
USER = 501
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TAKE = InlineKeyboardMarkup([[InlineKeyboardButton("Взять", callback_data="take:SUP-1")]])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def tg(clock: ManualClock) -> Iterator[FakeTelegram]:
    with FakeTelegram(clock=clock) as fake:
        fake.add_chat(CHAT, "Поддержка")
        fake.add_user(USER, "Анна", "anna_support")
        yield fake


async def test_get_me_describes_the_fake_bot(tg: FakeTelegram, bot: Bot) -> None:
    """getMe (run by ``async with bot``) returns the bot user: id, is_bot, username."""
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.first_name) == (
        tg.bot.id,
        True,
        "fake_bot",
        "Fake Bot",
    )
    assert bot.username == "fake_bot"


async def test_configured_token_sets_the_bot_id() -> None:
    """FakeTelegram(token=...) accepts exactly that token and its digits are the bot id."""
    with FakeTelegram(token="42:secret") as tg:
        async with Bot("42:secret", base_url=tg.url + "/bot") as bot:
            assert bot.id == 42


async def test_send_message_with_html_records_text_entities_and_keyboard(
    tg: FakeTelegram, bot: Bot
) -> None:
    """sendMessage parses the HTML and keeps text, entities, markup and options per chat."""
    sent = await bot.send_message(
        CHAT,
        '<b>SUP-1</b> от <a href="https://tracker.example/SUP-1">клиента</a>',
        parse_mode="HTML",
        reply_markup=TAKE,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        disable_notification=True,
    )
    assert sent.text == "SUP-1 от клиента"
    assert sent.entities == (
        MessageEntity("bold", 0, 5),
        MessageEntity("text_link", 9, 7, url="https://tracker.example/SUP-1"),
    )
    assert sent.from_user is not None and sent.from_user.id == tg.bot.id
    assert sent.date == START
    assert sent.reply_markup == TAKE
    record = tg.chats[CHAT].messages[sent.message_id]
    assert record.html is not None and record.html.startswith("<b>SUP-1</b>")
    assert record.callback_data == ["take:SUP-1"]
    assert record.link_preview_options == {"is_disabled": True}
    assert record.disable_notification
    assert tg.sent == [record]


async def test_sent_text_is_trimmed_like_telegram_does(tg: FakeTelegram, bot: Bot) -> None:
    """Surrounding newlines are dropped, so an edit differing only in them is 'not modified'."""
    sent = await bot.send_message(CHAT, "\n<b>SUP-1</b> открыта\n\n", parse_mode="HTML")
    assert sent.text == "SUP-1 открыта"
    assert tg.chats[CHAT].messages[sent.message_id].entities == [
        {"type": "bold", "offset": 0, "length": 5}
    ]


async def test_message_ids_count_up_per_chat(tg: FakeTelegram, bot: Bot) -> None:
    """Each chat numbers its messages from 1, like supergroups do."""
    tg.add_chat(-200, "Другая")
    ids = [(await bot.send_message(chat, "x")).message_id for chat in (CHAT, CHAT, -200)]
    assert ids == [1, 2, 1]


async def test_reply_carries_the_replied_message(tg: FakeTelegram, bot: Bot) -> None:
    """reply_to_message_id (sent by PTB as reply_parameters) links and embeds the original."""
    original = tg.inject_message(CHAT, USER, "Где заявка?")
    reply = await bot.send_message(CHAT, "Вот", reply_to_message_id=original.message_id)
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "Где заявка?"
    assert tg.chats[CHAT].messages[reply.message_id].reply_to == original.message_id


async def test_edit_text_updates_the_record_and_edit_date(
    tg: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    """editMessageText replaces text and entities, counts the edit and stamps edit_date."""
    sent = await bot.send_message(CHAT, "<b>SUP-1</b> новая", parse_mode="HTML", reply_markup=TAKE)
    clock.advance(90)
    edited = await bot.edit_message_text(
        "<i>SUP-1</i> в работе", CHAT, sent.message_id, parse_mode="HTML", reply_markup=TAKE
    )
    assert not isinstance(edited, bool)
    assert edited.edit_date == datetime(2026, 3, 2, 9, 1, 30, tzinfo=UTC)
    record = tg.chats[CHAT].messages[sent.message_id]
    assert (record.text, record.entities) == (
        "SUP-1 в работе",
        [{"type": "italic", "offset": 0, "length": 5}],
    )
    assert record.edits == 1
    assert record.callback_data == ["take:SUP-1"]


async def test_edit_text_without_markup_drops_the_keyboard(tg: FakeTelegram, bot: Bot) -> None:
    """Like the real API, editing text without reply_markup removes the inline keyboard."""
    sent = await bot.send_message(CHAT, "SUP-1", reply_markup=TAKE)
    edited = await bot.edit_message_text("SUP-1 закрыта", CHAT, sent.message_id)
    assert not isinstance(edited, bool) and edited.reply_markup is None
    assert tg.chats[CHAT].messages[sent.message_id].buttons == []


async def test_edit_reply_markup_swaps_only_the_buttons(tg: FakeTelegram, bot: Bot) -> None:
    """editMessageReplyMarkup changes the keyboard and leaves the text alone."""
    sent = await bot.send_message(CHAT, "SUP-1", reply_markup=TAKE)
    done = InlineKeyboardMarkup([[InlineKeyboardButton("Закрыть", callback_data="close:SUP-1")]])
    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=done)
    record = tg.chats[CHAT].messages[sent.message_id]
    assert (record.text, record.callback_data, record.edits) == ("SUP-1", ["close:SUP-1"], 1)


async def test_delete_marks_the_message_deleted(tg: FakeTelegram, bot: Bot) -> None:
    """deleteMessage keeps the record with deleted=True and hides it from bot_messages."""
    first = await bot.send_message(CHAT, "один")
    second = await bot.send_message(CHAT, "два")
    assert await bot.delete_message(CHAT, first.message_id) is True
    assert tg.chats[CHAT].messages[first.message_id].deleted
    assert [m.message_id for m in tg.bot_messages(CHAT)] == [second.message_id]


async def test_pin_and_unpin_set_the_pinned_flag(tg: FakeTelegram, bot: Bot) -> None:
    """pinChatMessage pins, unpinChatMessage without an id unpins the latest pinned."""
    sent = await bot.send_message(CHAT, "Дежурный: Анна")
    assert await bot.pin_chat_message(CHAT, sent.message_id, disable_notification=True)
    assert tg.chats[CHAT].messages[sent.message_id].pinned
    assert await bot.unpin_chat_message(CHAT)
    assert not tg.chats[CHAT].messages[sent.message_id].pinned


async def test_callback_answer_is_recorded_with_its_query(tg: FakeTelegram, bot: Bot) -> None:
    """answerCallbackQuery for an injected press is kept with the pressed message and data."""
    sent = await bot.send_message(CHAT, "SUP-1", reply_markup=TAKE)
    query_id = tg.inject_callback(CHAT, USER, sent.message_id, "take:SUP-1")
    assert await bot.answer_callback_query(query_id, text="Взято", show_alert=True)
    [answer] = tg.callback_answers
    assert (answer.query_id, answer.message_id, answer.data) == (query_id, 1, "take:SUP-1")
    assert (answer.text, answer.show_alert) == ("Взято", True)


async def test_commands_are_stored_per_scope(tg: FakeTelegram, bot: Bot) -> None:
    """setMyCommands/getMyCommands/deleteMyCommands work per scope and language."""
    await bot.set_my_commands([BotCommand("take", "Взять заявку"), BotCommand("sla", "Сроки")])
    await bot.set_my_commands([("duty", "Дежурный")], scope=BotCommandScopeChat(CHAT))
    assert [c.command for c in await bot.get_my_commands()] == ["take", "sla"]
    assert tg.commands({"type": "chat", "chat_id": CHAT}) == [
        {"command": "duty", "description": "Дежурный"}
    ]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_injected_user_message_is_kept_in_the_chat(tg: FakeTelegram) -> None:
    """inject_message stores the user's message and queues one update for the bot."""
    message = tg.inject_message(CHAT, USER, "Привет")
    assert tg.chats[CHAT].messages[message.message_id].from_id == USER
    assert tg.pending_updates == 1
    assert tg.bot_messages(CHAT) == []


def test_injecting_against_unknown_messages_is_refused(tg: FakeTelegram) -> None:
    """A reply to, or a button press on, a message the chat does not have is a test mistake."""
    with pytest.raises(ValueError, match="to reply to"):
        tg.inject_message(CHAT, USER, "x", reply_to=99)
    with pytest.raises(ValueError, match="to press"):
        tg.inject_callback(CHAT, USER, 99, "take")
    with pytest.raises(ValueError, match="starts with"):
        tg.inject_command(CHAT, USER, "take")
