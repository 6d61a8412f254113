"""The Bot API methods of FakeTelegram, each a function of the world and decoded parameters.

They run on the server thread with :attr:`World.lock` held and answer like the real API,
including its error texts (400 ``Bad Request: …``, 403 ``Forbidden: …``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from tracker_bridge.testing.fake_telegram.api import ApiError, bad_request
from tracker_bridge.testing.fake_telegram.html import (
    EntityParseError,
    parse_html,
    trim,
    utf16_len,
)
from tracker_bridge.testing.fake_telegram.state import (
    CallbackAnswer,
    FakeChat,
    FakeMessage,
    World,
)
from tracker_bridge.testing.fake_telegram.updates import (
    delete_webhook,
    get_updates,
    get_webhook_info,
)

__all__ = ["HANDLERS"]

JSON = dict[str, Any]
Handler = Callable[[World, JSON], Any]

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_KICKED = {
    "private": "Forbidden: bot was blocked by the user",
    "group": "Forbidden: bot was kicked from the group chat",
    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
    "channel": "Forbidden: bot is not a member of the channel chat",
}
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def _chat(world: World, ref: object) -> FakeChat:
    if isinstance(ref, str):
        found = [c for c in world.chats.values() if c.username and f"@{c.username}" == ref]
        chat = found[0] if found else None
    else:
        chat = world.chats.get(int(str(ref)))
    if chat is None:
        raise bad_request("chat not found")
    if chat.bot_kicked:
        raise ApiError(403, _KICKED.get(chat.type, _KICKED["group"]))
    return chat


def _message(chat: FakeChat, message_id: int | None, action: str) -> FakeMessage:
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request(f"message to {action} not found")
    return message


def _content(params: JSON) -> tuple[str, list[JSON], str | None]:
    """Text, entities and the HTML source (if any) of a send/edit request."""
    text = params.get("text")
    if not text:
        raise bad_request("message text is empty")
    mode = str(params.get("parse_mode") or "")
    if mode.lower() in ("markdown", "markdownv2"):
        raise bad_request(f"parse_mode {mode} is not supported by FakeTelegram")
    if mode and mode.lower() != "html":
        raise bad_request("unsupported parse_mode")
    if mode:
        try:
            plain, entities = parse_html(text)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    else:
        plain, entities = text, list(params.get("entities") or [])
    plain, entities = trim(plain, entities)
    if not plain:
        raise bad_request("message text is empty")
    if utf16_len(plain) > MAX_TEXT:
        raise bad_request("message is too long")
    return plain, entities, text if mode else None


def _markup(value: object) -> JSON | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = value.get("inline_keyboard")
    if rows is None:
        return value  # reply keyboards and their removal: accepted, not shown on the message
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for button in (b for row in rows for b in row):
        _check_button(button)
    return value if any(rows) else None


def _check_button(button: object) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a String")
    if set(button) <= {"text", "style", "icon_custom_emoji_id"}:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
        raise bad_request("BUTTON_DATA_INVALID")


def _reply_to(chat: FakeChat, reply: object) -> int | None:
    if not isinstance(reply, dict) or "message_id" not in reply:
        return None
    target = chat.messages.get(int(reply["message_id"]))
    if target is not None and not target.deleted:
        return target.message_id
    if reply.get("allow_sending_without_reply"):
        return None
    raise bad_request("message to be replied not found")


def get_me(world: World, _params: JSON) -> JSON:
    capabilities = {
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }
    return world.bot.to_api() | capabilities


def send_message(world: World, params: JSON) -> JSON:
    chat = _chat(world, params["chat_id"])
    text, entities, html = _content(params)
    message = world.add_message(
        chat,
        world.bot.id,
        text,
        entities=entities,
        html=html,
        reply_markup=_markup(params.get("reply_markup")),
        reply_to=_reply_to(chat, params.get("reply_parameters")),
        link_preview_options=params.get("link_preview_options"),
        disable_notification=bool(params.get("disable_notification")),
    )
    world.sent.append(message)
    return world.message_json(message)


def _editable(world: World, params: JSON) -> FakeMessage:
    if "chat_id" not in params:
        raise bad_request("chat_id is empty")
    message = _message(_chat(world, params["chat_id"]), params.get("message_id"), "edit")
    if message.from_id != world.bot.id:
        raise bad_request("message can't be edited")
    return message


_COMPARED = ("text", "entities", "reply_markup")  # what "not modified" is judged on


def _apply_edit(world: World, message: FakeMessage, changes: JSON) -> JSON:
    compared = [name for name in _COMPARED if name in changes]
    if all(getattr(message, name) == changes[name] for name in compared):
        raise bad_request(NOT_MODIFIED)
    for name, value in changes.items():
        setattr(message, name, value)
    message.edit_date = world.now()
    message.edits += 1
    return world.message_json(message)


def edit_message_text(world: World, params: JSON) -> JSON:
    message = _editable(world, params)
    text, entities, html = _content(params)
    # Like the real API, an edit without reply_markup removes the inline keyboard.
    changes: JSON = {"text": text, "entities": entities, "html": html}
    changes["reply_markup"] = _markup(params.get("reply_markup"))
    if "link_preview_options" in params:
        changes["link_preview_options"] = params["link_preview_options"]
    return _apply_edit(world, message, changes)


def edit_message_reply_markup(world: World, params: JSON) -> JSON:
    message = _editable(world, params)
    return _apply_edit(world, message, {"reply_markup": _markup(params.get("reply_markup"))})


def delete_message(world: World, params: JSON) -> bool:
    _message(_chat(world, params["chat_id"]), params["message_id"], "delete").deleted = True
    return True


def pin_chat_message(world: World, params: JSON) -> bool:
    _message(_chat(world, params["chat_id"]), params["message_id"], "pin").pinned = True
    return True


def unpin_chat_message(world: World, params: JSON) -> bool:
    chat = _chat(world, params["chat_id"])
    if params.get("message_id") is not None:
        _message(chat, params["message_id"], "unpin").pinned = False
        return True
    pinned = [m for m in chat.live() if m.pinned]
    if pinned:
        pinned[-1].pinned = False
    return True


def answer_callback_query(world: World, params: JSON) -> bool:
    query_id = params["callback_query_id"]
    query = world.queries.get(query_id)
    if query is None or query.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    query.answered = True
    answer = CallbackAnswer(
        query_id=query_id,
        chat_id=query.chat_id,
        message_id=query.message_id,
        data=query.data,
        text=params.get("text"),
        show_alert=bool(params.get("show_alert")),
        url=params.get("url"),
        cache_time=params.get("cache_time"),
    )
    world.callback_answers.append(answer)
    return True


def _commands_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def set_my_commands(world: World, params: JSON) -> bool:
    commands = params["commands"]
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
    cleaned = [{"command": c["command"], "description": c.get("description", "")} for c in commands]
    world.commands[_commands_key(params)] = cleaned
    return True


def get_my_commands(world: World, params: JSON) -> list[JSON]:
    return list(world.commands.get(_commands_key(params), []))


def delete_my_commands(world: World, params: JSON) -> bool:
    world.commands.pop(_commands_key(params), None)
    return True


def _true(_world: World, _params: JSON) -> bool:
    return True


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "logOut": _true,
    "close": _true,
    "getWebhookInfo": get_webhook_info,
    "deleteWebhook": delete_webhook,
    "getUpdates": get_updates,
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "pinChatMessage": pin_chat_message,
    "unpinChatMessage": unpin_chat_message,
    "answerCallbackQuery": answer_callback_query,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
}
