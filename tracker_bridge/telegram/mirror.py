"""R5: the Telegram side of the bridge — live cards, alerts, the digest, commands and buttons.

:class:`TelegramMirror` owns one python-telegram-bot ``Application`` (started and stopped by the
daemon), polls for updates, turns commands and button presses into regulation actions for the
daemon's ``on_actions`` callback, and carries out the Telegram actions of the core:

* :meth:`~TelegramMirror.upsert_card` posts a request's card once and then edits it in place,
  only when its text or buttons change; edits for one request are coalesced (latest wins); a
  deleted card is posted anew; card message ids live in the :class:`CardStore`, so a restart
  edits the same message; every message is posted through the send ledger (``sends``), so a
  kill between Telegram taking a card and its id being recorded posts no second one
  (:mod:`tracker_bridge.telegram.send_ledger`);
* :meth:`~TelegramMirror.send_alert` replies to the card (a plain message when there is none);
* :meth:`~TelegramMirror.post_digest` posts the daily digest (R21).

Flood limits are paced and ``RetryAfter`` retried by PTB's ``AIORateLimiter``; nothing here
sleeps, and regulation timing never runs on PTB's JobQueue (it is disabled). Errors are
:mod:`tracker_bridge.telegram.errors`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
)

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.regulation.actions import TelegramAlert, TelegramCard
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.digest import Digest, TelegramDigest
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.sla import read_clocks
from tracker_bridge.store.ports import CardStore, SendLedger
from tracker_bridge.store.records import CardRecord
from tracker_bridge.telegram.card_ledger import CardLedger, card_in_tags
from tracker_bridge.telegram.cards import RenderedCard, render_card
from tracker_bridge.telegram.coalesce import Coalescer
from tracker_bridge.telegram.commands import Access, Situation
from tracker_bridge.telegram.contact import ContactRequest, OnContact
from tracker_bridge.telegram.errors import TelegramPermanent, TelegramTransient
from tracker_bridge.telegram.handlers import OnActions, Router
from tracker_bridge.telegram.notices import alert_text, digest_text
from tracker_bridge.telegram.sender import EditOutcome, Sender, translate
from tracker_bridge.telegram.text import CardSettings
from tracker_bridge.telegram.usage import BOT_COMMANDS

__all__ = ["CardStore", "MirrorSettings", "TelegramMirror"]

log = structlog.get_logger(__name__)

# alerts about a customer's mail rather than one request: for support's eyes first
SUPPORT_ALERTS = frozenset({"loop_cap"})
OnChatUnavailable = Callable[[int, str], Awaitable[None]]
_App = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class MirrorSettings:
    """The bot's connection, pacing and look."""

    token: str
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    overall_per_second: float = 30.0  # Telegram: ~30 messages/s per bot (0: no pacing)
    group_per_minute: float = 20.0  # Telegram: ~20 messages/min per group (0: no pacing)
    max_retries: int = 5  # RetryAfter (429) retries, each after Telegram's retry_after
    poll_timeout: int = 10  # long-polling getUpdates timeout, seconds
    # Bot API requests in flight at once (sends, edits). Telegram allows ~30 messages/s, which
    # 8 connections carry easily; more only opens sockets (and a burst of 100 new connections
    # overflows a small server's listen backlog). Requests beyond it queue for a connection.
    connections: int = 8
    pool_timeout: float = 60.0  # how long a request may queue for a free connection
    cards: CardSettings = field(default_factory=CardSettings)

    @classmethod
    def from_base(cls, token: str, base_url: str, **options: Any) -> MirrorSettings:
        """Settings for a Bot API at ``base_url`` (``…/bot``); the file URL is derived."""
        root = base_url.rstrip("/").removesuffix("/bot")
        return cls(token, f"{root}/bot", f"{root}/file/bot", **options)


