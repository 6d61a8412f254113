"""The outbox: every queued notification is sent, once, however long SMTP is away (R12, R22).

:mod:`tracker_bridge.service.effects` queues each :class:`~tracker_bridge.regulation.actions.Notify`
as a
pending journal entry. :meth:`Outbox.drain` sends what is due: rendered from its template, with a
deterministic Message-ID (a resend after a crash is the same message to the recipient's client),
recorded in the thread map so the requester's reply threads back. A transient failure leaves the
entry pending, resent on the one backoff (:data:`RESEND`) for up to :data:`QUEUE_LIFETIME` (five
days, as an MTA would). The SMTP server's own refusals — a refused login (535), relay denied
(554 5.7.1), policy, TLS trouble — are an outage to wait out, never a verdict on the recipient:
the entry stays pending with no lifetime, the outage is reported
(:mod:`tracker_bridge.observability.outages`),
and the password is read again before every login. Only a recipient's own refusal (unknown user,
mailbox full: :class:`~tracker_bridge.mail.errors.RecipientRefused`) settles the entry and
suppresses the address — visibly, until ``tracker-bridge suppressions lift`` lifts it.
A requester hears about one request in order, the «registered» acknowledgement first. Each drain
sends per (issue, recipient) in the order queued, a «registered» notice ahead of the rest, and a
notice waits while an earlier one to the same person about the same issue has not gone out
(backing off, or the SMTP server refusing). And a notice about an issue the intake created waits
until that mail's own handling is committed — the acknowledgement is queued in the same unit:
under fault recovery (the create went through, the commit did not yet) the sync may already see
the new issue and queue support's question. That wait is bounded by :data:`ACK_FIRST`.

With a Sent folder (:mod:`tracker_bridge.mail.sent_folder`) each sent email is also filed there,
and before sending the outbox looks for its Message-ID: an email the journal forgot (the state
database lost, or restored from an older backup) is found and settled instead of sent again.

The crash window. Between the SMTP server's acceptance (its reply to the final ``.``) and the
journal's record of it, a kill leaves an email that went out but is still pending. Where the
*server* files every accepted message in the Sent folder itself (``mail.sent_copies_by =
"server"``: Gmail, Yandex 360, Exchange Online do), the record exists from the moment of
acceptance, so the next attempt — this daemon restarted, or a standby taking over — finds it and
sends nothing: the window is closed. Where the bridge files the copy (the default), the record
follows the acceptance by the journal's commit, which therefore comes first (before the copy is
appended): a kill in those milliseconds repeats the email once, as the very same message (same
Message-ID and bytes), which mail clients and Sieve ``duplicate`` fold.

Fencing. :attr:`Outbox.fence` is awaited before each attempt and :attr:`Outbox.gate` (blocking,
in the SMTP thread) runs once more between the message body and the final ``.``: a leader paused
mid-conversation that wakes after its lease ran out is refused there, and its half-sent email is
never committed (the new leader sends it).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

import structlog

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.foundation.failures import Failure, classify
from tracker_bridge.foundation.retry import RetryPolicy, backoff
from tracker_bridge.mail.errors import MailError, RecipientRefused, TransientMailError
from tracker_bridge.mail.outbound import build_notification
from tracker_bridge.mail.render import TemplateRenderer
from tracker_bridge.mail.sent_folder import SentFolder
from tracker_bridge.observability.metrics import Metrics
from tracker_bridge.observability.outages import Outages
from tracker_bridge.regulation.actions import Notify
from tracker_bridge.service.effects import notify_from_payload
from tracker_bridge.store.ports import OutboxStore
from tracker_bridge.store.records import JournalEntry

__all__ = ["MailSender", "Outbox", "OutboxIdentity"]

log = structlog.get_logger(__name__)

# Resends follow the one backoff formula: 2, 4, 8, … seconds up to a minute (no jitter: the
# wait is measured from the journal's last attempt, which already spreads the entries out).
RESEND = RetryPolicy(initial_wait=2.0, max_wait=60.0, jitter=0.0)
# How long a transient failure is retried: an MTA's queue lifetime (Postfix's default), so an SMTP
# relay down over a night or a weekend delays notifications but never drops them (R22).
QUEUE_LIFETIME = timedelta(days=5)
# How long a notice about a new request waits for the intake to commit the mail that made it
# (and so queue the «registered» acknowledgement): the intake retries on its own few-second
# backoff, so this is only reached when the mail left the intake's hands (deleted by a person).
ACK_FIRST = timedelta(hours=1)
ACK_TEMPLATE = "registered"


class MailSender(Protocol):
    async def send(
        self, message: EmailMessage, *, gate: Callable[[], None] | None = None
    ) -> object: ...


@dataclass(frozen=True)
class OutboxIdentity:
    """Who our notifications come from."""

    from_addr: str
    from_name: str
    domain: str
    reply_to: str | None = None


class Outbox:
    """Sends the journal's queued notifications."""

    def __init__(
        self,
        store: OutboxStore,
        clock: Clock,
        renderer: TemplateRenderer,
        sender: MailSender,
        identity: OutboxIdentity,
        *,
        lifetime: timedelta = QUEUE_LIFETIME,
        metrics: Metrics | None = None,
        sent: SentFolder | None = None,
        outages: Outages | None = None,
        fence: Callable[[], Awaitable[None]] | None = None,
        gate: Callable[[], None] | None = None,
        server_files_sent: bool = False,
    ) -> None:
        self._store, self._clock = store, clock
        self._metrics = metrics
        self._renderer, self._sender, self._identity = renderer, sender, identity
        self._lifetime = lifetime
        self.outages = outages  # told every send's outcome (the daemon's record)
        self._sent = sent
        # the SMTP server files what it accepts in ``sent`` itself: looked at, never appended to
        self._server_files_sent = server_files_sent
        # awaited before each email: raises once this daemon may no longer act (leadership)
        self.fence = fence
        # the same check, blocking, right before the final "." of each SMTP transaction
        self.gate = gate
        # entries of the current pass settled without a send (failed, or found already sent)
        self._settled_unsent = 0

    def backlog(self) -> list[JournalEntry]:
        """Queued notifications, oldest first."""
        return [e for e in self._store.journal_pending() if e.kind == "notify"]

    async def drain(self, pause: Callable[[], bool] | None = None) -> int:
        """Send every queued notification whose backoff has passed, in order per (issue,
        recipient) with the acknowledgement first; the number sent. ``pause()``, asked before
        each email, ends the pass early (the rest waits for the next)."""
        sent = 0
        backlog = self.backlog()
        self._settled_unsent = 0
        held: set[tuple[str, str]] = set()  # lanes whose earlier notice did not go out
        for entry, notify, issue_key in _acknowledgements_first(backlog):
            if pause is not None and pause():
                break
            lane = (issue_key or entry.key, notify.to)
            if lane in held or self._waiting(entry) or self._before_ack(entry, notify, issue_key):
                held.add(lane)
                continue
            went = await self._attempt(entry)
            sent += went
            after = self._store.journal_get(entry.key)
            if not went and after is not None and after.state == "pending":
                held.add(lane)
        if self._metrics is not None:  # what is still queued after this pass
            self._metrics.outbox_pending.set(len(backlog) - sent - self._settled_unsent)
        return sent

    def _before_ack(self, entry: JournalEntry, notify: Notify, issue_key: str | None) -> bool:
        """Must this notice wait for the acknowledgement of the mail that created its issue
        (that mail's handling not committed yet, so its «registered» notice not queued)?"""
        if notify.template == ACK_TEMPLATE or not issue_key or issue_key.startswith("new:"):
            return False
        if self._clock.now() - entry.created_at >= ACK_FIRST:
            return False
        for key in self._store.done_keys(issue_key):
            if not key.startswith("create:"):
                continue
            created = self._store.journal_get(key)
            source = _source_message_id(created.payload) if created is not None else None
            if source and self._store.message_outcome(source) is None:
                log.debug("notification.after_ack", key=entry.key, issue=issue_key)
                return True
        return False

    def _waiting(self, entry: JournalEntry) -> bool:
        if entry.attempts <= 1:
            return False
        delay = timedelta(seconds=backoff(RESEND, entry.attempts - 1))
        return self._clock.now() < entry.updated_at + delay

    async def _attempt(self, entry: JournalEntry) -> int:
        if self.fence is not None:
            await self.fence()
        notify, issue_key = notify_from_payload(entry.payload)
        now = self._clock.now()
        if self._store.is_bounced(notify.to):
            self._settle_failed(entry, f"{notify.to} bounces permanently", now)
            return 0
        # dated when it was queued, not when this attempt runs: a repeat after a crash in the
        # window between SMTP's acceptance and the journal is then the very same bytes
        message = self._build(notify, issue_key, entry.created_at)
        # the thread entry bare, as the intake reads In-Reply-To/References
        # (mail.envelope.message_ids); one transaction with the attempt's journal entry
        bare = str(message["Message-ID"]).strip().strip("<>")
        self._store.notice_begin(
            entry.key, entry.kind, issue_key, entry.payload, now, outgoing=bare
        )
        await self._store.flushed()  # the journal's entry on disk before the email goes
        try:
            if await self._already_sent(entry, message):
                return 0
        except TransientMailError as exc:  # the Sent folder unreadable: not an SMTP outage
            return self._retry_later(entry, exc)
        if not await self._send(entry, notify, message, now):
            return 0
        # the journal first: the shorter the time from SMTP's acceptance to this record, the
        # smaller the window in which a kill repeats the email (a lost copy costs less)
        self._store.journal_done(entry.key, str(message["Message-ID"]), self._clock.now())
        await self._keep_copy(entry, message)
        log.info("notification.sent", key=entry.key, template=notify.template, issue=issue_key)
        if self._metrics is not None:
            self._metrics.notifications.labels(outcome="sent").inc()
            self._metrics.mark_contact("smtp", self._clock.now())
        return 1

    def _note(self, error: BaseException | None) -> None:
        if self.outages is not None:
            self.outages.note("smtp", error, self._clock.now())

    async def _send(
        self, entry: JournalEntry, notify: Notify, message: EmailMessage, now: datetime
    ) -> bool:
        """Hand ``message`` to SMTP; ``False`` when it did not go out (retried or settled)."""
        try:
            await self._sender.send(message, gate=self._gate_for(entry))
        except TransientMailError as exc:
            self._note(exc)
            self._retry_later(entry, exc)
            return False
        except RecipientRefused as exc:
            self._note(None)  # the server answered: only this address is refused
            self._store.mark_bounced(notify.to, str(exc), now)
            log.warning("notification.suppressed", key=entry.key, to=notify.to, error=str(exc))
            self._settle_failed(entry, str(exc), now)
            return False
        except MailError as exc:
            if classify(exc) is not Failure.PERMANENT:  # the server's refusal: wait for a fix
                self._note(exc)
                log.warning("notification.retry", key=entry.key, error=str(exc), kind="operator")
                return False
            self._settle_failed(entry, str(exc), now)
            return False
        self._note(None)
        return True

    def _gate_for(self, entry: JournalEntry) -> Callable[[], None] | None:
        """:attr:`gate`, logging a refusal (it runs in the SMTP thread, before the final ".")."""
        gate = self.gate
        if gate is None:
            return None

        def checked() -> None:
            try:
                gate()
            except Exception as exc:
                log.warning("notification.fenced", key=entry.key, error=str(exc))
                raise

        return checked

    async def _already_sent(self, entry: JournalEntry, message: EmailMessage) -> bool:
        """Is a copy with this Message-ID in the Sent folder (sent before the journal forgot)?
        Then it is settled as sent, not sent again. A Sent folder that cannot be read is a
        transient failure: better late than twice."""
        if self._sent is None:
            return False
        message_id = str(message["Message-ID"])
        if await self._sent.find(message_id) is None:
            return False
        self._store.journal_done(entry.key, message_id, self._clock.now())
        self._settled_unsent += 1
        log.warning("notification.already_sent", key=entry.key, message_id=message_id)
        return True

    async def _keep_copy(self, entry: JournalEntry, message: EmailMessage) -> None:
        """File the sent email in the Sent folder; a failure costs only the record (logged)."""
        if self._sent is None or self._server_files_sent:
            return
        try:
            await self._sent.keep(message)
        except (MailError, OSError) as exc:
            log.warning("notification.sent_copy_failed", key=entry.key, error=str(exc))

    def _build(self, notify: Notify, issue_key: str | None, now: datetime) -> EmailMessage:
        extra = {"key": issue_key} if issue_key else {}
        rendered = self._renderer.render(notify, extra=extra)
        ident = self._identity
        return build_notification(
            notify,
            rendered,
            from_addr=ident.from_addr,
            from_name=ident.from_name,
            domain=ident.domain,
            now=now,
            reply_to=ident.reply_to,
        )

    def _retry_later(self, entry: JournalEntry, exc: MailError) -> int:
        attempts, now = entry.attempts + 1, self._clock.now()
        log.warning("notification.retry", key=entry.key, attempts=attempts, error=str(exc))
        if self._metrics is not None:
            self._metrics.retries.labels(system="smtp").inc()
        if now - entry.created_at >= self._lifetime:
            why = f"gave up after {attempts} attempts over {now - entry.created_at}: {exc}"
            self._settle_failed(entry, why, now)
        return 0

    def _settle_failed(self, entry: JournalEntry, why: str, now: datetime) -> None:
        self._settled_unsent += 1
        self._store.journal_begin(entry.key, entry.kind, entry.issue_key, entry.payload, now)
        self._store.journal_failed(entry.key, why, True, now)
        log.error("notification.failed", key=entry.key, error=why)
        if self._metrics is not None:
            self._metrics.notifications.labels(outcome="failed").inc()


def _acknowledgements_first(
    backlog: list[JournalEntry],
) -> list[tuple[JournalEntry, Notify, str | None]]:
    """The backlog in queue order, each «registered» notice moved ahead of the others (a stable
    sort: the order among the rest stays as queued)."""
    read = [(entry, *notify_from_payload(entry.payload)) for entry in backlog]
    return sorted(read, key=lambda item: item[1].template != ACK_TEMPLATE)


def _source_message_id(payload: str) -> str | None:
    """The Message-ID of the mail a create was made from, as its journal entry records it."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    value = data.get("source_message_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None
