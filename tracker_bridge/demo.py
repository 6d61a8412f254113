"""``tracker-bridge demo``: the regulation core walked through two made-up requests.

No Tracker, mail server or Telegram is needed: a tiny in-memory stand-in applies the actions the
core returns, and time moves on a :class:`~tracker_bridge.clock.ManualClock`, so two weeks of the
regulation play in well under a second. Every line names the clause (R1…R22) that decided it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from tracker_bridge.clock import ManualClock
from tracker_bridge.regulation.actions import (
    Action,
    AddComment,
    CreateIssue,
    Notify,
    SetFields,
    TelegramAlert,
    TelegramCard,
    Transition,
)
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import Comment, Customer, InboundMail, IssueView, StatusChange
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.registry import CLAUSES
from tracker_bridge.regulation.rules import evaluate
from tracker_bridge.regulation.sla import explain
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.regulation.triage import route, triage

__all__ = ["run_demo"]

MSK = ZoneInfo("Europe/Moscow")
CLINIC = Customer(
    name="Клиника «Здоровье»",
    intake_addresses=frozenset({"zdorovie@support.example"}),
    queue="SUP",
    allowed_domains=frozenset({"zdorovie.example"}),
    confirmers=frozenset({"glavvrach@zdorovie.example"}),
    departments=("Терапия", "Хирургия"),
)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


class _Story:
    """One request's life: the core decides, this stand-in applies, the timeline prints."""

    def __init__(self, out: TextIO, cal: WorkCalendar, policy: Policy, clock: ManualClock) -> None:
        self.out, self.cal, self.policy, self.clock = out, cal, policy, clock
        self.view: IssueView | None = None
        self.counter = 0

    def say(self, text: str) -> None:
        when = self.clock.now().astimezone(MSK).strftime("%a %d.%m %H:%M")
        self.out.write(f"  [{when}] {text}\n")

    def mail(self, message_id: str, sender: str, subject: str, text: str, **kw: object) -> None:
        mail = InboundMail(
            message_id=message_id,
            sender=sender,
            subject=subject,
            text=text,
            reply_text=text,
            to=("zdorovie@support.example",),
            **kw,  # type: ignore[arg-type]
        )
        self.say(f"email from {sender}: «{subject or text[:40]}»")
        decision = triage(
            mail,
            customer=route(mail, [CLINIC]),
            issue=self.view,
            now=self.clock.now(),
            cal=self.cal,
            policy=self.policy,
        )
        self.say(f"  → {decision.clause}: {decision.reason}")
        self.apply(decision.actions)
        if self.view is not None:
            self.tick()

    def support(self, status: Status, comment: str = "") -> None:
        assert self.view is not None
        self.say(f"support moves {self.view.key} to «{status.title_ru}»")
        now = self.clock.now()
        comments = self.view.comments
        if comment:
            self.counter += 1
            comments = (*comments, Comment(f"c{self.counter}", now, comment, by_customer=False))
        self.view = replace(
            self.view,
            status=status,
            status_history=(*self.view.status_history, StatusChange(now, status)),
            comments=comments,
        )
        self.tick()

    def tick(self) -> None:
        """One rules pass (the daemon runs one every minute and on every change)."""
        assert self.view is not None
        result = evaluate(self.view, self.clock.now(), self.cal, self.policy)
        self.apply(result.actions)

    def apply(self, actions: tuple[Action, ...]) -> None:
        moved = False
        for action in actions:
            self.say("  · " + self.describe(action))
            self.view = self.effect(action)
            if self.view is not None:
                self.view = replace(self.view, done=self.view.done | {action.key})
            moved = moved or isinstance(action, Transition)
        if moved:
            self.tick()  # as the daemon's sync would see the new status

    def effect(self, action: Action) -> IssueView | None:
        view, now = self.view, self.clock.now()
        if isinstance(action, CreateIssue):
            return IssueView(
                key="SUP-1" if view is None else f"SUP-{int(view.key[4:]) + 1}",
                customer=action.customer,
                requester=action.requester,
                created_at=now,
                status=Status.OPEN,
                priority=action.priority or "normal",
                summary=action.summary,
                fields=action.fields,
                deadline=action.deadline,
                status_history=(StatusChange(now, Status.OPEN),),
            )
        if view is None:
            return view
        if isinstance(action, Transition):
            history = (*view.status_history, StatusChange(now, action.to))
            return replace(view, status=action.to, status_history=history)
        if isinstance(action, AddComment):
            self.counter += 1
            note = Comment(f"c{self.counter}", now, action.text, by_customer=True)
            return replace(view, comments=(*view.comments, note), last_customer_reply_at=now)
        if isinstance(action, SetFields) and "deadline" in action.fields:
            value = action.fields["deadline"]
            return replace(view, deadline=datetime.fromisoformat(value) if value else None)
        return view

    def describe(self, action: Action) -> str:  # noqa: PLR0911 - one line per kind of action
        if isinstance(action, CreateIssue):
            return (
                f"R1/R7 create {action.queue} issue «{action.summary}», priority "
                f"{action.priority}, fields {dict(action.fields)}"
            )
        if isinstance(action, Notify):
            return f"R12 email «{action.template}» to {action.to}" + _detail(action)
        if isinstance(action, Transition):
            return f"move to «{action.to.title_ru}»" + (
                " (R19 auto-close)" if action.to is Status.CLOSED_NO_RESPONSE else ""
            )
        if isinstance(action, SetFields):
            return f"R10/R17 deadline field := {action.fields.get('deadline')}"
        if isinstance(action, TelegramCard):
            posted = any(k.startswith(f"card:{action.issue}:") for k in self._done())
            state = "final state" if action.final else "updated" if posted else "posted"
            return f"R5 Telegram card {state}"
        if isinstance(action, TelegramAlert):
            return f"Telegram alert [{action.kind}] {action.text}"
        if isinstance(action, AddComment):
            return f"R8 comment on {action.issue}: «{action.text[:50]}»"
        return f"{type(action).__name__}: {getattr(action, 'reason', '')}"

    def _done(self) -> frozenset[str]:
        return self.view.done if self.view is not None else frozenset()

    def later(self, when: str) -> None:
        self.clock.set(_at(when))
        self.tick()


