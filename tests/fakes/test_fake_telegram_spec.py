"""FakeTelegram checked against the Bot API (methods, parameters, result fields).

Every test runs against the project's own Bot API facts (tests/data/telegram/bot_api.json: the
signatures of the methods the fake serves and the types their results reach) and, where the
shared corpus is present, again against the whole published spec (PaulSonOfLars/
telegram-bot-api-spec's ``api.json``, Bot API 10.1) — which also shows the facts agree with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
)

from tests.shared_corpus import corpus, needs_corpus
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_telegram.api import METHODS
from tracker_bridge.testing.fake_telegram.methods import HANDLERS

FACTS_PATH = Path(__file__).resolve().parent.parent / "data" / "telegram" / "bot_api.json"
SPEC_PATH = corpus("telegram", "telegram-bot-api-spec__api.json")
TOKEN = "123456:test-token"
CHAT = -1001234567890
USER = 501
JSON = dict[str, Any]
KIND_OF_TYPES = {
    ("Integer",): "int",
    ("String",): "str",
    ("Boolean",): "bool",
    ("Integer", "String"): "int_or_str",
}
PRIMITIVES: dict[str, Callable[[object], bool]] = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "Boolean": lambda v: isinstance(v, bool),
    "True": lambda v: v is True,
}
SAMPLE_VALUES: JSON = {
    "chat_id": CHAT,
    "text": "x",
    "message_id": 1,
    "callback_query_id": "1",
    "commands": [{"command": "take", "description": "Взять"}],
}


def _facts() -> JSON:
    """The facts file in the spec's shape (fields as lists), so one checker reads both."""
    facts: JSON = json.loads(FACTS_PATH.read_text(encoding="utf-8"))
    for entry in (*facts["methods"].values(), *facts["types"].values()):
        if "fields" in entry:
            entry["fields"] = [{"name": k} | v for k, v in entry["fields"].items()]
    return facts


@pytest.fixture(
    scope="module", params=["facts", pytest.param("published spec", marks=needs_corpus)]
)
def spec(request: pytest.FixtureRequest) -> JSON:
    if request.param == "facts":
        return _facts()
    loaded: JSON = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        fake.add_chat(CHAT, "Поддержка")
        fake.add_user(USER, "Анна", "anna_support", last_name="К.", language_code="ru")
        yield fake


def spec_fields(spec: JSON, method: str) -> dict[str, JSON]:
    return {field["name"]: field for field in spec["methods"][method].get("fields", [])}


def test_every_served_method_is_a_documented_method(spec: JSON) -> None:
    """Each method FakeTelegram declares exists in the Bot API, and each has a handler."""
    assert set(METHODS) - set(spec["methods"]) == set()
    assert set(HANDLERS) == set(METHODS)


def test_every_accepted_parameter_is_documented_with_its_type(spec: JSON) -> None:
    """Each accepted parameter is a field of its method, decoded by the kind its types imply."""
    wrong = []
    for method, params in METHODS.items():
        fields = spec_fields(spec, method)
        for name, param in params.items():
            if name not in fields:
                wrong.append(f"{method}.{name}: undocumented")
                continue
            expected = KIND_OF_TYPES.get(tuple(fields[name]["types"]), "json")
            if param.kind != expected:
                wrong.append(f"{method}.{name}: {param.kind}, spec says {expected}")
    assert wrong == []


def test_required_parameters_are_those_of_the_spec(spec: JSON) -> None:
    """Every documented required parameter is accepted and required; nothing else is required."""
    for method, params in METHODS.items():
        required = {name for name, field in spec_fields(spec, method).items() if field["required"]}
        declared = {name for name, param in params.items() if param.required}
        assert declared == required, method


def test_a_missing_required_parameter_is_a_bad_request(spec: JSON, tg: FakeTelegram) -> None:
    """Leaving out any required parameter answers 400 with an API-style description."""
    tg.inject_message(CHAT, USER, "x")
    cases = [
        (method, name)
        for method in METHODS
        for name, field in spec_fields(spec, method).items()
        if field["required"]
    ]
    assert len(cases) >= 8
    with httpx.Client(base_url=f"{tg.url}/bot{TOKEN}") as client:
        for method, missing in cases:
            required = [n for n, f in spec_fields(spec, method).items() if f["required"]]
            body = {name: SAMPLE_VALUES[name] for name in required if name != missing}
            answer = client.post(f"/{method}", json=body)
            assert answer.status_code == 400, (method, missing, answer.json())
            assert answer.json()["description"].startswith("Bad Request: "), (method, missing)


