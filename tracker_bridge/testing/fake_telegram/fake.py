"""A fake Telegram Bot API over real HTTP, for the unmodified python-telegram-bot.

::

    with FakeTelegram() as tg:
        bot = telegram.Bot(token, base_url=tg.url + "/bot", base_file_url=tg.url + "/file/bot")
        ...
        assert tg.chats[-100].messages[1].text == "hello"

Served from its own thread (:class:`~tracker_bridge.testing.http.ThreadedServer`) so that
``getUpdates`` long polling can block there while the test's event loop runs the bot. Modules:
``_state`` (chats, messages, updates), ``_server`` (one request: token, faults, limits, log),
``_methods``/``_updates`` (the API methods), ``_html`` (parse_mode=HTML), ``_api`` (declared
parameters), ``_http`` (body formats), ``_faults`` (fail_next, flood control).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracker_bridge.foundation.clock import Clock, SystemClock
from tracker_bridge.testing.fake_telegram.faults import RateLimiter
from tracker_bridge.testing.fake_telegram.html import utf16_len
from tracker_bridge.testing.fake_telegram.http import handler_class
from tracker_bridge.testing.fake_telegram.methods import get_my_commands
from tracker_bridge.testing.fake_telegram.server import BotApi, is_token
from tracker_bridge.testing.fake_telegram.state import (
    ApiCall,
    CallbackAnswer,
    FakeChat,
    FakeMessage,
    FakeUser,
    World,
)
from tracker_bridge.testing.http import Lifecycle, ThreadedServer
from tracker_bridge.testing.waiting import eventually, eventually_blocking

__all__ = ["ApiCall", "CallbackAnswer", "FakeChat", "FakeMessage", "FakeTelegram", "FakeUser"]

JSON = dict[str, Any]
DEFAULT_BOT_ID = 7_000_000_001


class FakeTelegram(Lifecycle):
    """The Bot API of one bot. Any ``<digits>:<text>`` token works unless ``token`` is given."""

    def __init__(
        self,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        bot_id: int = DEFAULT_BOT_ID,
        bot_username: str = "fake_bot",
        bot_name: str = "Fake Bot",
        strict: bool = True,
    ) -> None:
        if token is not None and not is_token(token):
            raise ValueError(f"not a bot token: {token!r}")
        self.token = token
        bot_id = int(token.split(":", 1)[0]) if token else bot_id
        bot = FakeUser(bot_id, bot_name, username=bot_username, is_bot=True)
        self._world = World(bot, clock or SystemClock())
        self._api = BotApi(self._world, token, strict=strict)
        self._server = ThreadedServer(handler_class(self._api.answer))

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: use ``url + "/bot"`` as PTB's ``base_url``."""
        return self._server.url

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        with self._world.lock:
            self._world.closing = True  # pending long polls answer [] at once
            self._world.changed.notify_all()
        self._server.stop()

    # -- what tests assert on ------------------------------------------------------------

    @property
    def bot(self) -> FakeUser:
        return self._world.bot

    @property
    def chats(self) -> dict[int, FakeChat]:
        return self._world.chats

    @property
    def users(self) -> dict[int, FakeUser]:
        return self._world.users

    @property
    def sent(self) -> list[FakeMessage]:
        """Every message the bot sent, in order, as it is now (edited, deleted…)."""
        return self._world.sent

    @property
    def requests(self) -> list[ApiCall]:
        return self._world.requests

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return self._world.callback_answers

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a ``getUpdates`` offset."""
        with self._world.lock:
            return len(self._world.updates)

    @property
    def polls_waiting(self) -> int:
        """Long polls (``getUpdates`` with a timeout) waiting right now for an update."""
        with self._world.lock:
            return self._world.polls_waiting

    def calls(self, method: str) -> list[ApiCall]:
        """The logged calls of one method (any case), answered ok or not."""
        with self._world.lock:
            return [call for call in self._world.requests if call.method.lower() == method.lower()]

    def bot_messages(self, chat_id: int) -> list[FakeMessage]:
        """The bot's messages in a chat that are not deleted, oldest first."""
        with self._world.lock:
            chat = self._world.chats.get(chat_id)
            live = chat.live() if chat else []
            return [message for message in live if message.from_id == self.bot.id]

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list set for ``scope`` (default scope if None) and language."""
        params = {"scope": scope, "language_code": language_code}
        with self._world.lock:
            return get_my_commands(self._world, params)

    async def wait_until(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """:func:`~tracker_bridge.testing.waiting.eventually` with ``predicate()`` checked under
        the fake's lock (tests call ``eventually`` itself; this stays for the fake's callers)."""
        await eventually(lambda: self._holds(predicate), within, "FakeTelegram condition met")

    def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """The same for a test whose client runs in another thread (it blocks)."""
        eventually_blocking(lambda: self._holds(predicate), within, "FakeTelegram condition met")

    def _holds(self, predicate: Callable[[], bool]) -> bool:
        with self._world.lock:
            return predicate()

    # -- setting the scene ---------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> FakeUser:
        user = FakeUser(user_id, first_name, username, last_name, language_code)
        with self._world.lock:
            self._world.users[user_id] = user
        return user

    def add_chat(
        self,
        chat_id: int,
        title: str | None = None,
        type: str = "supergroup",
        *,
        username: str | None = None,
    ) -> FakeChat:
        with self._world.lock:
            if type == "private":
                user = self._world.user(chat_id)
                chat = FakeChat(chat_id, type, username=user.username, first_name=user.first_name)
            else:
                chat = FakeChat(chat_id, type, title=title or f"Chat {chat_id}", username=username)
            self._world.chats[chat_id] = chat
        return chat

    def inject_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        entities: list[JSON] | None = None,
    ) -> FakeMessage:
        """A user writes ``text`` in the chat: stored, and queued as a ``message`` update."""
        with self._world.lock:
            chat = self._world.chat(chat_id)
            self._world.user(user_id)
            if reply_to is not None and reply_to not in chat.messages:
                raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
            message = self._world.add_message(
                chat, user_id, text, entities=list(entities or []), reply_to=reply_to
            )
            self._world.push_update("message", self._world.message_json(message))
        return message

    def inject_command(
        self, chat_id: int, user_id: int, text: str, *, reply_to: int | None = None
    ) -> FakeMessage:
        """Like :meth:`inject_message`, with the ``bot_command`` entity clients look for."""
        if not text.startswith("/"):
            raise ValueError(f"a command starts with '/': {text!r}")
        command = text.split(maxsplit=1)[0]
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
        return self.inject_message(chat_id, user_id, text, reply_to=reply_to, entities=[entity])

    def inject_callback(self, chat_id: int, user_id: int, message_id: int, data: str) -> str:
        """A user presses a button on a message; returns the callback query id to answer."""
        with self._world.lock:
            chat = self._world.chats.get(chat_id)
            message = chat.messages.get(message_id) if chat else None
            if message is None or message.deleted:
                raise ValueError(f"no message {message_id} in chat {chat_id} to press")
            query_id = self._world.new_query(chat_id, message_id, data)
            payload = {
                "id": query_id,
                "from": self._world.user(user_id).to_api(),
                "message": self._world.message_json(message),
                "chat_instance": str(abs(chat_id) + 7_000_000_000_000_000),
                "data": data,
            }
            self._world.push_update("callback_query", payload)
        return query_id

    # -- faults ---------------------------------------------------------------------------

    def kick_bot(self, chat_id: int) -> None:
        """From now on every call for this chat is a 403 (kicked / blocked, by chat type)."""
        with self._world.lock:
            self._world.chat(chat_id).bot_kicked = True

    def restore_bot(self, chat_id: int) -> None:
        with self._world.lock:
            self._world.chat(chat_id).bot_kicked = False

    def fail_next(
        self,
        method: str,
        error_code: int = 500,
        *,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` (``"*"``: any) fail with this error.

        The description defaults to the API's wording for the code; a 429 always carries
        ``parameters.retry_after`` (1 unless given).
        """
        with self._world.lock:
            self._api.faults.add(method, error_code, description, retry_after, times)

    def lose_answer(self, method: str, *, times: int = 1, chat_id: int | None = None) -> None:
        """The next ``times`` calls of ``method`` (to ``chat_id``, or any chat) are carried out
        (a message is posted) and then the connection is closed without an answer: what a
        client sees when the network cuts, or its request times out, after Telegram took it."""
        key = (method, chat_id)
        with self._world.lock:
            self._api.lost[key] = self._api.lost.get(key, 0) + times

    def on_answer(self, hook: Callable[[ApiCall], None] | None) -> None:
        """Call ``hook`` (on the server's thread) with every call carried out, before its
        answer is written: a test kills the client in the window where Telegram took a message
        and the client has not heard so. ``None`` removes it."""
        self._api.on_answer = hook

    def rate_limit(
        self,
        per_chat_per_minute: int | None = None,
        global_per_second: int | None = None,
        *,
        per_chat_per_second: int | None = None,
    ) -> None:
        """Answer 429 like flood control over these limits (sends and edits); all None: off."""
        limits = (per_chat_per_minute, global_per_second, per_chat_per_second)
        with self._world.lock:
            self._api.limiter = RateLimiter(*limits) if any(x is not None for x in limits) else None
