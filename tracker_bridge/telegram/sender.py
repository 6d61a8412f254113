"""Every Bot API call the bridge makes, with errors translated into :mod:`.errors`.

Telegram's flood limits are paced and ``RetryAfter`` is retried by PTB's ``AIORateLimiter`` on
the application's bot (one retry layer); what still fails arrives here and is translated. A 403
marks the chat unavailable: logged once, reported once, and every later call for that chat is
refused here without a request, so a kicked bot causes no retry storm.

With a ledger (the daemon's store), every message posted is ledgered and a send whose outcome
was lost is resolved before the chat's next one (:mod:`tracker_bridge.telegram.send_ledger`).
"""

from __future__ import annotations

import enum
import sqlite3
import uuid
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

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.service.effects import KeyedLocks
from tracker_bridge.store.ports import SendLedger
from tracker_bridge.store.records import SendRecord, StaleLeaderError, StoreError
from tracker_bridge.telegram.cards import Button
from tracker_bridge.telegram.errors import (
    ChatUnavailable,
    TelegramBridgeError,
    TelegramPermanent,
    TelegramTransient,
)
from tracker_bridge.telegram.send_ledger import (
    PRUNE_AFTER,
    Content,
    Posted,
    Probe,
    next_probe,
    probeable,
)

__all__ = ["EditOutcome", "Sender", "translate"]

