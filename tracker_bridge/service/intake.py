"""Mail intake: one raw email in, its outcome committed, then it may leave the inbox (R1, R2).

Gather → decide → apply: parse the bytes, look up what is known (the duplicate guard, the thread
the mail belongs to, the issue it replies to, the loop guard's counters), let the core's
:func:`~tracker_bridge.regulation.triage.triage` decide, run the actions through the effects,
then record the outcome. Only after that does the caller settle the message out of the inbox, so
a crash anywhere before leaves it to be handled again — and the duplicate guard, Tracker's
``unique`` and the journal make the second time a no-op where the first time got through.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import structlog

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.mail.attachment_cap import cap_attachments
from tracker_bridge.mail.dsn import read_dsn
from tracker_bridge.mail.errors import TransientMailError
from tracker_bridge.mail.glance import glance
from tracker_bridge.mail.loop_guard import (
    LoopCaps,
    domain_key,
    request_cap,
    robot_key,
    should_answer,
)
from tracker_bridge.mail.outbound import OUR_ID_PREFIX, RESPONSE_TEMPLATES
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.mail.parse_pool import ParseBoundExceeded
from tracker_bridge.mail.sent_folder import SentFolder, bare_id
from tracker_bridge.mail.source import IncomingMessage, Outcome
from tracker_bridge.mail.thread_match import subject_keys
from tracker_bridge.observability.metrics import Metrics
from tracker_bridge.regulation.actions import (
    CreateIssue,
    Ignore,
    Notify,
    Quarantine,
    TelegramAlert,
    Transition,
)
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import Customer, InboundMail, IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.regulation.triage import Decision, route, triage
from tracker_bridge.service.effects import BatchResult, Effects, TransientEffectError
from tracker_bridge.service.stall_guard import StallGuard
from tracker_bridge.store.ports import IntakeStore
from tracker_bridge.store.records import (
    MailOutcome,
    ProcessedMessage,
    QuarantineItem,
    TrackedIssue,
)

__all__ = [
    "Considered",
    "Intake",
    "IntakeDecisions",
    "IntakeResult",
    "IssueReader",
    "PreparedMessage",
    "RetryLater",
]

log = structlog.get_logger(__name__)


class IssueReader(Protocol):
    """Reads one issue as the core sees it (the Tracker adapter + the store)."""

    async def view(self, key: str) -> IssueView | None: ...


@dataclass(frozen=True)
class IntakeResult:
    """What became of one message."""

    message_id: str
    outcome: str  # created | commented | refused | quarantined | ignored | duplicate
    settle: Outcome
    issue_key: str | None
    reason: str


@dataclass(frozen=True)
class PreparedMessage:
    """A message parsed once, with the ordering keys it must not share with an earlier message
    still in hand (:mod:`tracker_bridge.service.lanes`)."""

    message: IncomingMessage
    mail: InboundMail
    keys: frozenset[str]
    digest: str = ""  # SHA-256 of the raw bytes: the poison-mail breaker's record
    on_record: bool = False  # the breaker holds a record of it, cleared once it is handled


@dataclass(frozen=True)
class RetryLater:
    """A message whose attempt failed (its parse exceeded its bound) but that has tries left:
    it stays in the inbox for the next round; the breaker has counted the attempt."""

    message: IncomingMessage
    reason: str


_DEFAULT_CAPS = LoopCaps()
# A parse running longer than this is recorded as an attempt in progress (the fuzz benchmark's
# worst parse is well under it on this machine; ordinary mail takes milliseconds).
ATTEMPT_GRACE = 1.0


async def _parse_here(raw: bytes) -> InboundMail:
    return parse_message(raw)


@dataclass(frozen=True)
class Considered:
    """What the intake found out about one mail, and what it decided about it."""

    customer: Customer | None
    issue: IssueView | None
    decision: Decision
    no_answer: str | None = None  # why the loop guard allows no automatic answer, if it does not
    # (Message-ID, issue) of one of our notifications found only in the Sent folder: the daemon's
    # thread map learns it again
    learned: tuple[str, str] | None = None


class IntakeDecisions:
    """Gather → decide for one mail, writing nothing: the daemon's intake and ``tracker-bridge
    replay`` both decide through this one class, so a dry run cannot disagree with the daemon.

    It reads the store (the thread map, the loop guard's counters, bounces, the loop caps), the
    Sent folder for a thread the store forgot, and asks Tracker through ``issues`` for the
    issue the mail replies to; triage (the core) decides, then the safety rules above it (no
    request from automatic mail or past a loop cap; R15's sender check).
    """

    def __init__(
        self,
        *,
        store: IntakeStore,
        clock: Clock,
        calendar: WorkCalendar,
        policy: Policy,
        customers: Sequence[Customer],
        issues: IssueReader,
        own_addresses: frozenset[str],
        sent: SentFolder | None = None,
        loop_caps: LoopCaps = _DEFAULT_CAPS,
        confirmation_authentication: str = "headers",
        metrics: Metrics | None = None,
    ) -> None:
        self._store, self._clock, self._cal, self._policy = store, clock, calendar, policy
        self._customers = tuple(customers)
        self._issues, self._own = issues, own_addresses
        self._sent = sent
        self._caps = loop_caps
        self._confirmations = confirmation_authentication
        self._metrics = metrics  # the loop caps met

    async def decide(self, mail: InboundMail) -> Considered:
        customer = route(mail, self._customers)
        issue, learned = await self._thread(mail, customer)
        ok, why = self._answer_verdict(mail)
        if not ok:
            log.info("mail.no_answer", message_id=mail.message_id, sender=mail.sender, why=why)
        decision = triage(
            mail,
            customer=customer,
            issue=issue,
            now=self._clock.now(),
            cal=self._cal,
            policy=self._policy,
            may_answer=ok,
            own_addresses=self._own,
        )
        decision = self._bounded(mail, customer, decision, (ok, why))
        if issue is not None and customer is not None:
            decision = self._authenticated(mail, issue, customer, decision)
        return Considered(customer, issue, decision, None if ok else why, learned)

    def thread_key(self, mail: InboundMail) -> str | None:
        """The issue the store's thread map says this mail replies to (In-Reply-To first, then
        the References from the newest)."""
        for message_id in (mail.in_reply_to, *reversed(mail.references)):
            key = self._store.issue_for_message(message_id) if message_id else None
            if key:
                return key
        return None

    def _bounded(
        self,
        mail: InboundMail,
        customer: Customer | None,
        decision: Decision,
        verdict: tuple[bool, str],
    ) -> Decision:
        """No request is opened by automatic mail, nor past a loop cap (issue 17): the safety
        rules above triage's per-address ones. A robot without RFC 3834 headers is known by
        its no-reply address or auto-reply subject; a mail loop by its daily counts per robot
        (the address without its +tag) and per domain. Support is alerted when a cap is hit —
        a request cap or an answer cap — once per cap, robot or domain and day."""
        ok, why = verdict
        if any(isinstance(action, CreateIssue) for action in decision.actions):
            if not ok and (why.startswith("automatic") or why == "no-reply sender"):
                reason = f"automatic mail ({why}): opens no request"
                return Decision((Ignore(mail.message_id, reason),), "safety", reason)
            if capped := self._request_capped(mail, customer):
                return capped
        if not ok and why.startswith("daily") and customer is not None:  # an answer cap
            cap, key = (
                ("answers_per_domain", domain_key(mail.sender))
                if why.startswith("daily domain")
                else ("answers_per_sender", robot_key(mail.sender))
            )
            reason = f"{mail.sender}: automatic answers stopped for today, {why}"
            alert = self._loop_alert(mail, customer, cap, key, reason)
            return Decision((*decision.actions, alert), decision.clause, decision.reason)
        return decision

    def _request_capped(self, mail: InboundMail, customer: Customer | None) -> Decision | None:
        """The mail quarantined as a loop, support alerted, past a daily request cap."""
        day = self._day()
        by_sender = self._store.answers(f"created:{robot_key(mail.sender)}", day)
        capped = request_cap(
            mail.sender,
            by_sender=by_sender,
            by_domain=self._store.answers(f"created:{domain_key(mail.sender)}", day),
            caps=self._caps,
        )
        if capped is None or customer is None:
            return None
        cap, key = (
            ("requests_per_sender", robot_key(mail.sender))
            if by_sender >= self._caps.requests_per_sender
            else ("requests_per_domain", domain_key(mail.sender))
        )
        alert = self._loop_alert(mail, customer, cap, key, f"{mail.sender}: {capped}")
        return Decision((Quarantine(mail.message_id, capped), alert), "safety", capped)

    def _loop_alert(
        self, mail: InboundMail, customer: Customer, cap: str, key: str, reason: str
    ) -> TelegramAlert:
        """Support's alert for a loop cap hit: the journal sends it once per cap, key and day
        (its key names all three), through Telegram when it is on."""
        log.error("mail.loop_cap", message_id=mail.message_id, sender=mail.sender, cap=cap,
                  key=key, reason=reason, alert="support")  # fmt: skip
        if self._metrics is not None:
            self._metrics.loop_caps.labels(cap=cap).inc()
        event = f"{cap}:{key}:{self._day().isoformat()}"
        return TelegramAlert("", customer.name, "loop_cap", event, reason)

    def _authenticated(
        self, mail: InboundMail, issue: IssueView, customer: Customer, decision: Decision
    ) -> Decision:
        """R15's sender check (issue 17): a confirmation moves the request only when the mail
        shows it comes from the sender — a reply in the request's thread and, unless the
        setting says the server adds no such header, an Authentication-Results pass for the
        sender's domain. Otherwise the reply stays a comment and support is alerted."""
        confirms = [
            a for a in decision.actions
            if isinstance(a, Transition) and a.to is Status.VERIFIED
        ]  # fmt: skip
        if not confirms:
            return decision
        threaded = any(
            self._store.issue_for_message(m) == issue.key
            for m in filter(None, (mail.in_reply_to, *mail.references))
        )
        why = None
        if not threaded:
            why = "it does not reply in the request's thread"
        elif self._confirmations == "headers" and mail.sender_verified is not True:
            why = (
                "the receiving server's Authentication-Results shows no DKIM/SPF/DMARC pass for "
                f"{mail.sender.rpartition('@')[2] or 'the sender'}"
                if mail.sender_verified is False
                else "the mail carries no Authentication-Results header"
            )
        if why is None:
            return decision
        reason = f"R15: confirmation from {mail.sender} not authenticated ({why}); support told"
        log.warning("mail.confirmation_unauthenticated", message_id=mail.message_id,
                    issue=issue.key, why=why)  # fmt: skip
        kept = [a for a in decision.actions if a not in confirms]
        alert = TelegramAlert(
            issue.key, customer.name, "confirmation_refused", event=mail.message_id
        )
        return Decision((*kept, alert), "R15", reason)

    def _day(self) -> date:
        return self._clock.now().astimezone(self._cal.tz).date()

    def _answer_verdict(self, mail: InboundMail) -> tuple[bool, str]:
        """The loop guard's verdict, counted per address, per robot and per domain."""
        day = self._day()
        by_address = self._store.answers(mail.sender, day)
        by_robot = self._store.answers(robot_key(mail.sender), day)
        return should_answer(
            mail,
            own_addresses=self._own,
            answers_today=max(by_address, by_robot),
            limit=self._policy.auto_answers_per_day,
            bounced=self._store.is_bounced(mail.sender),
            domain_answers_today=self._store.answers(domain_key(mail.sender), day),
            domain_limit=self._caps.answers_per_domain,
        )

    async def _thread(
        self, mail: InboundMail, customer: Customer | None
    ) -> tuple[IssueView | None, tuple[str, str] | None]:
        """The issue this mail replies to: by In-Reply-To/References, then by our notification's
        copy in the Sent folder, then by a key in the subject when the sender belongs to that
        issue's customer. Also what the Sent folder taught, for the thread map."""
        if (key := self.thread_key(mail)) is not None:
            return await self._issues.view(key), None
        answered = [m for m in (mail.in_reply_to, *reversed(mail.references)) if m]
        if learned := await self._thread_from_sent(answered):
            return await self._issues.view(learned[1]), learned
        if customer is None:
            return None, None
        for key in subject_keys(mail.subject):
            if not key.startswith(f"{customer.queue}-"):
                continue
            view = await self._issues.view(key)
            if view is not None and view.customer == customer.name:
                return view, None
        return None, None

    async def _thread_from_sent(self, answered: Sequence[str]) -> tuple[str, str] | None:
        """The issue of one of our notifications the store no longer knows (a lost or restored
        database), read from its copy in the Sent folder: (its Message-ID, the issue)."""
        if self._sent is None:
            return None
        for message_id in answered:
            if not bare_id(message_id).startswith(OUR_ID_PREFIX):
                continue  # not one of ours: no need to ask the server
            try:
                copy = await self._sent.find(message_id)
            except TransientMailError as exc:  # look again later rather than misthread
                raise TransientEffectError(str(exc)) from exc
            if copy is not None and copy.issue_key:
                log.info("mail.thread_from_sent", message_id=message_id, issue=copy.issue_key)
                return copy.message_id, copy.issue_key
        return None


class Intake:
    """Handles inbound messages; the caller settles them afterwards.

    Several messages may be in hand at once when the caller orders them by
    :attr:`PreparedMessage.keys`: their sender (the loop guard's counters, one person's mail in
    order), their own Message-ID (the same mail twice), the Message-IDs they reply to (the
    reply waits for the message it answers to be registered) and the issues they name (two
    messages on one issue land in the order they came).
    """

    def __init__(
        self,
        *,
        store: IntakeStore,
        clock: Clock,
        calendar: WorkCalendar,
        effects: Effects,
        decisions: IntakeDecisions,
        parse: Callable[[bytes], Awaitable[InboundMail]] = _parse_here,
        poison_attempts: int = 2,
        attachments: tuple[int, int] = (20, 50 * 1024 * 1024),  # per mail: files, bytes
        parse_slots: int = 2,
        metrics: Metrics | None = None,
        stall_guard: StallGuard | None = None,
    ) -> None:
        self._store, self._clock, self._cal = store, clock, calendar
        self._effects = effects
        self.decisions = decisions
        self._parse, self._poison_attempts = parse, poison_attempts
        self._attachment_cap = attachments
        self._slots = asyncio.Semaphore(parse_slots)
        self._metrics = metrics
        self._guard = stall_guard
        if stall_guard is not None:
            stall_guard.report = self.stalled
        self._counted: set[str] = set()  # digests whose attempt in hand is on record already

    async def admit(self, message: IncomingMessage) -> PreparedMessage | IntakeResult | RetryLater:
        """The poison-mail breaker around the parse (issue 17).

        The parse is where hostile input acts (CPU, memory), so that is what the breaker
        watches: at most ``parse_slots`` messages are in it at once, and a parse still running
        after :data:`ATTEMPT_GRACE` (longer than any ordinary parse) is put on record in the
        store (it survives the process being killed) until it ends. A record still there at the
        next try is an attempt that never finished — the daemon was killed or hung while
        parsing that very message; a kill during an ordinary, quick parse marks nothing. A
        message with ``poison_attempts`` failed attempts is quarantined without being parsed
        again, with the reason, and the operator alerted (``mail.poison``, and the
        ``quarantined`` outcome metric). A parse that exceeds its bound is a failed attempt too.
        """
        digest = hashlib.sha256(message.raw).hexdigest()
        async with self._slots:
            earlier, failure = self._store.attempt_get(digest)
            if earlier >= self._poison_attempts:
                why = failure or "the daemon stopped while parsing it"
                return self._poisoned(message, digest, earlier, why)
            parsing = asyncio.ensure_future(self._parse(message.raw))
            recorded = False
            try:
                done, _ = await asyncio.wait({parsing}, timeout=ATTEMPT_GRACE)
                if not done:  # longer than any ordinary parse: from now on it is on record
                    self._record(message, digest)
                    recorded = True
                mail = await parsing
            except asyncio.CancelledError:  # a stop, not a failure of this message
                parsing.cancel()
                if recorded:
                    self._store.attempt_end(digest)
                raise
            except ParseBoundExceeded as exceeded:
                if not recorded:
                    self._record(message, digest)
                self._store.attempt_failed(digest, str(exceeded))
                log.warning("mail.attempt_failed", source_id=message.source_id,
                            reason=str(exceeded), attempt=earlier + 1,
                            limit=self._poison_attempts)  # fmt: skip
                if earlier + 1 >= self._poison_attempts:
                    return self._poisoned(message, digest, earlier + 1, str(exceeded))
                return RetryLater(message, str(exceeded))
        # the record (this try's, or an earlier one's) stays until the message is handled:
        # the breaker watches the rest of its handling too (:meth:`handle`)
        with self._marked(digest, message.source_id):
            return self._prepared(message, mail, digest, on_record=recorded or earlier > 0)

    def _marked(self, digest: str, source_id: str) -> contextlib.AbstractContextManager[None]:
        if self._guard is None:
            return contextlib.nullcontext()
        return self._guard.marked(digest, source_id)

    def _record(self, message: IncomingMessage, digest: str) -> None:
        self._store.attempts_begin([(digest, message.source_id)], self._clock.now())
        self._counted.add(digest)

    def stalled(self, digest: str, source_id: str, seconds: float) -> None:
        """The stall guard's report (from its thread, while the loop is stuck on this message):
        the attempt goes on record as failed, so that if the watchdog kills the daemon now the
        next start counts it — and once they are used up, quarantines the message unparsed."""
        if digest not in self._counted:
            self._store.attempts_begin([(digest, source_id)], self._clock.now())
            self._counted.add(digest)
        # The reason names the limit that was passed, not the moment the guard's thread woke
        # (a second later on a busy machine): the same stall reads the same everywhere.
        limit = self._guard.limit if self._guard is not None else seconds
        self._store.attempt_failed(
            digest, f"handling it kept the daemon busy for over {limit:.0f} s"
        )

    def _finished(self, prepared: PreparedMessage) -> None:
        """The message is handled (or kept aside): its breaker record, if any, is cleared."""
        digest = prepared.digest
        if not digest:
            return
        self._counted.discard(digest)
        stalled = self._guard is not None and self._guard.reported(digest)
        if self._guard is not None:
            self._guard.forget(digest)
        if prepared.on_record or stalled:
            self._store.attempt_end(digest)

    def _poisoned(
        self, message: IncomingMessage, digest: str, failures: int, why: str
    ) -> IntakeResult:
        reason = f"poison mail: {failures} failed attempts ({why}); not parsed again"
        result = self._quarantine_unparsed(message, reason)
        self._store.attempt_end(digest)
        self._counted.discard(digest)
        log.error("mail.poison", source_id=message.source_id, message_id=result.message_id,
                  attempts=failures, reason=why, alert="operator")  # fmt: skip
        return result

    def prepare(self, message: IncomingMessage) -> PreparedMessage:
        """Parse ``message`` in-process and name what it depends on (no I/O beyond the store)."""
        return self._prepared(message, parse_message(message.raw), "")

    def _prepared(
        self, message: IncomingMessage, mail: InboundMail, digest: str, *, on_record: bool = False
    ) -> PreparedMessage:
        if message.received_at is not None:
            mail = dataclasses.replace(mail, received_at=message.received_at)
        files, size = self._attachment_cap
        mail = cap_attachments(mail, count=files, total_bytes=size)
        # one robot's +tag addresses share a lane: its loop caps are counted in order
        keys = {f"from:{robot_key(mail.sender)}", f"id:{mail.message_id}"}
        for message_id in filter(None, (mail.in_reply_to, *mail.references)):
            keys.add(f"id:{message_id}")
            if known := self._store.issue_for_message(message_id):
                keys.add(f"issue:{known}")
        keys.update(f"issue:{key}" for key in subject_keys(mail.subject))
        keys.update(f"issue:{key}" for key in mail.issue_keys)  # quoted requests get linked
        return PreparedMessage(message, mail, frozenset(keys), digest, on_record)

    async def flushed(self) -> None:
        """Once the outcomes committed so far are on disk: awaited before a message leaves
        the inbox."""
        await self._store.flushed()

    async def handle(self, message: IncomingMessage | PreparedMessage) -> IntakeResult:
        """Process one message; raises (leaving it in the inbox) only on a transient failure.

        The poison-mail breaker watches this too (issue 17.2): each step the handling runs on
        the event loop is marked for the stall guard, which puts a step that keeps the loop
        busy past its limit on record from its own thread (:meth:`stalled`) — the loop itself
        cannot, being stuck. Once the message is handled its record is cleared."""
        prepared = message if isinstance(message, PreparedMessage) else self.prepare(message)
        if not prepared.digest:  # parsed in-process, outside the breaker
            return await self._handle(prepared)
        if self._guard is None:
            result = await self._handle(prepared)
        else:
            self._guard.forget(prepared.digest)
            source_id = prepared.message.source_id
            result = await self._guard.run(prepared.digest, source_id, self._handle(prepared))
        self._finished(prepared)
        return result

    async def _handle(self, prepared: PreparedMessage) -> IntakeResult:
        message, mail = prepared.message, prepared.mail
        prior = self._store.message_outcome(mail.message_id)
        released = prior is not None and self._released(prior)
        if prior is not None and not released:
            settle: Outcome = "quarantine" if prior.outcome == "quarantined" else "done"
            return IntakeResult(
                mail.message_id, "duplicate", settle, prior.issue_key, "seen before"
            )
        if mail.is_automatic:
            self._note_bounces(message.raw, mail)
        considered = await self.decisions.decide(mail)
        customer, issue, decision = considered.customer, considered.issue, considered.decision
        if considered.learned is not None:  # the thread read back from the Sent folder
            self._store.remember_outgoing(*considered.learned, self._clock.now())
        # a released message's actions run again even where they were settled as failed: the
        # person who released it fixed what failed them (a token, a field, a workflow)
        batch = await self._effects.run(
            decision.actions,
            customer=customer.name if customer else "",
            reopen=released,
            queue_notices=False,
        )
        return self._commit(message, mail, decision, batch, issue=issue, customer=customer)

    def _note_bounces(self, raw: bytes, mail: InboundMail) -> None:
        """A delivery status notification for one of our emails (issue 18 §3): a recipient's
        own permanent failure (no such user, mailbox full, refused by its domain) suppresses
        that address — visibly (``suppressions list``) and reversibly (``suppressions lift``),
        as a refusal at SMTP time does. A report about mail we did not send changes nothing."""
        report = read_dsn(raw)
        if report is None:
            return
        candidates = (report.original_message_id, mail.in_reply_to, *mail.references)
        ours = next(
            (
                bare for bare in (bare_id(c) for c in candidates if c)
                if bare.startswith(OUR_ID_PREFIX) and self._store.issue_for_message(bare)
            ),
            None,
        )  # fmt: skip
        if ours is None:
            log.info("mail.bounce_not_ours", message_id=mail.message_id)
            return
        now = self._clock.now()
        for recipient in report.recipients:
            if not recipient.recipients_fault:
                log.info("notification.bounce_kept", to=recipient.address,
                         status=recipient.status, bounced=ours)  # fmt: skip
                continue
            self._store.mark_bounced(recipient.address, recipient.reason, now)
            log.warning("notification.suppressed", to=recipient.address, error=recipient.reason,
                        bounced=ours, source="dsn")  # fmt: skip

    def quarantine(self, message: IncomingMessage | PreparedMessage, reason: str) -> IntakeResult:
        """Keep aside a message that cannot be handled (a bug, a poison message), with the
        reason, so it never blocks the mail behind it and a person can release it later.
        The message is not parsed again: its parse (if any) is reused, else the headers are
        glanced at (bounded)."""
        if isinstance(message, PreparedMessage):
            mail = message.mail
            held = self._keep_aside(message.message, reason, mail.message_id, mail.sender,
                                    mail.subject)  # fmt: skip
            self._finished(message)
            return held
        return self._quarantine_unparsed(message, reason)

    def _quarantine_unparsed(self, message: IncomingMessage, reason: str) -> IntakeResult:
        seen = glance(message.raw)
        return self._keep_aside(message, reason, seen.message_id, seen.sender, seen.subject)

    def _keep_aside(
        self, message: IncomingMessage, reason: str, message_id: str, sender: str, subject: str
    ) -> IntakeResult:
        now = self._clock.now()
        self._store.commit_mail(
            MailOutcome(
                message_id, "quarantined", now, source_id=message.source_id, reason=reason,
                quarantine=_held(message, message_id, sender, subject, reason=reason, at=now),
            )
        )  # fmt: skip
        # the mail is kept aside for a person: a finding about the mail, not the daemon's error
        log.warning("mail.quarantined", message_id=message_id, reason=reason)
        return IntakeResult(message_id, "quarantined", "quarantine", None, reason)

    def _released(self, prior: ProcessedMessage) -> bool:
        """Was the message quarantined and then released (``tracker-bridge quarantine release``)?
        Then it is handled again instead of being taken for a duplicate."""
        if prior.outcome != "quarantined":
            return False
        items = self._store.quarantine_list(include_released=True)
        latest = max((i for i in items if i.message_id == prior.message_id), key=lambda i: i.id,
                     default=None)  # fmt: skip
        return latest is not None and latest.released

    def _commit(
        self,
        message: IncomingMessage,
        mail: InboundMail,
        decision: Decision,
        batch: BatchResult,
        *,
        issue: IssueView | None,
        customer: Customer | None,
    ) -> IntakeResult:
        """Record the mail's whole outcome as one unit of work (issue 13.3): the processed mark,
        its thread entry, the issue now tracked, the answer counters, a quarantine item and the
        queued notices are all committed together, or — a crash before — none of them, and the
        redelivered mail is handled afresh (the journal and Tracker's ``unique`` make the Tracker
        side a no-op the second time)."""
        now = self._clock.now()
        key = batch.issue_key or (issue.key if issue else None)
        outcome = _outcome(decision, batch)
        tracked = None
        created = next((a for a in decision.actions if isinstance(a, CreateIssue)), None)
        if created and key and customer:
            # watched from before the create was sent, not from now: whatever support did in
            # between (more than a moment if a crash came before this commit) is news to tell
            begun = self._store.journal_get(created.key)
            since = begun.created_at if begun is not None else now
            tracked = TrackedIssue(key, customer.name, created.requester, since)
        # the loop guard's counters: an automatic answer counts for its address, the robot
        # behind it (its +tag addresses as one) and its domain; a new request for the sender's
        # robot and domain (issue 17) — all in the mail's one unit of work
        counted: list[str] = []
        for action in decision.actions:
            if isinstance(action, Notify) and action.template in RESPONSE_TEMPLATES:
                counted.extend(dict.fromkeys((action.to, robot_key(action.to))))
                counted.append(domain_key(action.to))
        if batch.created:  # the loop caps on new requests, per robot and per domain
            counted.append(f"created:{robot_key(mail.sender)}")
            counted.append(f"created:{domain_key(mail.sender)}")
        held = None
        if outcome == "quarantined":
            held = _held(message, mail.message_id, mail.sender, mail.subject,
                         reason=decision.reason, at=now)  # fmt: skip
        self._store.commit_mail(
            MailOutcome(
                mail.message_id, outcome, now, issue_key=key, source_id=message.source_id,
                reason=decision.reason, quarantine=held, tracked=tracked,
                answered=tuple(counted), day=now.astimezone(self._cal.tz).date(),
                notices=tuple(batch.notices),
            )
        )  # fmt: skip
        log.info(
            "mail.handled", message_id=mail.message_id, outcome=outcome, issue=key,
            clause=decision.clause, reason=decision.reason,
        )  # fmt: skip
        if outcome == "quarantined":
            log.warning(
                "mail.quarantined", message_id=mail.message_id, sender=mail.sender,
                clause=decision.clause, reason=decision.reason,
            )  # fmt: skip
        settle: Outcome = "quarantine" if outcome == "quarantined" else "done"
        return IntakeResult(mail.message_id, outcome, settle, key, decision.reason)


def _held(
    message: IncomingMessage, message_id: str, sender: str, subject: str, *, reason: str,
    at: datetime,
) -> QuarantineItem:  # fmt: skip
    """The quarantine item for ``message`` (the store assigns its id)."""
    return QuarantineItem(
        0, message_id, message.source_id, reason, sender, subject, at, message.raw
    )


def _outcome(decision: Decision, batch: BatchResult) -> str:
    kinds = {type(a) for a in decision.actions}
    if Quarantine in kinds:
        return "quarantined"
    if batch.created:
        return "created"
    # support's loop alert is about the sender, not an answer to this mail
    told = {
        a.key for a in decision.actions if isinstance(a, TelegramAlert) and a.kind == "loop_cap"
    }
    done = [key for key in batch.done if key not in told]
    if decision.clause == "R20" and not done and not batch.queued:
        return "ignored"
    if decision.clause == "R20":
        return "refused"
    if decision.clause == "safety":
        return "ignored"
    return "commented"
