"""What an inbound email means (R1, R2, R7, R8, R9, R14, R15, R20 and the safety rules).

:func:`triage` takes one parsed email, the customer its intake address belongs to, the issue it
replies to (if the shell found one by Message-ID threading or a key in the subject) and ``now``,
and returns a :class:`Decision`: the actions to carry out and the clause that decided. It never
looks anything up itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker_bridge.regulation.actions import (
    Action,
    AddComment,
    AlertKind,
    CreateIssue,
    Ignore,
    Link,
    Notify,
    Quarantine,
    SetFields,
    TelegramAlert,
    Transition,
    unique_for,
)
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import Customer, InboundMail, IssueView
from tracker_bridge.regulation.policy import Policy, TerminalReply
from tracker_bridge.regulation.replies import (
    Verdict,
    classify_test_reply,
    classify_waiting_reply,
)
from tracker_bridge.regulation.request import describe_request
from tracker_bridge.regulation.sla import Clocks, read_clocks
from tracker_bridge.regulation.statuses import Status

__all__ = ["Decision", "format_time", "route", "triage"]


@dataclass(frozen=True)
class Decision:
    """The actions for one email, and which clause decided them."""

    actions: tuple[Action, ...]
    clause: str
    reason: str


@dataclass(frozen=True)
class _Context:
    """The values every step of one triage shares."""

    mail: InboundMail
    customer: Customer
    now: datetime
    cal: WorkCalendar
    policy: Policy
    may_answer: bool  # the loop guard's verdict: may this sender get an automatic answer?

    @property
    def arrived(self) -> datetime:
        """When the mail reached the mailbox (point 2 of R10's "появление"); ``now`` if the
        source could not tell, never later than ``now``."""
        received = self.mail.received_at
        return received if received is not None and received <= self.now else self.now


def route(mail: InboundMail, customers: Sequence[Customer]) -> Customer | None:
    """R2: the customer whose intake address the mail was sent to (Delivered-To, To, then Cc)."""
    by_address = {a.lower(): c for c in customers for a in c.intake_addresses}
    for address in mail.recipients:
        customer = by_address.get(address.lower())
        if customer is not None:
            return customer
    return None


def triage(
    mail: InboundMail,
    *,
    customer: Customer | None,
    issue: IssueView | None,
    now: datetime,
    cal: WorkCalendar,
    policy: Policy,
    may_answer: bool = True,
    own_addresses: frozenset[str] = frozenset(),
) -> Decision:
    """Decide what one inbound email does.

    ``may_answer`` is the loop guard's verdict for this sender (daily answer limit, bounces,
    no-reply addresses — counted by the shell): without it nothing is mailed back, but requests
    are still registered and comments still added.
    """
    refusal = _refuse(mail, customer, own_addresses)
    if refusal is not None:
        return refusal
    assert customer is not None  # _refuse returned a decision otherwise
    ctx = _Context(mail, customer, now, cal, policy, may_answer)
    if issue is not None and issue.customer == customer.name:
        return _reply(ctx, issue)
    return _new_request(ctx, old=None)


def _refuse(
    mail: InboundMail, customer: Customer | None, own_addresses: frozenset[str]
) -> Decision | None:
    """The safety rules: automatic mail is never answered, strangers are quarantined."""
    if mail.is_automatic:
        reason = f"automatic mail ({mail.automatic_reason or 'auto-submitted'}): never answered"
        return Decision((Ignore(mail.message_id, reason),), "safety", reason)
    if mail.sender.lower() in own_addresses:
        reason = "our own notification came back: never answered (loop guard)"
        return Decision((Ignore(mail.message_id, reason),), "safety", reason)
    if customer is None:
        to = ", ".join(mail.recipients) or "no recipient"
        reason = f"no customer has the intake address ({to})"
        return Decision((Quarantine(mail.message_id, reason),), "R2", reason)
    if not customer.admits(mail.sender):
        reason = f"{mail.sender or 'an empty sender'} may not file requests for {customer.name}"
        return Decision((Quarantine(mail.message_id, reason),), "safety", reason)
    return None


def _reply(ctx: _Context, issue: IssueView) -> Decision:
    mail = ctx.mail
    if issue.status.is_terminal:
        return _reply_to_terminal(ctx, issue)
    comment = _comment(mail, issue)
    raised = _priority_raise(ctx, issue)
    if issue.status is Status.INFO_REQUESTED:
        decision = _info_reply(ctx, issue, comment)
    elif issue.status is Status.AWAITING_TESTING:
        decision = _test_reply(ctx, issue, comment)
    else:
        decision = Decision((comment,), "R8", "a reply to an open request becomes a comment")
    if not raised:
        return decision
    return Decision((*decision.actions, *raised), decision.clause, decision.reason)


def _info_reply(ctx: _Context, issue: IssueView, comment: AddComment) -> Decision:
    """R8/R19: the answer to a question sends the request back to work and stops its silence
    clock; a reply that only defers («посмотрю завтра») keeps it waiting (and restarts the 10
    working days)."""
    mail = ctx.mail
    if classify_waiting_reply(mail.reply_text or mail.text) is Verdict.DEFERRED:
        reason = "the customer will answer later: the request keeps waiting (R19)"
        return Decision((comment,), "R19", reason)
    back = Transition(issue.key, Status.IN_PROGRESS, event_id=mail.message_id)
    return Decision((comment, back), "R8", "the customer answered: back to work (R8, R14)")


def _priority_raise(ctx: _Context, issue: IssueView) -> list[Action]:
    """R9: a later email that asks for a higher priority raises it — unless support has set the
    priority by hand; then support is alerted instead ("в спорных случаях согласуется
    совместно")."""
    policy, mail = ctx.policy, ctx.mail
    asked = mail.reply_priority_hint  # not the subject: a reply inherits the first one's
    if asked is None or not _higher(asked, issue.priority, policy):
        return []
    if any(change.by_support for change in issue.priority_history):
        text = (
            f"Заказчик просит повысить приоритет до «{asked}», но приоритет «{issue.priority}» "
            "выставлен поддержкой: согласуйте с заказчиком (R9)."
        )
        alert = TelegramAlert(
            issue.key, ctx.customer.name, "priority_dispute", mail.message_id, text
        )
        return [alert]
    return [SetFields(issue.key, {"priority": asked}, event=mail.message_id)]


# Tracker's priority keys from low to high; an unknown key ranks as normal.
_RANK = {"trivial": 0, "minor": 1, "normal": 2, "critical": 3, "blocker": 4}


def _higher(asked: str, current: str, policy: Policy) -> bool:
    """Whether ``asked`` raises ``current`` (the high priorities rank above the rest)."""
    rank = (asked in policy.high_priorities, _RANK.get(asked, 2))
    return rank > (current in policy.high_priorities, _RANK.get(current, 2))


def _comment(mail: InboundMail, issue: IssueView) -> AddComment:
    text = (mail.reply_text or mail.text).strip() or "(пустое письмо)"
    return AddComment(
        issue.key,
        text,
        source_id=mail.message_id,
        on_behalf_of=mail.sender,
        attachments=mail.attachments,
    )


def _test_reply(ctx: _Context, issue: IssueView, comment: AddComment) -> Decision:
    """R15: a reply to "awaiting testing" confirms the whole change, brings corrections,
    defers, or is unclear (:mod:`.replies`, built for precision)."""
    mail, customer, policy = ctx.mail, ctx.customer, ctx.policy
    verdict = classify_test_reply(mail.reply_text or mail.text, policy)
    event = mail.message_id
    if verdict is Verdict.CONFIRMED and customer.may_confirm(mail.sender):
        move = Transition(issue.key, Status.VERIFIED, event_id=event)
        return Decision((comment, move), "R15", "the customer confirmed the change")
    if verdict is Verdict.ERROR:
        move = Transition(issue.key, Status.ERROR_FOUND, event_id=event)
        text = "Заказчик прислал корректировки: заявка возвращена в работу («Найдена ошибка»)."
        alert = TelegramAlert(issue.key, customer.name, "correction", event, text)
        return Decision((comment, move, alert), "R15", "the customer reported corrections")
    if verdict is Verdict.DEFERRED:
        reason = "the customer will test later: the request keeps waiting (R19)"
        return Decision((comment,), "R19", reason)
    kind: AlertKind = "confirmation_refused" if verdict is Verdict.CONFIRMED else "unclear_reply"
    alert = TelegramAlert(issue.key, customer.name, kind, event=event)
    actions: list[Action] = [comment, alert]
    if verdict is Verdict.CONFIRMED:
        if ctx.may_answer:
            actions.append(
                _notice(mail, issue, "confirmation_not_allowed", {"sender": mail.sender})
            )
        reason = f"{mail.sender} may not confirm for {customer.name}; support was told"
    else:
        # R19: the customer answered; support owes the next step, so the request no longer
        # waits for them (no reminder, no close for no response)
        actions.append(Transition(issue.key, Status.IN_PROGRESS, event_id=event))
        reason = "the reply neither confirms nor brings corrections; support was told"
    return Decision(tuple(actions), "R15", reason)


def _reply_to_terminal(ctx: _Context, issue: IssueView) -> Decision:
    """R20: replies to finished requests are not added; per status, rejected, filed anew, or
    reopened."""
    mail = ctx.mail
    if _closed_after_it_arrived(mail, issue):
        return _late_answer(ctx, issue)
    choice = ctx.policy.reply_to_terminal(issue.status)
    if choice is TerminalReply.REOPEN:
        move = Transition(issue.key, Status.REOPENED, event_id=mail.message_id)
        return Decision((_comment(mail, issue), move), "R20", "a reply reopened the request")
    if choice is TerminalReply.NEW_LINKED:
        return _new_request(ctx, old=issue.key)
    if not ctx.may_answer:
        reason = "reply to a finished request ignored; answer limit for this sender reached"
        return Decision((Ignore(mail.message_id, reason),), "R20", reason)
    notice = _notice(mail, issue, "reply_ignored", {"old_key": issue.key})
    reason = f"reply to {issue.key} ({issue.status.title_ru}) ignored; the sender was told why"
    return Decision((notice,), "R20", reason)


def _closed_after_it_arrived(mail: InboundMail, issue: IssueView) -> bool:
    """R19/R20: the request was closed for no response although this answer had already
    reached the mailbox (the bridge was stopped, restarting or busy): a mistaken close."""
    arrived = mail.received_at
    return (
        issue.status is Status.CLOSED_NO_RESPONSE
        and arrived is not None
        and arrived < issue.status_since
    )


_MEANING = {
    Verdict.CONFIRMED: "подтверждение (проверено, ошибок нет)",
    Verdict.ERROR: "корректировки",
    Verdict.DEFERRED: "обещание ответить позже",
    Verdict.UNCLEAR: "ответ",
}


def _late_answer(ctx: _Context, issue: IssueView) -> Decision:
    """An answer that came in time wins over the auto-close: the request is reopened first (an
    answer is never appended to a request closed by mistake), then the answer is added and
    support is told what it says, to take it from there."""
    mail, cal = ctx.mail, ctx.cal
    reopen = Transition(issue.key, Status.REOPENED, event_id=mail.message_id)
    verdict = classify_test_reply(mail.reply_text or mail.text, ctx.policy)
    arrived = format_time(mail.received_at or ctx.now, cal)
    text = (
        f"Письмо заказчика пришло {arrived}, до закрытия из-за отсутствия ответа "
        f"({format_time(issue.status_since, cal)}): заявка открыта повторно. "
        f"В письме: {_MEANING[verdict]}."
    )
    alert = TelegramAlert(issue.key, ctx.customer.name, "late_answer", mail.message_id, text)
    reason = "an answer that reached the mailbox before the auto-close reopened the request"
    return Decision((reopen, _comment(mail, issue), alert), "R19", reason)


def _notice(mail: InboundMail, issue: IssueView, template: str, extra: dict[str, str]) -> Notify:
    return Notify(
        template,
        to=mail.sender,
        issue=issue.key,
        event=f"{template}:{mail.message_id}",
        context={
            "key": issue.key,
            "summary": issue.summary,
            "to": mail.sender,
            "status": issue.status.value,
            "status_title": issue.status.title_ru,
            **extra,
        },
        in_reply_to=mail.message_id,
    )


def _new_request(ctx: _Context, old: str | None) -> Decision:
    """R1/R7/R9: register the request; R20: link the requests it quotes; R12: acknowledge."""
    mail, customer, policy = ctx.mail, ctx.customer, ctx.policy
    request = describe_request(mail, customer, policy)
    unique = unique_for(customer.name, mail.message_id)
    clocks = _initial_clocks(request.priority, request.issue_type, ctx)
    deadline = clocks.execution.deadline if clocks.execution else None
    reaction = clocks.reaction.deadline if clocks.reaction else None
    create = CreateIssue(
        unique=unique,
        customer=customer.name,
        queue=customer.queue,
        summary=request.summary,
        description=request.description,
        requester=mail.sender,
        source_message_id=mail.message_id,
        priority=request.priority,
        issue_type=request.issue_type,
        fields=request.fields,
        component=customer.component,
        tags=(customer.tag,) if customer.tag else (),
        attachments=mail.attachments,
        deadline=deadline,
        reaction_deadline=reaction,
        arrived_at=ctx.arrived,
    )
    linked = [*([old] if old else []), *(k for k in request.quoted_keys if k != old)]
    actions: list[Action] = [create, *(Link(create.ref, key) for key in linked)]
    if ctx.may_answer:
        actions.append(_acknowledgement(ctx, create, linked))
    clause = "R20" if old else "R7"
    reason = f"new request for {customer.name}" + (f", filed anew from {old}" if old else "")
    return Decision(tuple(actions), clause, reason)


def _initial_clocks(priority: str, issue_type: str, ctx: _Context) -> Clocks:
    """The reaction (R10) and execution (R17) clocks of a request whose mail arrived at
    ``ctx.arrived``: after an outage they are counted from the arrival, not from ``now``."""
    probe = IssueView(
        key="NEW",
        customer="",
        requester="",
        created_at=ctx.now,
        arrived_at=ctx.arrived,
        status=Status.OPEN,
        priority=priority,
        issue_type=issue_type,
    )
    return read_clocks(probe, ctx.now, ctx.cal, ctx.policy)


def _acknowledgement(ctx: _Context, create: CreateIssue, linked: list[str]) -> Notify:
    """R12 registration notice: key, both deadlines, out-of-hours receipt (R6), missing login
    (R7)."""
    mail, cal, now = ctx.mail, ctx.cal, ctx.arrived
    deadline, reaction = create.deadline, create.reaction_deadline
    out_of_hours = not cal.is_working_time(now)
    context = {
        "key": "",  # filled in by the executor once Tracker assigned the key
        "summary": create.summary,
        "to": mail.sender,
        "status": Status.OPEN.value,
        "status_title": Status.OPEN.title_ru,
        "deadline": format_time(deadline, cal) if deadline else "",
        "reaction_deadline": format_time(reaction, cal) if reaction else "",
        "priority": create.priority or "",
        "out_of_hours": "yes" if out_of_hours else "",
        "next_opening": format_time(cal.next_opening(now), cal) if out_of_hours else "",
        "missing_login": "" if create.fields.get("login") else "yes",
        "linked": ", ".join(linked),
    }
    return Notify(
        "registered",
        to=mail.sender,
        issue=create.ref,
        event="registered",
        context=context,
        in_reply_to=mail.message_id,
    )


def format_time(t: datetime, cal: WorkCalendar) -> str:
    """A time as the requester reads it: local to the support calendar."""
    return t.astimezone(cal.tz).strftime("%d.%m.%Y %H:%M")
