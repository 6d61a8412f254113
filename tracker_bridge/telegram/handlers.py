"""PTB updates → :mod:`.commands` → actions for the daemon, and the answers back to the chat.

python-telegram-bot routes: a ``CommandHandler`` per command (it knows ``/name@bot`` and ignores
commands for other bots), a ``MessageHandler`` for replies, a ``CallbackQueryHandler`` for
buttons (:meth:`Router.handlers`). The callbacks here only translate: who wrote where, which
prompt a reply answers — by the prompt's message id, remembered when it was posted, never by its
wording. The decisions are the pure functions of :mod:`.commands`. Actions go to the daemon's
``on_actions`` callback (which runs them through the effects); the chat hears the outcome only
after that returned.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

import structlog
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tracker_bridge.regulation.actions import Action
from tracker_bridge.telegram.commands import (
    COMMAND_NAMES,
    Access,
    Incoming,
    Prompt,
    Reply,
    Situation,
    handle_answer,
    handle_button,
    handle_command,
)
from tracker_bridge.telegram.errors import TelegramBridgeError
from tracker_bridge.telegram.sender import Sender
from tracker_bridge.telegram.usage import command_arguments

__all__ = ["OnActions", "Router"]

log = structlog.get_logger(__name__)
OnActions = Callable[[Sequence[Action], str], Awaitable[None]]
FAILED = "⚠️ Не удалось выполнить действие, попробуйте ещё раз чуть позже."


# prompts remembered per bot (the oldest forgotten first): a button press asks for one, and its
# answer comes within minutes; a reply to a prompt no longer known is ignored like chatter
PROMPTS_KEPT = 1000


class Router:
    """The PTB callbacks: commands, replies to the bot's prompts, and button presses."""

    def __init__(
        self,
        *,
        access: Access,
        situation: Callable[[], Situation],
        on_actions: OnActions,
        sender: Sender,
    ) -> None:
        self._access = access
        self._situation = situation
        self._on_actions = on_actions
        self._sender = sender
        # (chat id, message id) of each prompt the bot posted → what its answer means
        self._prompts: OrderedDict[tuple[int, int], Prompt] = OrderedDict()

    def handlers(self) -> list[BaseHandler[Update, Any, Any]]:
        """What to register on the application, in order."""
        commands: list[BaseHandler[Update, Any, Any]] = [
            CommandHandler(name, functools.partial(self.on_command, name)) for name in COMMAND_NAMES
        ]
        replies = MessageHandler(filters.TEXT & filters.REPLY & ~filters.COMMAND, self.on_reply)
        others = MessageHandler(filters.TEXT & filters.COMMAND, self.on_other_command)
        return [*commands, replies, others, CallbackQueryHandler(self.on_button)]

    async def on_command(
        self, name: str, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        incoming, message_id = self._incoming(update)
        if incoming is None:
            return
        args = command_arguments(incoming.text)
        reply = handle_command(incoming, name, args, self._access, self._situation())
        await self._answer(reply, incoming.chat_id, message_id)

    async def on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming, message_id = self._incoming(update)
        replied = update.effective_message and update.effective_message.reply_to_message
        if incoming is None or not replied:
            return
        prompt = self._prompts.get((incoming.chat_id, replied.message_id))
        reply = handle_answer(replace(incoming, answers=prompt), self._access, self._situation())
        if reply is not None:
            await self._answer(reply, incoming.chat_id, message_id)

    async def on_other_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command that is not ours (or for another bot): no answer, but the chat is there."""
        self._incoming(update)

    def _incoming(self, update: Update) -> tuple[Incoming | None, int]:
        """The message as the pure side reads it, and its id (``None``: not a text message)."""
        message, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None or not message.text:
            return None, 0
        self._sender.restore(chat.id)  # a message from the chat: the bot is in it again
        event = f"tg:{chat.id}:{message.message_id}"
        return Incoming(chat.id, user.id, user.full_name, message.text, event), message.message_id

    async def _answer(self, reply: Reply, chat_id: int, message_id: int) -> None:
        ok = await self._run(reply, chat_id)
        text = reply.html if ok else FAILED
        if text:
            await self._post(chat_id, text, reply_to=message_id, prompt=reply.prompt)

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

    async def _post(
        self, chat_id: int, html: str, *, reply_to: int | None, prompt: Prompt | None
    ) -> None:
        try:
            sent = await self._sender.send(
                chat_id, html, reply_to=reply_to, force_reply=prompt is not None
            )
        except TelegramBridgeError as error:
            log.warning("telegram.reply_failed", chat_id=chat_id, error=str(error))
            return
        if prompt is not None:
            self._prompts[(chat_id, sent)] = prompt
            while len(self._prompts) > PROMPTS_KEPT:
                self._prompts.popitem(last=False)
