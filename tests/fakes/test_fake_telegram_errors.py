"""FakeTelegram's error answers and fault knobs, seen as python-telegram-bot's exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_telegram import FakeTelegram

TOKEN = "123456:test-token"
CHAT = -1001234567890
USER = 501
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def tg(clock: ManualClock) -> Iterator[FakeTelegram]:
    with FakeTelegram(clock=clock) as fake:
        fake.add_chat(CHAT, "Поддержка")
        yield fake


def last_error(tg: FakeTelegram) -> tuple[int | None, str | None]:
    call = tg.requests[-1]
    return call.error_code, call.description


async def test_unchanged_edit_is_not_modified(tg: FakeTelegram, bot: Bot) -> None:
    """An edit to the same text, entities and markup is the API's 'message is not modified'."""
    sent = await bot.send_message(CHAT, "<b>SUP-1</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_text("<b>SUP-1</b>", CHAT, sent.message_id, parse_mode="HTML")
    assert last_error(tg) == (400, NOT_MODIFIED)
    assert tg.chats[CHAT].messages[sent.message_id].edits == 0


async def test_same_result_from_other_markup_is_not_modified(bot: Bot) -> None:
    """<strong> after <b>, or trailing newlines, render the same message: 'not modified'."""
    sent = await bot.send_message(CHAT, "<b>SUP-1</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_text(
            "<strong>SUP-1</strong>\n", CHAT, sent.message_id, parse_mode="HTML"
        )


async def test_unchanged_markup_edit_is_not_modified(tg: FakeTelegram, bot: Bot) -> None:
    """editMessageReplyMarkup with the current keyboard is also 'not modified'."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Взять", callback_data="take")]])
    sent = await bot.send_message(CHAT, "SUP-1", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=markup)


async def test_editing_a_missing_or_deleted_message_is_not_found(
    tg: FakeTelegram, bot: Bot
) -> None:
    """Edits of an unknown or deleted message answer 'message to edit not found'."""
    sent = await bot.send_message(CHAT, "SUP-1")
    await bot.delete_message(CHAT, sent.message_id)
    for message_id in (sent.message_id, 999):
        with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
            await bot.edit_message_text("SUP-1!", CHAT, message_id)
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(CHAT, sent.message_id)


async def test_a_users_message_cannot_be_edited(tg: FakeTelegram, bot: Bot) -> None:
    """Only the bot's own messages are editable."""
    message = tg.inject_message(CHAT, USER, "Привет")
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await bot.edit_message_text("Пока", CHAT, message.message_id)


async def test_bad_html_cannot_parse_entities(tg: FakeTelegram, bot: Bot) -> None:
    """Unclosed and unknown tags fail with "can't parse entities: <tdlib reason>"."""
    with pytest.raises(BadRequest, match=r"^Can't parse entities: can't find end tag"):
        await bot.send_message(CHAT, "<b>SUP-1", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"unsupported start tag"):
        await bot.send_message(CHAT, "<h1>SUP-1</h1>", parse_mode="HTML")
    assert last_error(tg) == (
        400,
        'Bad Request: can\'t parse entities: Unsupported start tag "h1" at byte offset 0',
    )
    assert tg.sent == []


async def test_empty_and_too_long_texts_are_rejected(bot: Bot) -> None:
    """Text that is empty after parsing, or over 4096 UTF-16 units, is refused."""
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(CHAT, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(CHAT, "😀" * 2049)


async def test_unknown_chat_is_chat_not_found(tg: FakeTelegram, bot: Bot) -> None:
    """A chat the fake has never seen answers 400 'chat not found'."""
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(-42, "x")
    assert last_error(tg) == (400, "Bad Request: chat not found")


@pytest.mark.parametrize(
    ("chat_type", "description"),
    [
        ("group", "Forbidden: bot was kicked from the group chat"),
        ("supergroup", "Forbidden: bot was kicked from the supergroup chat"),
        ("private", "Forbidden: bot was blocked by the user"),
    ],
)
async def test_kicked_bot_is_forbidden(
    tg: FakeTelegram, bot: Bot, chat_type: str, description: str
) -> None:
    """After kick_bot every call for that chat is a 403 worded by chat type."""
    chat_id = USER if chat_type == "private" else -77
    tg.add_chat(chat_id, "Группа", type=chat_type)
    sent = await bot.send_message(chat_id, "x")
    tg.kick_bot(chat_id)
    with pytest.raises(Forbidden):
        await bot.send_message(chat_id, "y")
    with pytest.raises(Forbidden):
        await bot.edit_message_text("z", chat_id, sent.message_id)
    assert last_error(tg) == (403, description)
    tg.restore_bot(chat_id)
    await bot.send_message(chat_id, "back")


async def test_fail_next_429_gives_retry_after_then_succeeds(tg: FakeTelegram, bot: Bot) -> None:
    """fail_next(429, retry_after=3, times=2): two RetryAfter(3 s), then the send goes through."""
    tg.fail_next("sendMessage", error_code=429, retry_after=3, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as error:
            await bot.send_message(CHAT, "x")
        assert error.value.retry_after == timedelta(seconds=3)
    assert last_error(tg) == (429, "Too Many Requests: retry after 3")
    await bot.send_message(CHAT, "x")
    assert len(tg.sent) == 1


async def test_fail_next_with_other_codes_maps_to_ptb_errors(bot: Bot, tg: FakeTelegram) -> None:
    """A scripted 500 is a NetworkError, a 403 Forbidden; other methods are unaffected."""
    tg.fail_next("sendMessage", 500)
    tg.fail_next("*", 403, description="Forbidden: bot is not a member of the supergroup chat")
    with pytest.raises(Forbidden):
        await bot.get_me()  # "*" matches the next call of any method: this one
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "x")
    assert last_error(tg) == (500, "Internal Server Error")
    assert tg.calls("getMe")[-1].error_code == 403


async def test_wrong_token_is_invalid_token(tg: FakeTelegram) -> None:
    """A token other than the configured one answers 401, a malformed one 404 (as the API)."""
    with FakeTelegram(token="42:right") as strict_tg:
        with pytest.raises(InvalidToken):
            async with Bot("42:wrong", base_url=strict_tg.url + "/bot"):
                pass
        assert strict_tg.requests[-1].error_code == 401
    with pytest.raises(InvalidToken):
        async with Bot("not-a-token", base_url=tg.url + "/bot"):
            pass
    assert tg.requests[-1].error_code == 404


async def test_answering_a_callback_twice_is_rejected(tg: FakeTelegram, bot: Bot) -> None:
    """A callback query can be answered once; unknown ids are 'query is too old'."""
    sent = await bot.send_message(CHAT, "SUP-1")
    query_id = tg.inject_callback(CHAT, USER, sent.message_id, "take")
    await bot.answer_callback_query(query_id)
    for unknown in (query_id, "123"):
        with pytest.raises(BadRequest, match=r"^Query is too old"):
            await bot.answer_callback_query(unknown)
    assert len(tg.callback_answers) == 1


async def test_callback_data_over_64_bytes_is_button_data_invalid(bot: Bot) -> None:
    """callback_data is limited to 64 bytes (UTF-8), as in the API."""
    fat = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="я" * 33)]])
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(CHAT, "SUP-1", reply_markup=fat)


