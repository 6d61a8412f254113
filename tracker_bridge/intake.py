"""Mail intake: one raw email in, its outcome committed, then it may leave the inbox (R1, R2).

Gather → decide → apply: parse the bytes, look up what is known (the duplicate guard, the thread
the mail belongs to, the issue it replies to, the loop guard's counters), let the core's
:func:`~tracker_bridge.regulation.triage.triage` decide, run the actions through the effects,
then record the outcome. Only after that does the caller settle the message out of the inbox, so
a crash anywhere before leaves it to be handled again — and the duplicate guard, Tracker's
``unique`` and the journal make the second time a no-op where the first time got through.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from tracker_bridge.clock import Clock
from tracker_bridge.effects import BatchResult, Effects, TransientEffectError
from tracker_bridge.mail.errors import TransientMailError
from tracker_bridge.mail.loop_guard import should_answer
from tracker_bridge.mail.outbound import OUR_ID_PREFIX, RESPONSE_TEMPLATES
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.mail.sent_folder import SentFolder, bare_id
from tracker_bridge.mail.source import IncomingMessage, Outcome
from tracker_bridge.mail.thread_match import subject_keys
from tracker_bridge.regulation.actions import CreateIssue, Notify, Quarantine
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import Customer, InboundMail, IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.triage import Decision, route, triage
from tracker_bridge.store.protocol import Store
from tracker_bridge.store.records import (
    MailOutcome,
    ProcessedMessage,
    QuarantineItem,
    TrackedIssue,
)

__all__ = ["Intake", "IntakeResult", "IssueReader", "PreparedMessage"]

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
    still in hand (:mod:`tracker_bridge.lanes`)."""

    message: IncomingMessage
    mail: InboundMail
    keys: frozenset[str]


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
        store: Store,
        clock: Clock,
        calendar: WorkCalendar,
        policy: Policy,
        customers: Sequence[Customer],
        effects: Effects,
        issues: IssueReader,
        own_addresses: frozenset[str],
        sent: SentFolder | None = None,
    ) -> None:
        self._store, self._clock, self._cal, self._policy = store, clock, calendar, policy
        self._customers = tuple(customers)
        self._effects, self._issues, self._own = effects, issues, own_addresses
        self._sent = sent

    def prepare(self, message: IncomingMessage) -> PreparedMessage:
        """Parse ``message`` and name what it depends on (no I/O beyond the store)."""
        mail = parse_message(message.raw)
        if message.received_at is not None:
            mail = dataclasses.replace(mail, received_at=message.received_at)
        keys = {f"from:{mail.sender.lower()}", f"id:{mail.message_id}"}
        for message_id in filter(None, (mail.in_reply_to, *mail.references)):
            keys.add(f"id:{message_id}")
            if known := self._store.issue_for_message(message_id):
                keys.add(f"issue:{known}")
        keys.update(f"issue:{key}" for key in subject_keys(mail.subject))
        keys.update(f"issue:{key}" for key in mail.issue_keys)  # quoted requests get linked
        return PreparedMessage(message, mail, frozenset(keys))

    async def handle(self, message: IncomingMessage | PreparedMessage) -> IntakeResult:
        """Process one message; raises (leaving it in the inbox) only on a transient failure."""
        prepared = message if isinstance(message, PreparedMessage) else self.prepare(message)
        message, mail = prepared.message, prepared.mail
        prior = self._store.message_outcome(mail.message_id)
        released = prior is not None and self._released(prior)
        if prior is not None and not released:
            settle: Outcome = "quarantine" if prior.outcome == "quarantined" else "done"
            return IntakeResult(
                mail.message_id, "duplicate", settle, prior.issue_key, "seen before"
            )
        customer = route(mail, self._customers)
        issue = await self._thread(mail, customer)
        decision = triage(
            mail,
            customer=customer,
            issue=issue,
            now=self._clock.now(),
            cal=self._cal,
            policy=self._policy,
            may_answer=self._may_answer(mail),
            own_addresses=self._own,
        )
        # a released message's actions run again even where they were settled as failed: the
        # person who released it fixed what failed them (a token, a field, a workflow)
        batch = await self._effects.run(
            decision.actions,
            customer=customer.name if customer else "",
            reopen=released,
            queue_notices=False,
        )
        return self._commit(message, mail, decision, batch, issue=issue, customer=customer)

    def quarantine(self, message: IncomingMessage, reason: str) -> IntakeResult:
        """Keep aside a message that cannot be handled (a bug, a poison message), with the
        reason, so it never blocks the mail behind it and a person can release it later."""
        mail = parse_message(message.raw)
        now = self._clock.now()
        self._store.commit_mail(
            MailOutcome(
                mail.message_id, "quarantined", now, source_id=message.source_id, reason=reason,
                quarantine=_held(message, mail, reason, now),
            )
        )  # fmt: skip
        # the mail is kept aside for a person: a finding about the mail, not the daemon's error
        log.warning("mail.quarantined", message_id=mail.message_id, reason=reason)
        return IntakeResult(mail.message_id, "quarantined", "quarantine", None, reason)

    def _released(self, prior: ProcessedMessage) -> bool:
        """Was the message quarantined and then released (``tracker-bridge quarantine release``)?
        Then it is handled again instead of being taken for a duplicate."""
        if prior.outcome != "quarantined":
            return False
        items = self._store.quarantine_list(include_released=True)
        latest = max((i for i in items if i.message_id == prior.message_id), key=lambda i: i.id,
                     default=None)  # fmt: skip
        return latest is not None and latest.released

    def _may_answer(self, mail: InboundMail) -> bool:
        day = self._clock.now().astimezone(self._cal.tz).date()
        ok, why = should_answer(
            mail,
            own_addresses=self._own,
            answers_today=self._store.answers(mail.sender, day),
            limit=self._policy.auto_answers_per_day,
            bounced=self._store.is_bounced(mail.sender),
        )
        if not ok:
            log.info("mail.no_answer", message_id=mail.message_id, sender=mail.sender, why=why)
        return ok

    async def _thread(self, mail: InboundMail, customer: Customer | None) -> IssueView | None:
        """The issue this mail replies to: by In-Reply-To/References, then by a key in the
        subject when the sender belongs to that issue's customer."""
        answered = [m for m in (mail.in_reply_to, *reversed(mail.references)) if m]
        for message_id in answered:
            key = self._store.issue_for_message(message_id)
            if key:
                return await self._issues.view(key)
        if key := await self._thread_from_sent(answered):
            return await self._issues.view(key)
        if customer is None:
            return None
        for key in subject_keys(mail.subject):
            if not key.startswith(f"{customer.queue}-"):
                continue
            view = await self._issues.view(key)
            if view is not None and view.customer == customer.name:
                return view
        return None

    async def _thread_from_sent(self, answered: Sequence[str]) -> str | None:
        """The issue of one of our notifications the store no longer knows (a lost or restored
        database), read from its copy in the Sent folder; the thread map learns it again."""
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
                self._store.remember_outgoing(copy.message_id, copy.issue_key, self._clock.now())
                log.info("mail.thread_from_sent", message_id=message_id, issue=copy.issue_key)
                return copy.issue_key
        return None

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
        answered = tuple(
            a.to for a in decision.actions
            if isinstance(a, Notify) and a.template in RESPONSE_TEMPLATES
        )  # fmt: skip
        held = _held(message, mail, decision.reason, now) if outcome == "quarantined" else None
        self._store.commit_mail(
            MailOutcome(
                mail.message_id, outcome, now, issue_key=key, source_id=message.source_id,
                reason=decision.reason, quarantine=held, tracked=tracked, answered=answered,
                day=now.astimezone(self._cal.tz).date(), notices=tuple(batch.notices),
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


def _held(message: IncomingMessage, mail: InboundMail, reason: str, at: datetime) -> QuarantineItem:
    """The quarantine item for ``message`` (the store assigns its id)."""
    return QuarantineItem(
        0, mail.message_id, message.source_id, reason, mail.sender, mail.subject, at, message.raw
    )


def _outcome(decision: Decision, batch: BatchResult) -> str:
    kinds = {type(a) for a in decision.actions}
    if Quarantine in kinds:
        return "quarantined"
    if batch.created:
        return "created"
    if decision.clause == "R20" and not batch.done and not batch.queued:
        return "ignored"
    if decision.clause == "R20":
        return "refused"
    if decision.clause == "safety":
        return "ignored"
    return "commented"
