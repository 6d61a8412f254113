"""What the regulation does about one request at ``now`` (R4, R5, R8–R10, R12, R15–R19).

:func:`evaluate` is the periodic and on-change pass: from an :class:`IssueView`, ``now``, the
working calendar and the policy it returns the actions still owed and the next moment anything can
change, so the shell only re-evaluates an unchanged issue when that moment comes. Actions whose
idempotency key the view lists as done are never returned again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker_bridge.regulation.actions import (
    Action,
    Notify,
    SetFields,
    TelegramAlert,
    TelegramCard,
    Transition,
)
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import Comment, IssueView, StatusChange
from tracker_bridge.regulation.notifications import status_template
from tracker_bridge.regulation.policy import ClockUnit, Policy, TerminalReply
from tracker_bridge.regulation.sla import (
    ClockKind,
    ClockReading,
    ClockState,
    execution_clock,
    is_enhancement,
    reaction_clock,
    silence_clock,
)
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.regulation.triage import format_time

__all__ = ["Evaluation", "evaluate", "less_than_text"]

# A support comment this close to a status change is that change's message (e.g. the question of
# "info requested"): it travels in the status notification, not in a second email.
_ABSORB = timedelta(minutes=2)
# How soon an auto-close held for the mailbox is looked at again.
_MAIL_RECHECK = timedelta(seconds=30)


@dataclass(frozen=True)
class Evaluation:
    """The actions owed now, and when to look at this issue again if nothing changes."""

    actions: tuple[Action, ...]
    next_check_at: datetime | None
    reaction: ClockReading | None
    execution: ClockReading | None
    silence: ClockReading | None

    @property
    def clocks(self) -> tuple[ClockReading, ...]:
        """The clocks this request has, reaction first."""
        found = (self.reaction, self.execution, self.silence)
        return tuple(r for r in found if r is not None)


def evaluate(
    view: IssueView,
    now: datetime,
    cal: WorkCalendar,
    policy: Policy,
    *,
    mail_taken_until: datetime | None = None,
) -> Evaluation:
    """Every rule, in a stable order, minus what the view says is already done.

    ``mail_taken_until``: every mail that reached the mailbox before this instant has been taken
    in (the daemon's intake watermark). A request is closed for no response only once it covers
    the silence deadline (R19/R20: an answer that came in time wins, however late it is read);
    None (no mailbox in play, as in ``explain``) sets no such gate."""
    reaction = reaction_clock(view, now, cal, policy)
    execution = execution_clock(view, now, cal, policy)
    silence = silence_clock(view, now, cal, policy)
    wakeups: list[datetime] = []
    planned: list[Action] = [
        *status_notifications(view, policy, cal),
        *comment_notifications(view, policy, now, wakeups=wakeups),
        *priority_notifications(view),
        *infrastructure_notice(view, policy),
        *deadline_fields(view, reaction, execution, policy),
        *clock_alerts(view, reaction, now, cal, policy, wakeups=wakeups),
        *clock_alerts(view, execution, now, cal, policy, wakeups=wakeups),
        *silence_actions(
            view, silence, now, cal, policy, wakeups=wakeups, mail_taken_until=mail_taken_until
        ),
        *production_handoff(view),
        *card(view, reaction, execution, policy),
    ]
    actions = tuple(_unique(a for a in planned if a.key not in view.done))
    upcoming = [t for t in wakeups if t > now]
    return Evaluation(actions, min(upcoming, default=None), reaction, execution, silence)


def _unique(actions: Iterable[Action]) -> list[Action]:
    seen: set[str] = set()
    out = []
    for action in actions:
        if action.key not in seen:
            seen.add(action.key)
            out.append(action)
    return out


def _news(view: IssueView, at: datetime) -> bool:
    """Whether an event is news: it happened while the bridge was watching this issue."""
    return view.tracked_since is None or at >= view.tracked_since


def _context(view: IssueView, **extra: str) -> dict[str, str]:
    return {
        "key": view.key,
        "summary": view.summary,
        "to": view.requester,
        "status": view.status.value,
        "status_title": view.status.title_ru,
        **extra,
    }


def _notified(change: StatusChange, policy: Policy) -> bool:
    """Whether the requester hears of this change (R12). «В работе» is told when a person took
    the request into work (``notify_taken_into_work``), never for the bridge's own move after
    the customer's answer: the customer knows they answered."""
    if change.status is Status.IN_PROGRESS and policy.notify_taken_into_work:
        return change.by_person
    return change.status in policy.notify_statuses


def _absorbed(view: IssueView, policy: Policy) -> dict[str, Comment]:
    """Support comments that belong to a notified status change, by the change's timestamp."""
    out: dict[str, Comment] = {}
    for change in view.history[1:]:
        if not _notified(change, policy):
            continue
        for comment in _support_comments(view):
            if abs(comment.at - change.at) <= _ABSORB:
                out[change.at.isoformat()] = comment
    return out


def _support_comments(view: IssueView) -> list[Comment]:
    return [c for c in view.comments if not c.by_customer and not c.internal]


def status_notifications(view: IssueView, policy: Policy, cal: WorkCalendar) -> list[Action]:
    """R12: one email per status change the requester should hear about (R8: with the question)."""
    if not view.requester:
        return []
    absorbed = _absorbed(view, policy)
    out: list[Action] = []
    for change in view.history[1:]:
        if not _notified(change, policy) or not _news(view, change.at):
            continue
        comment = absorbed.get(change.at.isoformat())
        context = _context(
            view,
            status=change.status.value,
            status_title=change.status.title_ru,
            comment=comment.text if comment else "",
            resolution=view.resolution or "",
        )
        event = f"status:{change.status.value}:{change.at.isoformat()}"
        out.append(Notify(status_template(change.status), view.requester, view.key, event, context))
    return out


def comment_notifications(
    view: IssueView,
    policy: Policy,
    now: datetime | None = None,
    *,
    wakeups: list[datetime] | None = None,
) -> list[Action]:
    """R8: support's public comments are mailed to the requester (internal ones never).

    A comment younger than the absorb window waits until it is older (at ``now``): Tracker
    writes a transition's comment with it, but the shell reads changelog and comments
    separately, so the change may show only on the next read; mailed at once, the comment would
    go out alone and again inside the change's notice.
    """
    if not view.requester:
        return []
    absorbed = {c.id for c in _absorbed(view, policy).values()}
    out: list[Action] = []
    for c in _support_comments(view):
        if c.id in absorbed or not _news(view, c.at):
            continue
        if now is not None and now < c.at + _ABSORB:
            if wakeups is not None:
                wakeups.append(c.at + _ABSORB)
            continue
        context = _context(view, comment=c.text, author="")
        out.append(Notify("support_comment", view.requester, view.key, f"comment:{c.id}", context))
    return out


def priority_notifications(view: IssueView) -> list[Action]:
    """R9: a priority corrected by support is notified with the old and the new value."""
    if not view.requester:
        return []
    return [
        Notify(
            "priority_changed",
            view.requester,
            view.key,
            f"priority:{change.at.isoformat()}:{change.new}",
            _context(view, old_priority=change.old or "", new_priority=change.new),
        )
        for change in view.priority_history
        if change.by_support and _news(view, change.at)
    ]


def infrastructure_notice(view: IssueView, policy: Policy) -> list[Action]:
    """R4: a blockage on the customer's side (resolution or tag) is told to the requester."""
    infra = view.resolution in policy.infrastructure_resolutions or bool(
        view.tags & policy.infrastructure_tags
    )
    if not infra or not view.requester:
        return []
    last_support = _support_comments(view)
    comment = last_support[-1].text if last_support else ""
    # R20: a reply to a finished request is refused by default, so the notice must not ask for
    # one then: it says to write a new request naming this one instead
    refused = view.status.is_terminal and (
        policy.reply_to_terminal(view.status) is TerminalReply.REJECT
    )
    context = _context(view, comment=comment, reply="new_request" if refused else "reply")
    return [Notify("infrastructure", view.requester, view.key, "infrastructure", context)]


def deadline_fields(
    view: IssueView,
    reaction: ClockReading | None,
    execution: ClockReading | None,
    policy: Policy,
) -> list[Action]:
    """R10/R17: Tracker shows one field per clock — ``reaction_deadline`` (take into work by)
    and ``deadline`` (execution, also Tracker's own date); R18: enhancements have neither.

    While the issue waits for the customer the execution deadline moves every minute, so it is
    written when the clock runs again, not on every pass. The reaction deadline never moves.
    """
    if execution is None:
        if is_enhancement(view, policy) and view.deadline is not None:
            return [SetFields(view.key, {"deadline": None}, event=_was(view))]
        return []
    out: list[Action] = []
    if reaction is not None and reaction.state is ClockState.RUNNING:
        shown = view.reaction_deadline
        if shown is None or not _same_second(shown, reaction.deadline):
            value = reaction.deadline.isoformat(timespec="seconds")
            event = f"was:{shown.isoformat(timespec='seconds') if shown else '-'}"
            out.append(SetFields(view.key, {"reaction_deadline": value}, event=event))
    if execution.state is not ClockState.RUNNING:
        return out
    if view.deadline is not None and _same_second(view.deadline, execution.deadline):
        return out
    value = execution.deadline.isoformat(timespec="seconds")
    return [*out, SetFields(view.key, {"deadline": value}, event=_was(view))]


def _was(view: IssueView) -> str:
    """The value a deadline write replaces: part of its key, so each change is its own write."""
    return f"was:{view.deadline.isoformat(timespec='seconds') if view.deadline else '-'}"


def _same_second(a: datetime, b: datetime) -> bool:
    return abs(a - b) < timedelta(seconds=1)


def _advance(reading: ClockReading, now: datetime, by: timedelta, cal: WorkCalendar) -> datetime:
    """The instant when ``by`` more of the clock's measure has passed after ``now``."""
    if reading.unit is ClockUnit.CALENDAR_HOURS:
        return now + by
    return cal.add_working_time(now, by)


# The execution clock keeps the event ids of the single clock it grew from ("intake"), so an
# upgrade does not repeat the warnings already sent for running requests.
_ALERT_EVENT = {ClockKind.REACTION: "reaction", ClockKind.EXECUTION: "intake"}


def clock_alerts(
    view: IssueView,
    reading: ClockReading | None,
    now: datetime,
    cal: WorkCalendar,
    policy: Policy,
    *,
    wakeups: list[datetime],
) -> list[Action]:
    """R10/R17: a warning at 75 % of the clock and at the last working hour, an alert at
    breach; each text names its clock («срок взятия в работу» or «срок исполнения»).

    Outside working hours only high-priority breaches go out (unless ``quiet_urgent_breaches``);
    the rest wait for the opening (R6).
    """
    if reading is None or reading.state not in (ClockState.RUNNING, ClockState.BREACHED):
        return []
    if reading.ended_at is not None:
        return []
    prefix = _ALERT_EVENT[reading.kind]
    started = reading.started_at.isoformat()
    due = format_time(reading.deadline, cal)
    name, title = reading.kind.title_ru, reading.kind.deadline_ru
    alerts: list[TelegramAlert] = []
    if reading.state is ClockState.BREACHED:
        text = f"{title} истёк {due}"
        alerts.append(TelegramAlert(view.key, view.customer, "breach", f"{prefix}:{started}", text))
    else:
        total = reading.used + reading.remaining
        share = total * policy.warn_fraction
        if reading.used >= share:
            text = f"Использовано {policy.warn_fraction:.0%}: {name} — {due}"
            event = f"{prefix}-share:{started}"
            alerts.append(TelegramAlert(view.key, view.customer, "warning", event, text))
        else:
            wakeups.append(_advance(reading, now, share - reading.used, cal))
        if reading.remaining <= policy.warn_before:
            text = f"Осталось {less_than_text(policy.warn_before)}: {name} — {due}"
            event = f"{prefix}-last:{started}"
            alerts.append(TelegramAlert(view.key, view.customer, "warning", event, text))
        else:
            wakeups.append(_advance(reading, now, reading.remaining - policy.warn_before, cal))
        wakeups.append(reading.deadline)
    if policy.quiet_outside_hours and not cal.is_working_time(now):
        urgent_breach = reading.state is ClockState.BREACHED and policy.is_high(view.priority)
        if not urgent_breach or policy.quiet_urgent_breaches:
            wakeups.append(cal.next_opening(now))
            return []
    return list(alerts)


def less_than_text(left: timedelta) -> str:
    """The last warning's «меньше …» for the ``warn_before`` setting: «меньше часа» (the
    default), «меньше 2 часов», «меньше 30 минут», «меньше 21 минуты», «меньше 1 ч 30 мин»."""
    minutes = max(1, int(left.total_seconds() // 60))
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"меньше {hours} ч {rest} мин"
    count, one, many = (hours, "часа", "часов") if hours else (rest, "минуты", "минут")
    if count == 1:
        return f"меньше {one}"
    return f"меньше {count} {one if count % 10 == 1 and count % 100 != 11 else many}"


def silence_actions(
    view: IssueView,
    silence: ClockReading | None,
    now: datetime,
    cal: WorkCalendar,
    policy: Policy,
    *,
    wakeups: list[datetime],
    mail_taken_until: datetime | None = None,
) -> list[Action]:
    """R19: reminders before auto-close, then "closed for no response" with a comment — once
    every mail that arrived before the deadline has been taken in (an answer in time wins)."""
    if silence is None:
        return []
    started = silence.started_at.isoformat()
    if silence.state is ClockState.BREACHED:
        if mail_taken_until is not None and mail_taken_until < silence.deadline:
            wakeups.append(now + _MAIL_RECHECK)  # the mailbox is read first, then we decide
            return []
        comment = (
            f"Заявка закрыта автоматически: ответа от заказчика не было "
            f"{policy.silence_days} рабочих дней (регламент, п. R19)."
        )
        return [
            Transition(
                view.key,
                Status.CLOSED_NO_RESPONSE,
                event_id=f"silence:{started}",
                comment=comment,
                resolution=policy.no_response_resolution,
            )
        ]
    wakeups.append(silence.deadline)
    due = [(days, at) for days, at in silence.reminders if at <= now]
    wakeups.extend(at for _, at in silence.reminders if at > now)
    if not due or not view.requester:
        return []
    days, _ = min(due)  # after downtime, only the most urgent reminder still makes sense
    context = _context(view, days_left=str(days), close_at=format_time(silence.deadline, cal))
    event = f"reminder:{days}:{started}"
    return [Notify("autoclose_reminder", view.requester, view.key, event, context)]


def production_handoff(view: IssueView) -> list[Action]:
    """R15: once the customer confirmed, support is told the change may go to production.

    The bridge moves a request to «Проверено, ошибок нет» only on a confirming email; set by
    hand, no mail confirmed it, and no text may say that the customer did."""
    if view.status is not Status.VERIFIED:
        return []
    if view.history[-1].by_person:
        text = (
            "Статус «Проверено, ошибок нет» установлен вручную; письма с подтверждением "
            "заказчика нет. Перенос на основную среду — по решению поддержки."
        )
    else:
        text = "Заказчик подтвердил: ошибок нет. Можно переносить на основную среду."
    event = f"verified:{view.status_since.isoformat()}"
    return [TelegramAlert(view.key, view.customer, "ready_for_production", event, text)]


def card(
    view: IssueView,
    reaction: ClockReading | None,
    execution: ClockReading | None,
    policy: Policy,
) -> list[Action]:
    """R5: urgent requests have one live card; it is refreshed whenever what it shows changes."""
    has_card = any(k.startswith(f"card:{view.key}:") for k in view.done)
    if view.priority not in policy.urgent_priorities and not has_card:
        return []
    shown = (
        view.status.value,
        view.priority,
        view.assignee or "",
        view.summary,
        view.fields.get("department", ""),
        *(r.deadline.isoformat() if r else "" for r in (reaction, execution)),
        *(r.state.value if r else "" for r in (reaction, execution)),
        str(len(view.comments)),
    )
    fingerprint = hashlib.sha256("\x1f".join(shown).encode()).hexdigest()[:16]
    final = view.status.is_terminal
    return [TelegramCard(view.key, view.customer, fingerprint, final=final)]
