"""PTB updates → :mod:`.commands` → actions for the daemon, and the answers back to the chat.

The handlers only translate: who wrote where, which prompt a reply answers; the decisions are
the pure functions of :mod:`.commands`. Actions go to the daemon's ``on_actions`` callback (which
runs them through the effects); the chat hears the outcome only after that returned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import structlog
from telegram import Update
from telegram.ext import ContextTypes

from tracker_bridge.regulation.actions import Action
from tracker_bridge.telegram.commands import (
    Access,
    Incoming,
    Reply,
    Situation,
    handle_button,
    handle_message,
)
from tracker_bridge.telegram.errors import TelegramBridgeError
from tracker_bridge.telegram.sender import Sender

__all__ = ["OnActions", "Router"]

log = structlog.get_logger(__name__)
OnActions = Callable[[Sequence[Action], str], Awaitable[None]]
FAILED = "⚠️ Не удалось выполнить действие, попробуйте ещё раз чуть позже."


class Router:
    """The two PTB callbacks: text messages (commands, prompt answers) and button presses."""

    def __init__(
        self,
        *,
        access: Access,
        situation: Callable[[], Situation],
        on_actions: OnActions,
        sender: Sender,
        bot_username: str | None,
    ) -> None:
        self._access = access
        self._situation = situation
        self._on_actions = on_actions
        self._sender = sender
        self._username = bot_username

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None or not message.text:
            return
        self._sender.restore(chat.id)  # a message from the chat: the bot is in it again
        replied = message.reply_to_message
        prompt = None
        if replied is not None and replied.from_user is not None and replied.text:
            prompt = replied.text if replied.from_user.id == context.bot.id else None
        event = f"tg:{chat.id}:{message.message_id}"
        incoming = Incoming(chat.id, user.id, user.full_name, message.text, event, prompt)
        reply = handle_message(incoming, self._access, self._situation(), self._username)
        if reply is None:
            return
        ok = await self._run(reply, chat.id)
        text = reply.html if ok else FAILED
        if text:
            await self._post(chat.id, text, reply_to=message.message_id, prompt=reply.prompt)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user, chat = update.callback_query, update.effective_user, update.effective_chat
        if query is None or user is None or chat is None or query.data is None:
            return
        incoming = Incoming(chat.id, user.id, user.full_name, query.data, f"tgcb:{query.id}")
        reply = handle_button(incoming, self._access, self._situation())
        ok = await self._run(reply, chat.id)
        notice = (reply.notice or "") if ok else FAILED
        await self._sender.answer(query.id, notice, alert=reply.refused or not ok)
        if ok and reply.html:
            await self._post(chat.id, reply.html, reply_to=None, prompt=reply.prompt)

    async def _run(self, reply: Reply, chat_id: int) -> bool:
        if not reply.actions:
            return True
        customer = self._access.chats[chat_id].name
        keys = [action.key for action in reply.actions]
        try:
            await self._on_actions(list(reply.actions), customer)
        except Exception:
            log.exception("telegram.command_failed", chat_id=chat_id, actions=keys)
            return False
        log.info("telegram.command", chat_id=chat_id, customer=customer, actions=keys)
        return True

    async def _post(self, chat_id: int, html: str, *, reply_to: int | None, prompt: bool) -> None:
        try:
            await self._sender.send(chat_id, html, reply_to=reply_to, force_reply=prompt)
        except TelegramBridgeError as error:
            log.warning("telegram.reply_failed", chat_id=chat_id, error=str(error))
