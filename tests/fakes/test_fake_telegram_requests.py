"""FakeTelegram's request formats: JSON, form fields, multipart and query strings alike."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tracker_bridge.testing.fake_telegram import FakeTelegram

TOKEN = "123456:test-token"
CHAT = -1001234567890
MARKUP = {"inline_keyboard": [[{"text": "Взять", "callback_data": "take"}]]}
EXPECTED = {
    "chat_id": CHAT,
    "text": "<b>Привет</b>",
    "parse_mode": "HTML",
    "disable_notification": True,
    "reply_markup": MARKUP,
}


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        fake.add_chat(CHAT, "Поддержка")
        yield fake


@pytest.fixture
def client(tg: FakeTelegram) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{tg.url}/bot{TOKEN}") as http:
        yield http


def form_fields() -> dict[str, str]:
    """The fields as python-telegram-bot encodes them: JSON for non-strings."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in EXPECTED.items()}


def test_json_body_is_decoded(tg: FakeTelegram, client: httpx.Client) -> None:
    """An application/json body gives typed parameters directly."""
    assert client.post("/sendMessage", json=EXPECTED).json()["ok"]
    assert tg.requests[-1].params == EXPECTED


def test_form_body_with_json_encoded_fields_is_decoded(
    tg: FakeTelegram, client: httpx.Client
) -> None:
    """A urlencoded form (PTB's format) is decoded by each parameter's declared kind."""
    assert client.post("/sendMessage", data=form_fields()).json()["ok"]
    assert tg.requests[-1].params == EXPECTED


def test_multipart_body_is_decoded(tg: FakeTelegram, client: httpx.Client) -> None:
    """multipart/form-data (PTB's upload format) carries the same fields."""
    files = {name: (None, value) for name, value in form_fields().items()}
    assert client.post("/sendMessage", files=files).json()["ok"]
    assert tg.requests[-1].params == EXPECTED


def test_query_string_and_any_method_case_work(tg: FakeTelegram, client: httpx.Client) -> None:
    """GET with a query string works, and method names ignore case, as in the API."""
    answer = client.get("/SENDMESSAGE", params=form_fields())
    assert answer.json()["result"]["text"] == "Привет"
    assert tg.requests[-1].method == "sendMessage"


def test_badly_typed_values_are_bad_requests(client: httpx.Client) -> None:
    """A non-integer message_id or broken JSON markup answers 400."""
    bad_id = client.post("/deleteMessage", data={"chat_id": str(CHAT), "message_id": "one"})
    bad_markup = client.post(
        "/sendMessage", data={"chat_id": str(CHAT), "text": "x", "reply_markup": "{"}
    )
    bad_body = client.post(
        "/sendMessage", content=b"[1]", headers={"Content-Type": "application/json"}
    )
    assert bad_id.json()["description"] == "Bad Request: invalid message_id specified"
    assert bad_markup.json()["description"] == "Bad Request: invalid reply_markup specified"
    assert bad_body.status_code == 400


def test_chat_can_be_addressed_by_username(tg: FakeTelegram, client: httpx.Client) -> None:
    """chat_id '@username' reaches a chat registered with that username."""
    tg.add_chat(-300, "Канал поддержки", type="channel", username="support_news")
    answer = client.post("/sendMessage", json={"chat_id": "@support_news", "text": "x"})
    assert answer.json()["result"]["chat"]["id"] == -300
    assert [m.text for m in tg.bot_messages(-300)] == ["x"]