async def test_reply_to_a_missing_message_fails_unless_allowed(bot: Bot) -> None:
    """reply to an unknown message: 400, or a plain message with allow_sending_without_reply."""
    with pytest.raises(BadRequest, match=r"^Message to be replied not found$"):
        await bot.send_message(CHAT, "x", reply_to_message_id=77)
    sent = await bot.send_message(
        CHAT, "x", reply_to_message_id=77, allow_sending_without_reply=True
    )
    assert sent.reply_to_message is None


async def test_per_chat_rate_limit_answers_429_until_the_minute_passes(
    tg: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    """With 20 messages per chat per minute the 21st is a 429; a minute later it goes out."""
    tg.rate_limit(per_chat_per_minute=20)
    for number in range(20):
        clock.advance(1)
        await bot.send_message(CHAT, f"#{number}")
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(CHAT, "#21")
    assert error.value.retry_after == timedelta(seconds=41)
    clock.advance(41)
    await bot.send_message(CHAT, "#21")
    assert len(tg.sent) == 21


async def test_global_rate_limit_counts_all_chats(
    tg: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    """global_per_second limits sends across chats; edits count too; off again with no args."""
    for chat_id in (-1, -2, -3):
        tg.add_chat(chat_id, "Чат")
    tg.rate_limit(global_per_second=2)
    first = await bot.send_message(-1, "a")
    await bot.edit_message_text("b", -1, first.message_id)
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(-2, "c")
    assert error.value.retry_after == timedelta(seconds=1)
    clock.advance(1)
    await bot.send_message(-2, "c")
    tg.rate_limit()
    for chat_id in (-1, -2, -3):
        await bot.send_message(chat_id, "free")


def test_raw_requests_get_api_shaped_errors(tg: FakeTelegram) -> None:
    """Unknown methods are 404, undeclared parameters and missing ones 400, all as JSON."""
    with httpx.Client(base_url=f"{tg.url}/bot{TOKEN}") as client:
        unknown = client.post("/sendPhoto", data={"chat_id": CHAT})
        extra = client.post("/sendMessage", json={"chat_id": CHAT, "text": "x", "foo": 1})
        missing = client.post("/sendMessage", json={"chat_id": CHAT})
        elsewhere = client.get(f"{tg.url}/file/bot{TOKEN}/photos/1.jpg")
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert extra.json()["description"].startswith('Bad Request: parameter "foo"')
    assert missing.json()["description"] == "Bad Request: message text is empty"
    assert elsewhere.status_code == 404


def test_lenient_mode_ignores_undeclared_parameters_like_the_api() -> None:
    """FakeTelegram(strict=False) drops unknown parameters instead of refusing the call."""
    with FakeTelegram(strict=False) as tg, httpx.Client() as client:
        tg.add_chat(CHAT)
        answer = client.post(
            f"{tg.url}/bot{TOKEN}/sendMessage", json={"chat_id": CHAT, "text": "x", "foo": 1}
        )
    assert answer.json()["ok"] is True
    assert tg.requests[-1].params == {"chat_id": CHAT, "text": "x"}