def _detail(action: Notify) -> str:
    ctx = action.context
    parts = [
        f"{k}={ctx[k]}" for k in ("deadline", "days_left", "close_at", "old_key") if ctx.get(k)
    ]
    if ctx.get("out_of_hours"):
        parts.append(f"received out of hours (R6), work starts {ctx['next_opening']}")
    if ctx.get("missing_login"):
        parts.append("asks for the login (R7)")
    if ctx.get("comment"):
        parts.append(f"with «{ctx['comment'][:40]}»")
    return f" ({'; '.join(parts)})" if parts else ""


def _calendar_walk(out: TextIO, cal: WorkCalendar) -> None:
    out.write(
        "The working calendar (R6): Europe/Moscow, 10:00–18:00, Mon–Fri, RU production calendar\n"
    )
    for year in (2024, 2025, 2026):
        days = sum(
            cal.is_working_day(date(year, 1, 1) + timedelta(d))
            for d in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)
        )
        out.write(f"  {year}: {days} working days\n")
    sat = _at("2026-03-07 11:00")
    out.write(
        f"  Sat 07.03.2026 11:00 → next opening {cal.next_opening(sat):%a %d.%m %H:%M}"
        " (Mon 9 March is a holiday)\n"
    )
    start = _at("2026-03-03 12:00")
    out.write(
        f"  Tue 03.03 12:00 + 14 working days = {cal.add_working_days(start, 14):%a %d.%m %H:%M}\n"
    )
    hours = cal.opening_hours(date(2026, 4, 30))
    if hours:
        out.write(f"  30.04.2026 is shortened (art. 95): {hours[0]:%H:%M}–{hours[1]:%H:%M}\n\n")


def run_demo(out: TextIO) -> int:
    """Print the walk; return the exit code."""
    cal, policy = WorkCalendar.default(), Policy()
    out.write("tracker-bridge demo — the regulation core on made-up requests\n")
    out.write(f"{len(CLAUSES)} clauses; `tracker-bridge regulation` lists code and tests.\n\n")
    _calendar_walk(out, cal)

    clock = ManualClock(_at("2026-03-07 11:00"))
    out.write("Story 1 — a normal request sent on a Saturday\n")
    story = _Story(out, cal, policy, clock)
    story.mail(
        "m1@zdorovie.example",
        "ivanova@zdorovie.example",
        "Не печатается рецепт - Терапия",
        "При нажатии «Печать» ничего не происходит.",
        fields={"card_number": "1234"},
    )
    story.later("2026-03-10 10:30")
    story.support(Status.IN_PROGRESS)
    clock.set(_at("2026-03-10 15:00"))
    story.support(Status.INFO_REQUESTED, "Уточните, пожалуйста, ваш логин в МИС.")
    clock.set(_at("2026-03-11 16:00"))
    story.mail(
        "m2@zdorovie.example",
        "ivanova@zdorovie.example",
        "Re: Не печатается рецепт",
        "Логин: ivanova",
    )
    clock.set(_at("2026-03-12 12:00"))
    story.support(Status.AWAITING_TESTING, "Исправлено на тестовой среде, проверьте.")
    for when in ("2026-03-23 12:00", "2026-03-25 12:00", "2026-03-26 12:00"):
        story.later(when)
    assert story.view is not None
    reading = evaluate(story.view, clock.now(), cal, policy).intake
    if reading is not None:
        out.write(
            f"  intake clock: {reading.state.value}, target {reading.target_text}; "
            "why (tracker-bridge explain):\n"
        )
        for part in explain(reading, cal).intervals:
            if part.kind != "skipped":
                out.write(
                    f"      {part.kind:<8} {part.start:%d.%m %H:%M} → {part.end:%d.%m %H:%M}"
                    f"  {part.status.title_ru if part.status else ''}\n"
                )
    clock.set(_at("2026-03-27 10:00"))
    story.mail(
        "m3@zdorovie.example",
        "ivanova@zdorovie.example",
        "Re: Не печатается рецепт",
        "А можно ещё поправить шрифт?",
    )

    out.write("\nStory 2 — an urgent request (72 calendar hours, R10) confirmed by the customer\n")
    clock.set(_at("2026-04-06 11:00"))
    urgent = _Story(out, cal, policy, clock)
    urgent.mail(
        "u1@zdorovie.example",
        "petrov@zdorovie.example",
        "СРОЧНО: не открывается карта",
        "Логин: petrov. Карта 555 не открывается.",
        fields={"login": "petrov"},
    )
    urgent.later("2026-04-08 17:00")
    urgent.later("2026-04-09 10:30")
    urgent.support(Status.AWAITING_TESTING, "Исправлено, проверьте на тестовой среде.")
    clock.set(_at("2026-04-09 12:00"))
    urgent.mail(
        "u2@zdorovie.example",
        "glavvrach@zdorovie.example",
        "Re: не открывается карта",
        "Проверено, ошибок нет.",
    )
    urgent.tick()
    out.write(
        "\nEvery decision above came from pure functions of the issue's history and the time;\n"
        "the daemon (next issues) carries the same actions out in Tracker, mail and Telegram.\n"
    )
    return 0