class TelegramMirror:
    """The bridge's bot: cards, alerts, digest out; commands and buttons in."""

    def __init__(
        self,
        settings: MirrorSettings,
        *,
        access: Access,
        cards: CardStore,
        clock: Clock,
        calendar: WorkCalendar,
        policy: Policy,
        views: Mapping[str, IssueView],
        on_actions: OnActions,
        on_chat_unavailable: OnChatUnavailable | None = None,
        on_contact: OnContact | None = None,
        ledger: CardLedger | None = None,
        support_chat: int | None = None,
        sends: SendLedger | None = None,
    ) -> None:
        """``on_contact`` is told of every successful Bot API exchange (True for a poll);
        ``support_chat`` is the support team's own chat (alerts about mail, not requests);
        ``sends``: where every message posted is ledgered (the daemon's store)."""
        self._sends = sends
        self._support_chat = support_chat
        self._settings = settings
        self._on_contact = on_contact
        self._ledger = ledger
        self._access = access
        self._cards = cards
        self._clock, self._cal, self._policy = clock, calendar, policy
        self._views = views
        self._on_actions = on_actions
        self._on_unavailable = on_chat_unavailable
        self._chat_of = {customer.name: chat for chat, customer in access.chats.items()}
        self._app: _App | None = None
        self._sender: Sender | None = None
        self.edits = Coalescer[str, tuple[TelegramCard, IssueView], int](self._apply_card)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self, *, polling: bool = True) -> None:
        """Connect (getMe), set the command menu, and poll for updates unless told not to."""
        app = self._build()
        try:
            await app.initialize()
        except TelegramError as error:
            await app.bot.shutdown()  # its HTTP clients were opened before getMe failed
            raise translate(error, None) from error
        self._app = app
        ledger = None if self._sends is None else (self._sends, self._clock)
        self._sender = Sender(app.bot, self._on_unavailable, ledger=ledger)
        router = Router(
            access=self._access,
            situation=self._situation,
            on_actions=self._on_actions,
            sender=self._sender,
        )
        app.add_handlers(router.handlers())
        app.add_error_handler(self._on_error)
        await app.start()
        await self._sender.set_commands(BOT_COMMANDS)
        if polling and app.updater is not None:
            await app.updater.start_polling(
                poll_interval=0.0,
                timeout=self._settings.poll_timeout,
                allowed_updates=["message", "callback_query"],
                # without it PTB logs the failure itself, outside our event names
                error_callback=_polling_failed,
            )
        log.info("telegram.started", bot=app.bot.username, polling=polling)

    async def stop(self) -> None:
        """Stop polling and the application; edits in flight are cancelled."""
        await self.edits.close()
        app, self._app = self._app, None
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        log.info("telegram.stopped")

    def _build(self) -> _App:
        s = self._settings
        # Overall: one message every 1/rate seconds, no burst. aiolimiter's bucket would let
        # 2x the rate through in the first second (a full bucket plus what leaks meanwhile),
        # which Telegram answers with 429s that pause every chat. Groups keep their burst.
        limiter = AIORateLimiter(
            overall_max_rate=1 if s.overall_per_second else 0,
            overall_time_period=1 / s.overall_per_second if s.overall_per_second else 0,
            group_max_rate=s.group_per_minute,
            group_time_period=60,
            max_retries=s.max_retries,
        )
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = ApplicationBuilder()
        builder = builder.token(s.token).base_url(s.base_url).base_file_url(s.base_file_url)
        contact = self._on_contact or (lambda _polled: None)
        builder = builder.request(
            ContactRequest(contact, connection_pool_size=s.connections, pool_timeout=s.pool_timeout)
        )
        builder = builder.get_updates_request(ContactRequest(contact, connection_pool_size=1))
        builder = builder.rate_limiter(limiter).job_queue(None)
        return builder.build()  # regulation timing never runs on PTB's clock

    # --- what the effects call -------------------------------------------------------------

    async def upsert_card(self, card: TelegramCard, view: IssueView) -> int:
        """R5: the card shows ``view`` now; returns its message id (coalesced per issue)."""
        return await self.edits.submit(card.issue, (card, view))

    async def send_alert(self, alert: TelegramAlert, view: IssueView | None = None) -> int:
        """An alert as a reply to the request's card (a plain message without a card). An
        alert for support alone (a loop cap) goes to the support team's own chat when one is
        configured (``telegram.ops_chat_id``), else to the customer's chat, where support works."""
        support = self._support_chat if alert.kind in SUPPORT_ALERTS else None
        chat_id = support if support is not None else self._chat(alert.customer)
        record = self._cards.card(alert.issue) if alert.issue else None
        reply_to = record.message_id if record is not None and record.chat_id == chat_id else None
        html = alert_text(alert, self._settings.cards, view or self._views.get(alert.issue))
        sender = self._need_sender()
        message_id = await sender.send(chat_id, html, reply_to=reply_to, purpose=alert.key)
        log.info("telegram.alert", issue=alert.issue, kind=alert.kind, chat_id=chat_id)
        return message_id

    async def send_notice(self, chat_id: int, html: str) -> int:
        """A plain message to ``chat_id`` (the support team's own chat: outage alerts)."""
        return await self._need_sender().send(chat_id, html)

    async def post_digest(self, digest: Digest | TelegramDigest) -> int:
        """R21: the customer's digest of the day."""
        value = digest.digest if isinstance(digest, TelegramDigest) else digest
        chat_id = self._chat(value.customer)
        html = digest_text(value, self._settings.cards, self._cal)
        purpose = digest.key if isinstance(digest, TelegramDigest) else None
        return await self._need_sender().send(chat_id, html, purpose=purpose)

    # effects.TelegramPort: the same, with the view taken from the live ``views`` mapping

    async def card(self, a: TelegramCard) -> None:
        view = self._views.get(a.issue)
        if view is None:
            raise TelegramPermanent(f"no view of {a.issue} to render its card")
        await self.upsert_card(a, view)

    async def alert(self, a: TelegramAlert) -> None:
        await self.send_alert(a)

    async def digest(self, a: TelegramDigest) -> None:
        await self.post_digest(a)

    def chat_available(self, chat_id: int) -> bool:
        return self._sender is None or chat_id not in self._sender.unavailable

    def restore_chat(self, chat_id: int) -> None:
        """Writing to ``chat_id`` may work again (the bot was re-added)."""
        if self._sender is not None:
            self._sender.restore(chat_id)

    # --- inside ----------------------------------------------------------------------------

    async def _apply_card(self, key: str, job: tuple[TelegramCard, IssueView]) -> int:
        card, view = job
        chat_id, sender, now = self._chat(card.customer), self._need_sender(), self._clock.now()
        clocks = read_clocks(view, now, self._cal, self._policy)
        shown = render_card(view, clocks, now, self._cal, self._settings.cards)
        record = self._cards.card(key) or _recorded_in_tracker(key, chat_id, view, now)
        replaced = None
        if record is not None and record.chat_id == chat_id:
            if record.fingerprint == shown.fingerprint:
                return record.message_id
            outcome = await sender.edit(chat_id, record.message_id, shown.html, shown.buttons)
            if outcome is not EditOutcome.GONE:
                self._cards.save_card(key, chat_id, record.message_id, shown.fingerprint, now)
                log.info("telegram.card_edited", issue=key, outcome=outcome.value)
                return record.message_id
            log.warning("telegram.card_gone", issue=key, message_id=record.message_id)
            replaced = record.message_id
        message_id = await self._post_card(key, chat_id, shown, replaced)
        self._cards.save_card(key, chat_id, message_id, shown.fingerprint, now)
        log.info("telegram.card_posted", issue=key, chat_id=chat_id, message_id=message_id)
        await self._note(key, chat_id, message_id)
        return message_id

    async def _post_card(
        self, key: str, chat_id: int, shown: RenderedCard, replaced: int | None
    ) -> int:
        """Post the card once: a card posted before its id reached the card record (a kill, a
        timeout) is found in the send ledger and brought up to date instead."""
        sender = self._need_sender()
        while True:
            purpose = f"card-post:{key}" + ("" if replaced is None else f":after:{replaced}")
            posted = await sender.post(chat_id, shown.html, buttons=shown.buttons, purpose=purpose)
            if posted.fresh:
                return posted.message_id
            outcome = await sender.edit(chat_id, posted.message_id, shown.html, shown.buttons)
            if outcome is not EditOutcome.GONE:
                log.info("telegram.card_found", issue=key, message_id=posted.message_id)
                return posted.message_id
            replaced = posted.message_id  # deleted meanwhile: a new card, for a new purpose

    async def _note(self, key: str, chat_id: int, message_id: int) -> None:
        """Record the new card on its issue too (it survives the state database)."""
        if self._ledger is not None:
            await self._ledger.note(key, chat_id, message_id)

    def _chat(self, customer: str) -> int:
        chat_id = self._chat_of.get(customer)
        if chat_id is None:
            raise TelegramPermanent(f"customer {customer!r} has no Telegram chat configured")
        return chat_id

    def _need_sender(self) -> Sender:
        if self._sender is None:
            # not connected yet (Telegram was down when the daemon started): try again later
            raise TelegramTransient("Telegram is not connected yet")
        return self._sender

    def _situation(self) -> Situation:
        views = tuple(self._views.values())
        now = self._clock.now()
        return Situation(
            views, now, self._cal, self._policy, self._settings.cards, self._finished_customer
        )

    def _finished_customer(self, key: str) -> str | None:
        """A finished request is no longer in ``views``; the store still knows it (and whose)."""
        record = self._cards.tracked(key)
        return record.customer if record is not None and record.finished is not None else None

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if isinstance(error, TelegramError) and update is None:
            log.warning("telegram.polling_error", error=repr(error))  # PTB retries polling
            return
        log.error("telegram.handler_failed", error=repr(error), update=repr(update)[:500])


def _recorded_in_tracker(
    key: str, chat_id: int, view: IssueView, now: datetime
) -> CardRecord | None:
    """The card the issue's tags name, when the store has none (a lost or restored database):
    it is edited in place rather than posted again. Its fingerprint is unknown, so the edit
    always goes out (and shows the card as it is now)."""
    message_id = card_in_tags(view.tags, chat_id)
    if message_id is None:
        return None
    log.info("telegram.card_from_tracker", issue=key, chat_id=chat_id, message_id=message_id)
    return CardRecord(key, chat_id, message_id, "", now)


def _polling_failed(error: TelegramError) -> None:
    """A failed getUpdates; PTB polls again after its own backoff."""
    log.warning("telegram.polling_error", error=repr(error))