def problems(value: object, type_name: str, spec: JSON, path: str) -> list[str]:
    """Why ``value`` is not a valid ``type_name`` of the spec (empty when it is)."""
    if type_name.startswith("Array of "):
        if not isinstance(value, list):
            return [f"{path}: not an array"]
        item_type = type_name.removeprefix("Array of ")
        return [
            p for i, v in enumerate(value) for p in problems(v, item_type, spec, f"{path}[{i}]")
        ]
    if type_name in PRIMITIVES or type_name not in spec["types"]:  # unknown: never valid
        valid = PRIMITIVES.get(type_name, lambda _: False)
        return [] if valid(value) else [f"{path}: not {type_name}: {value!r}"]
    described = spec["types"][type_name]
    if "subtypes" in described:
        return any_of(value, described["subtypes"], spec, path)
    if not isinstance(value, dict):
        return [f"{path}: not an object ({type_name})"]
    fields = {field["name"]: field for field in described.get("fields", [])}
    found = [f"{path}.{key}: not a field of {type_name}" for key in value if key not in fields]
    found += [
        f"{path}: {type_name} lacks {name}"
        for name, field in fields.items()
        if field["required"] and name not in value
    ]
    for key, item in value.items():
        if key in fields:
            found += any_of(item, fields[key]["types"], spec, f"{path}.{key}")
    return found


def any_of(value: object, type_names: list[str], spec: JSON, path: str) -> list[str]:
    options = [problems(value, name, spec, path) for name in type_names]
    return [] if any(not option for option in options) else min(options, key=len)


def test_checker_rejects_undocumented_and_missing_fields(spec: JSON) -> None:
    """The result checker itself flags an extra field, a missing one and a wrong type."""
    user = {"id": 1, "is_bot": False, "first_name": "A"}
    assert problems(user, "User", spec, "u") == []
    assert problems(user | {"nick": "a"}, "User", spec, "u") == ["u.nick: not a field of User"]
    assert problems({"id": 1, "is_bot": False}, "User", spec, "u") == ["u: User lacks first_name"]
    assert problems(user | {"id": "1"}, "User", spec, "u") == ["u.id: not Integer: '1'"]


async def test_every_result_has_only_documented_fields(
    spec: JSON, tg: FakeTelegram, bot: Bot
) -> None:
    """A session touching every method returns results valid for the spec's return types."""
    await exercise_every_method(tg, bot)
    called = {call.method for call in tg.requests if call.ok}
    assert called == set(METHODS)
    wrong = [
        p
        for call in tg.requests
        if call.ok
        for p in any_of(call.result, spec["methods"][call.method]["returns"], spec, call.method)
    ]
    assert wrong == []


async def exercise_every_method(tg: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Взять", callback_data="take"),
                InlineKeyboardButton("URL", url="https://e.x"),
            ]
        ]
    )
    question = tg.inject_message(CHAT, USER, "Где SUP-1?")
    card = await bot.send_message(
        CHAT,
        '<b>SUP-1</b> <a href="https://e.x/SUP-1">link</a> '
        '<pre><code class="language-py">x</code></pre>',
        parse_mode="HTML",
        reply_markup=keyboard,
        reply_to_message_id=question.message_id,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        disable_notification=True,
    )
    await bot.edit_message_text(
        "<i>SUP-1</i>", CHAT, card.message_id, parse_mode="HTML", reply_markup=keyboard
    )
    await bot.edit_message_reply_markup(CHAT, card.message_id, reply_markup=None)
    await bot.pin_chat_message(CHAT, card.message_id)
    await bot.unpin_chat_message(CHAT, card.message_id)
    tg.inject_command(CHAT, USER, "/take SUP-1", reply_to=card.message_id)
    query_id = tg.inject_callback(CHAT, USER, card.message_id, "take")
    updates = await bot.get_updates(timeout=0)
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    await bot.answer_callback_query(query_id, text="ok")
    await bot.set_my_commands([BotCommand("take", "Взять")], scope=BotCommandScopeChat(CHAT))
    await bot.get_my_commands(scope=BotCommandScopeChat(CHAT))
    await bot.delete_my_commands(scope=BotCommandScopeChat(CHAT))
    await bot.delete_message(CHAT, card.message_id)
    await bot.get_webhook_info()
    await bot.delete_webhook()
    await bot.log_out()
    await bot.close()


@needs_corpus
def test_the_own_facts_are_the_published_spec_s() -> None:
    """Each method and type in the facts has exactly the published names, types and flags."""
    facts, published = _facts(), json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert facts["version"] == published["version"]

    def signature(entry: JSON) -> JSON:
        fields = {f["name"]: (f["types"], f["required"]) for f in entry.get("fields", [])}
        return {
            "fields": fields,
            "subtypes": entry.get("subtypes"),
            "returns": entry.get("returns"),
        }

    for kind in ("methods", "types"):
        for name, entry in facts[kind].items():
            assert signature(entry) == signature(published[kind][name]), name