log = structlog.get_logger(__name__)
_V = TypeVar("_V")
OnUnavailable = Callable[[int, str], Awaitable[None]]
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# the store cannot be read or written (SQLite's own errors reach us unwrapped)
_STORE_DOWN = (StoreError, sqlite3.Error)


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

    def __init__(
        self,
        bot: Bot,
        on_unavailable: OnUnavailable | None = None,
        *,
        ledger: tuple[SendLedger, Clock] | None = None,
    ) -> None:
        """``ledger``: where the sends are recorded, and the clock that dates them."""
        self._bot = bot
        self._on_unavailable = on_unavailable
        self._ledger = ledger
        self._chats = KeyedLocks()  # one send at a time per chat (the ledger's premise)
        # sends made while the store could not be written, recorded once it can (per chat)
        self._unrecorded: dict[int, list[tuple[str, Content, int]]] = {}
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
        purpose: str | None = None,
    ) -> int:
        """Post ``html``; the new message id (see :meth:`post`)."""
        posted = await self.post(
            chat_id, html, buttons=buttons, reply_to=reply_to, force_reply=force_reply,
            purpose=purpose,
        )  # fmt: skip
        return posted.message_id

    async def post(
        self,
        chat_id: int,
        html: str,
        *,
        buttons: Sequence[Sequence[Button]] = (),
        reply_to: int | None = None,
        force_reply: bool = False,
        purpose: str | None = None,
    ) -> Posted:
        """Post ``html`` once for ``purpose`` (``None``: a message of its own). With a ledger, a
        purpose already posted answers its message (``fresh`` False) instead of posting again,
        and the chat's unresolved send, if any, is resolved first."""
        content = Content.of(html, buttons, force_reply=force_reply)
        if self._ledger is None:
            return Posted(await self._send_message(chat_id, content, reply_to), fresh=True)
        ledger, clock = self._ledger
        async with self._chats.held(str(chat_id)):
            purpose = purpose or f"once:{uuid.uuid4().hex}"
            try:
                self._record_late(chat_id)
                unresolved = ledger.sends_unresolved(chat_id)
            except StaleLeaderError:
                raise  # a former leader: it must not post at all
            except _STORE_DOWN:  # the store is out
                return await self._post_unrecorded(chat_id, content, reply_to, purpose)
            for intent in unresolved:
                await self._resolve(intent)
            try:
                known = ledger.send_get(purpose)
                if known is not None and known.message_id is not None:
                    log.info("telegram.send_known", purpose=purpose, message_id=known.message_id)
                    return Posted(known.message_id, fresh=False)
                ledger.send_begin(purpose, chat_id, content.encode(), clock.now())
            except StaleLeaderError:
                raise
            except _STORE_DOWN:
                return await self._post_unrecorded(chat_id, content, reply_to, purpose)
            try:
                message_id = await self._send_message(chat_id, content, reply_to)
            except TelegramBridgeError as error:
                if not isinstance(error, TelegramTransient) or error.retry_after is not None:
                    ledger.send_forget(purpose)  # refused or put off: nothing was posted
                raise  # a timeout or a cut connection: unknown, resolved before the next send
            now = clock.now()
            ledger.send_done(purpose, message_id, now, prune=now - PRUNE_AFTER)
            return Posted(message_id, fresh=True)

    async def _post_unrecorded(
        self, chat_id: int, content: Content, reply_to: int | None, purpose: str
    ) -> Posted:
        """The store cannot be written (its own outage, which the support chat must hear of):
        posted without an intent, as before the ledger, and recorded once it can be."""
        message_id = await self._send_message(chat_id, content, reply_to)
        self._unrecorded.setdefault(chat_id, []).append((purpose, content, message_id))
        return Posted(message_id, fresh=True)

    def _record_late(self, chat_id: int) -> None:
        """Record the chat's sends made while the store could not be written (before any
        probe there: a probe must know every message of the bot's)."""
        assert self._ledger is not None
        ledger, clock = self._ledger
        late = self._unrecorded.get(chat_id, [])
        while late:
            purpose, content, message_id = late[0]
            now = clock.now()
            ledger.send_begin(purpose, chat_id, content.encode(), now)
            ledger.send_done(purpose, message_id, now, prune=now - PRUNE_AFTER)
            late.pop(0)
        self._unrecorded.pop(chat_id, None)

    async def _send_message(self, chat_id: int, content: Content, reply_to: int | None) -> int:
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        markup = ForceReply(selective=True) if content.force_reply else _markup(content.buttons)
        message = await self._call(
            chat_id,
            lambda: self._bot.send_message(
                chat_id,
                content.html,
                parse_mode="HTML",
                reply_markup=markup,
                reply_parameters=reply,
                link_preview_options=_NO_PREVIEW,
            ),
        )
        return message.message_id

    async def _resolve(self, intent: SendRecord) -> None:
        """Settle a send whose outcome was lost: find its message, or drop the intent."""
        assert self._ledger is not None
        ledger, clock = self._ledger
        if intent.floor is None or not probeable(intent, clock.now()):
            ledger.send_forget(intent.purpose)
            log.warning("telegram.send_unresolved", purpose=intent.purpose, chat_id=intent.chat_id)
            return
        content = Content.decode(intent.content)
        known = ledger.sends_known(intent.chat_id, intent.floor)
        answers: list[tuple[int, Probe]] = []
        while (candidate := next_probe(intent.floor, answers, known)) is not None:
            answer = await self._probe(intent.chat_id, candidate, content)
            if answer is Probe.OURS:
                now = clock.now()
                ledger.send_done(intent.purpose, candidate, now, prune=now - PRUNE_AFTER)
                log.warning(
                    "telegram.send_found", purpose=intent.purpose, chat_id=intent.chat_id,
                    message_id=candidate, probes=len(answers) + 1,
                )  # fmt: skip
                return
            answers.append((candidate, answer))
        ledger.send_forget(intent.purpose)
        log.info(
            "telegram.send_resolved", purpose=intent.purpose, chat_id=intent.chat_id,
            probes=len(answers),
        )  # fmt: skip

    async def _probe(self, chat_id: int, message_id: int, content: Content) -> Probe:
        """Is ``message_id`` the message of ``content``? An identical edit says, changing
        nothing of ours (module doc of :mod:`~tracker_bridge.telegram.send_ledger`)."""
        try:
            outcome = await self.edit(chat_id, message_id, content.html, content.buttons)
        except ChatUnavailable:
            raise
        except TelegramPermanent as error:  # "message can't be edited": not the bot's
            log.info(
                "telegram.send_probe", chat_id=chat_id, message_id=message_id, error=str(error)
            )
            return Probe.OTHER
        if outcome is EditOutcome.GONE:
            return Probe.NOBODY
        if outcome is EditOutcome.EDITED:  # a message of the bot's nobody recorded: now ours
            log.warning("telegram.send_probe_rewrote", chat_id=chat_id, message_id=message_id)
        return Probe.OURS

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
