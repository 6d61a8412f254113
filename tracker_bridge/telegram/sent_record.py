"""Telegram alerts and digests recorded in the mailbox's Sent folder: a lost or restored state
database posts none of them again (issue 13.2).

The Bot API takes no idempotency key and a bot cannot read its chats, so a database restored
from an hour-old backup would post every alert and digest of that hour a second time. Each one
therefore gets a deterministic Message-ID derived from its action key (as every notification
email has), and once Telegram took it a short record — what was posted, for which request or
customer — is filed in the Sent folder (:mod:`tracker_bridge.mail.sent_folder`; support sees it
beside the emails). Before posting, that folder is asked for the Message-ID: found, the action
is settled as done. Cards are kept on their issue's tags instead
(:mod:`tracker_bridge.telegram.card_ledger`): they are edited in place, not posted once.

What stays: a crash between Telegram taking the message and the record being filed (a few
milliseconds) repeats it once — the journal's at-least-once, as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import structlog

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.mail.errors import MailError
from tracker_bridge.mail.outbound import OUR_ID_PREFIX
from tracker_bridge.mail.sent_folder import SentFolder
from tracker_bridge.regulation.actions import TelegramAlert, TelegramCard
from tracker_bridge.regulation.digest import TelegramDigest
from tracker_bridge.service.effects import TelegramPort

__all__ = ["RecordedTelegram", "record_id"]

log = structlog.get_logger(__name__)


def record_id(action_key: str, domain: str) -> str:
    """The Message-ID of the record of the Telegram action ``action_key``: always the same."""
    digest = hashlib.sha256(f"telegram:{action_key}".encode()).hexdigest()[:24]
    return f"<{OUR_ID_PREFIX}tg.{digest}@{domain}>"


class RecordedTelegram:
    """A :class:`~tracker_bridge.service.effects.TelegramPort` that looks for an alert's or a
    digest's
    record before posting it and files one after."""

    def __init__(
        self, port: TelegramPort, sent: SentFolder, clock: Clock, *, from_addr: str, domain: str
    ) -> None:
        self._port, self._sent, self._clock = port, sent, clock
        self._from, self._domain = from_addr, domain

    async def card(self, a: TelegramCard) -> None:
        await self._port.card(a)

    async def alert(self, a: TelegramAlert) -> None:
        subject = f"[{a.issue}] Telegram: {a.kind} ({a.event})"
        await self._once(a.key, subject, lambda: self._port.alert(a))

    async def digest(self, a: TelegramDigest) -> None:
        d = a.digest
        subject = f"Telegram: digest of {d.day.isoformat()} for {d.customer}"
        await self._once(a.key, subject, lambda: self._port.digest(a))

    async def _once(self, key: str, subject: str, post: Callable[[], Awaitable[None]]) -> None:
        message_id = record_id(key, self._domain)
        # not able to look is not "not there": TransientMailError puts the action off
        if await self._sent.find(message_id) is not None:
            log.warning("telegram.already_posted", action=key, message_id=message_id)
            return
        await post()
        record = _record(message_id, subject, key, self._from, self._clock.now())
        try:
            await self._sent.keep(record)
        except (MailError, OSError) as exc:  # posted; only the record for a restore is missing
            log.warning("telegram.record_failed", action=key, error=str(exc))


def _record(message_id: str, subject: str, key: str, from_addr: str, now: datetime) -> EmailMessage:
    record = EmailMessage()
    record["Message-ID"] = message_id
    record["Date"] = format_datetime(now)
    record["From"] = Address(addr_spec=from_addr)
    record["To"] = Address(addr_spec=from_addr)
    record["Subject"] = subject
    record["Auto-Submitted"] = "auto-generated"
    record.set_content(
        f"Posted to Telegram by tracker-bridge ({key}).\n"
        "A record, not an email that was sent: it keeps a restored state database from\n"
        "posting this message again.\n"
    )
    return record
