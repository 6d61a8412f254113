"""FakeTelegram's world: users, chats, messages and updates, and their Bot API JSON shapes.

The records are what tests assert on (``tg.chats[chat_id].messages[message_id].text``), so they
are plain mutable dataclasses holding the current state; the server thread changes them under
:attr:`World.lock`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tracker_bridge.foundation.clock import Clock

__all__ = ["ApiCall", "CallbackAnswer", "FakeChat", "FakeMessage", "FakeUser", "World"]

JSON = dict[str, Any]


@dataclass
class FakeUser:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> JSON:
        body: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        optional = {
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        return body | {key: value for key, value in optional.items() if value is not None}


@dataclass
class FakeMessage:
    """One message as it is now: edits change it in place, deletion only sets ``deleted``."""

    message_id: int
    chat_id: int
    from_id: int
    date: int
    text: str
    entities: list[JSON] = field(default_factory=list)
    html: str | None = None  # the markup as sent with parse_mode=HTML
    reply_markup: JSON | None = None
    reply_to: int | None = None
    link_preview_options: JSON | None = None
    disable_notification: bool = False
    edit_date: int | None = None
    edits: int = 0
    deleted: bool = False
    pinned: bool = False

    @property
    def buttons(self) -> list[list[JSON]]:
        """Rows of the inline keyboard (empty without one)."""
        rows: list[list[JSON]] = (self.reply_markup or {}).get("inline_keyboard", [])
        return rows

    @property
    def callback_data(self) -> list[str]:
        """Every button's ``callback_data``, row by row."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]


@dataclass
class FakeChat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    bot_kicked: bool = False
    messages: dict[int, FakeMessage] = field(default_factory=dict)
    next_message_id: int = 1

    def live(self) -> list[FakeMessage]:
        """Messages not deleted, oldest first."""
        return [m for m in self.messages.values() if not m.deleted]

    def to_api(self) -> JSON:
        body: JSON = {"id": self.id, "type": self.type}
        optional = {"title": self.title, "username": self.username, "first_name": self.first_name}
        return body | {key: value for key, value in optional.items() if value is not None}


@dataclass(frozen=True)
class CallbackAnswer:
    query_id: str
    chat_id: int
    message_id: int
    data: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True)
class ApiCall:
    """One request the fake answered: its decoded parameters and the result or error."""

    method: str
    params: JSON
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str | None = None


@dataclass
class _Query:
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


class World:
    """All state of one FakeTelegram; every access from the server thread holds :attr:`lock`."""

    def __init__(self, bot: FakeUser, clock: Clock) -> None:
        self.bot = bot
        self.clock = clock
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)  # new updates, new API calls, closing
        self.users: dict[int, FakeUser] = {bot.id: bot}
        self.chats: dict[int, FakeChat] = {}
        self.sent: list[FakeMessage] = []
        self.requests: list[ApiCall] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.queries: dict[str, _Query] = {}
        self.updates: list[JSON] = []
        self.next_update_id = 1
        self.allowed_updates: list[str] = []
        self.polls_waiting = 0
        self.poll_generation = 0  # a newer getUpdates ends a waiting one with 409
        self.closing = False

    def now(self) -> int:
        return int(self.clock.now().timestamp())

    def user(self, user_id: int) -> FakeUser:
        if user_id not in self.users:
            self.users[user_id] = FakeUser(user_id, first_name=f"User {user_id}")
        return self.users[user_id]

    def chat(self, chat_id: int) -> FakeChat:
        """The chat, registered on first use (users write first; the bot cannot)."""
        if chat_id not in self.chats:
            if chat_id > 0:
                name = self.user(chat_id)
                self.chats[chat_id] = FakeChat(
                    chat_id, "private", username=name.username, first_name=name.first_name
                )
            else:
                self.chats[chat_id] = FakeChat(chat_id, "supergroup", title=f"Chat {chat_id}")
        return self.chats[chat_id]

    def add_message(self, chat: FakeChat, from_id: int, text: str, **fields: Any) -> FakeMessage:
        message = FakeMessage(chat.next_message_id, chat.id, from_id, self.now(), text, **fields)
        chat.messages[message.message_id] = message
        chat.next_message_id += 1
        return message

    def push_update(self, kind: str, payload: JSON) -> int:
        update_id = self.next_update_id
        self.next_update_id += 1
        self.updates.append({"update_id": update_id, kind: payload})
        self.changed.notify_all()
        return update_id

    def new_query(self, chat_id: int, message_id: int, data: str) -> str:
        query_id = str(len(self.queries) + 4_000_000_000_000_000_001)
        self.queries[query_id] = _Query(chat_id, message_id, data)
        return query_id

    def message_json(self, message: FakeMessage, *, with_reply: bool = True) -> JSON:
        chat = self.chats[message.chat_id]
        body: JSON = {
            "message_id": message.message_id,
            "from": self.user(message.from_id).to_api(),
            "chat": chat.to_api(),
            "date": message.date,
            "text": message.text,
        }
        replied = chat.messages.get(message.reply_to) if message.reply_to else None
        if with_reply and replied is not None and not replied.deleted:
            body["reply_to_message"] = self.message_json(replied, with_reply=False)
        optional = {
            "edit_date": message.edit_date,
            "entities": message.entities or None,
            "link_preview_options": message.link_preview_options,
            # A Message only ever carries an inline keyboard; reply keyboards live client-side.
            "reply_markup": message.reply_markup if message.buttons else None,
        }
        return body | {key: value for key, value in optional.items() if value is not None}
