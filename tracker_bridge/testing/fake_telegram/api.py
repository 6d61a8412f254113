"""The Bot API surface FakeTelegram serves: methods, their parameters, request decoding, errors.

``METHODS`` is the single declaration of what the fake accepts; a test checks it against the
published Bot API spec (every method and parameter documented, kinds and required flags match).
Clients send values as JSON or as form fields whose complex values are JSON-encoded strings
(python-telegram-bot sends ``application/x-www-form-urlencoded``), so decoding goes by kind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["METHODS", "ApiError", "Param", "bad_request", "decode_params", "resolve_method"]

Kind = Literal["int", "str", "bool", "int_or_str", "json"]
_INT = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Param:
    kind: Kind
    required: bool = False


def _p(kind: Kind, required: bool = False) -> Param:
    return Param(kind, required)


_CHAT = _p("int_or_str", required=True)
_SCOPE = {"scope": _p("json"), "language_code": _p("str")}

METHODS: dict[str, dict[str, Param]] = {
    "getMe": {},
    "logOut": {},
    "close": {},
    "getWebhookInfo": {},
    "deleteWebhook": {"drop_pending_updates": _p("bool")},
    "getUpdates": {
        "offset": _p("int"),
        "limit": _p("int"),
        "timeout": _p("int"),
        "allowed_updates": _p("json"),
    },
    "sendMessage": {
        "chat_id": _CHAT,
        "message_thread_id": _p("int"),
        "text": _p("str", required=True),
        "parse_mode": _p("str"),
        "entities": _p("json"),
        "link_preview_options": _p("json"),
        "disable_notification": _p("bool"),
        "protect_content": _p("bool"),
        "reply_parameters": _p("json"),
        "reply_markup": _p("json"),
    },
    # chat_id/message_id are optional in the spec only because inline_message_id is the
    # alternative; the fake has no inline messages, so it answers like the API when they lack.
    "editMessageText": {
        "chat_id": _p("int_or_str"),
        "message_id": _p("int"),
        "text": _p("str"),
        "parse_mode": _p("str"),
        "entities": _p("json"),
        "link_preview_options": _p("json"),
        "reply_markup": _p("json"),
    },
    "editMessageReplyMarkup": {
        "chat_id": _p("int_or_str"),
        "message_id": _p("int"),
        "reply_markup": _p("json"),
    },
    "deleteMessage": {"chat_id": _CHAT, "message_id": _p("int", required=True)},
    "pinChatMessage": {
        "chat_id": _CHAT,
        "message_id": _p("int", required=True),
        "disable_notification": _p("bool"),
    },
    "unpinChatMessage": {"chat_id": _CHAT, "message_id": _p("int")},
    "answerCallbackQuery": {
        "callback_query_id": _p("str", required=True),
        "text": _p("str"),
        "show_alert": _p("bool"),
        "url": _p("str"),
        "cache_time": _p("int"),
    },
    "setMyCommands": {"commands": _p("json", required=True), **_SCOPE},
    "getMyCommands": dict(_SCOPE),
    "deleteMyCommands": dict(_SCOPE),
}

# What the real API says when a required parameter is absent (generic form otherwise).
_MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "message_id": "message identifier is not specified",
    "callback_query_id": "query is too old and response timeout expired or query ID is invalid",
    "commands": "commands is empty",
}
_BY_LOWER = {name.lower(): name for name in METHODS}


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code", "description", "parameters"?}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def resolve_method(name: str) -> str:
    """The declared spelling of ``name`` (the Bot API ignores case), or 404 like the API."""
    try:
        return _BY_LOWER[name.lower()]
    except KeyError:
        raise ApiError(404, "Not Found") from None


def decode_params(method: str, raw: Mapping[str, object], *, strict: bool) -> dict[str, Any]:
    """Typed parameters of ``method`` from a JSON body or form fields.

    With ``strict`` an undeclared parameter is a 400 (the real API ignores it): a test then learns
    that the client relies on something the fake does not implement.
    """
    declared = METHODS[method]
    unknown = sorted(set(raw) - set(declared))
    if strict and unknown:
        raise bad_request(f'parameter "{unknown[0]}" of {method} is not supported by FakeTelegram')
    params = {
        name: _decode(name, raw[name], spec.kind) for name, spec in declared.items() if name in raw
    }
    for name, spec in declared.items():
        if spec.required and params.get(name) in (None, ""):
            raise bad_request(_MISSING.get(name, f"{name} is empty"))
    return params


def _decode(name: str, value: object, kind: Kind) -> Any:
    if not isinstance(value, str) or kind == "str":
        return str(value) if kind == "str" and value is not None else value
    try:
        return _decode_text(value, kind)
    except ValueError:
        raise bad_request(f"invalid {name} specified") from None


def _decode_text(value: str, kind: Kind) -> Any:
    if kind == "int":
        return int(value)
    if kind == "int_or_str":
        return int(value) if _INT.fullmatch(value) else value
    if kind == "bool":
        lowered = value.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise ValueError(value)
        return lowered in ("true", "1")
    return json.loads(value)
