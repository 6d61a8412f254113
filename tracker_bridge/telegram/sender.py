"""Every Bot API call the bridge makes, with errors translated into :mod:`.errors`.

Telegram's flood limits are paced and ``RetryAfter`` is retried by PTB's ``AIORateLimiter`` on
the application's bot (one retry layer); what still fails arrives here and is translated. A 403
marks the chat unavailable: logged once, reported once, and every later call for that chat is
refused here without a request, so a kicked bot causes no retry storm.
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TypeVar

import structlog
from telegram import (
    Bot,
    BotCommand,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from tracker_bridge.telegram.cards import Button
from tracker_bridge.telegram.errors import (
    ChatUnavailable,
    TelegramBridgeError,
    TelegramPermanent,
    TelegramTransient,
)

__all__ = ["EditOutcome", "Sender", "translate"]

log = structlog.get_logger(__name__)
_V = TypeVar("_V")
OnUnavailable = Callable[[int, str], Awaitable[None]]
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class EditOutcome(enum.Enum):
    EDITED = "edited"
    UNCHANGED = "unchanged"  # Telegram's "message is not modified": the card already shows it
    GONE = "gone"  # the message was deleted: post a new card


def _retry_after(error: RetryAfter) -> timedelta:
    with warnings.catch_warnings():  # an int plus a deprecation warning unless PTB_TIMEDELTA
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def translate(error: TelegramError, chat_id: int | None) -> TelegramBridgeError:
    """Our error for a PTB error. ``BadRequest`` is a ``NetworkError``: checked first."""
    text = f"{type(error).__name__}: {error.message}"
    if isinstance(error, InvalidToken):  # PTB's message quotes the token itself
        return TelegramPermanent("InvalidToken: the bot token was rejected", chat_id=chat_id)
    if isinstance(error, RetryAfter):
        return TelegramTransient(text, chat_id=chat_id, retry_after=_retry_after(error))
    if isinstance(error, Forbidden):
        return ChatUnavailable(text, chat_id=chat_id)
    if isinstance(error, BadRequest | ChatMigrated):
        return TelegramPermanent(text, chat_id=chat_id)
    if isinstance(error, NetworkError | Conflict):  # TimedOut is a NetworkError
        return TelegramTransient(text, chat_id=chat_id)
    return TelegramPermanent(text, chat_id=chat_id)


def _markup(buttons: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in buttons]
    return InlineKeyboardMarkup(rows) if rows else None


class Sender:
    """Sends and edits HTML messages for the bridge; knows which chats are unavailable."""

    def __init__(self, bot: Bot, on_unavailable: OnUnavailable | None = None) -> None:
        self._bot = bot
        self._on_unavailable = on_unavailable
        self.unavailable: dict[int, str] = {}  # chat id → why (Telegram's 403 text)

    def restore(self, chat_id: int) -> None:
        """The bot can write to ``chat_id`` again (re-added, or an update came from it)."""
        if self.unavailable.pop(chat_id, None) is not None:
            log.info("telegram.chat_restored", chat_id=chat_id)

    async def send(
        self,
        chat_id: int,
        html: str,
        *,
        buttons: Sequence[Sequence[Button]] = (),
        reply_to: int | None = None,
        force_reply: bool = False,
    ) -> int:
        """Post ``html``; the new message id."""
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        markup = ForceReply(selective=True) if force_reply else _markup(buttons)
        message = await self._call(
            chat_id,
            lambda: self._bot.send_message(
                chat_id,
                html,
                parse_mode="HTML",
                reply_markup=markup,
                reply_parameters=reply,
                link_preview_options=_NO_PREVIEW,
            ),
        )
        return message.message_id

    async def edit(
        self, chat_id: int, message_id: int, html: str, buttons: Sequence[Sequence[Button]]
    ) -> EditOutcome:
        """Replace a message's text and buttons (no buttons: the keyboard goes away)."""
        try:
            await self._call(
                chat_id,
                lambda: self._bot.edit_message_text(
                    html,
                    chat_id,
                    message_id,
                    parse_mode="HTML",
                    reply_markup=_markup(buttons),
                    link_preview_options=_NO_PREVIEW,
                ),
            )
        except TelegramPermanent as error:
            text = str(error).lower()
            if "message is not modified" in text:
                return EditOutcome.UNCHANGED
            if "message to edit not found" in text:
                return EditOutcome.GONE
            raise
        return EditOutcome.EDITED

    async def answer(self, query_id: str, text: str, *, alert: bool = False) -> None:
        """Answer a button press (the toast); best effort, a failure is only logged."""
        try:
            await self._call(None, lambda: self._bot.answer_callback_query(query_id, text, alert))
        except TelegramBridgeError as error:
            log.warning("telegram.callback_answer_failed", query_id=query_id, error=str(error))

    async def set_commands(self, commands: Sequence[tuple[str, str]]) -> None:
        """The command menu (best effort: the bot works without it)."""
        menu = [BotCommand(name, description) for name, description in commands]
        try:
            await self._call(None, lambda: self._bot.set_my_commands(menu))
        except TelegramBridgeError as error:
            log.warning("telegram.set_commands_failed", error=str(error))

    async def _call(self, chat_id: int | None, request: Callable[[], Awaitable[_V]]) -> _V:
        if chat_id is not None and chat_id in self.unavailable:
            raise ChatUnavailable(
                f"chat {chat_id} is unavailable: {self.unavailable[chat_id]}", chat_id=chat_id
            )
        try:
            return await request()
        except TelegramError as error:
            translated = translate(error, chat_id)
            if isinstance(translated, ChatUnavailable) and chat_id is not None:
                await self._lost(chat_id, error.message)
            raise translated from error

    async def _lost(self, chat_id: int, reason: str) -> None:
        """First 403 for a chat: remember it, log it once, tell the daemon once."""
        if chat_id in self.unavailable:
            return
        self.unavailable[chat_id] = reason
        log.error("telegram.chat_unavailable", chat_id=chat_id, reason=reason)
        if self._on_unavailable is not None:
            try:
                await self._on_unavailable(chat_id, reason)
            except Exception:
                log.exception("telegram.chat_unavailable_hook_failed", chat_id=chat_id)
