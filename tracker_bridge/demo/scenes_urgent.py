"""The urgent request, from mail to production: card, /take, question, testing, confirmation.

Also the urgent request nobody takes, whose warnings and breach come in week two (R10).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

from tracker_bridge.demo.observe import Batch
from tracker_bridge.demo.story import Keys, Stage, body_of, created
from tracker_bridge.demo.timeline import when
from tracker_bridge.demo.world import CHIEF, DOCTOR, SUPPORT_LOGIN, msk
from tracker_bridge.regulation.sla import ClockState
from tracker_bridge.regulation.statuses import Status

__all__ = ["unattended_alerts", "urgent_request"]

COLLEAGUE = "petrov@zdorovie.example"


async def urgent_request(s: Stage, keys: Keys) -> None:
    await _urgent_request(s, keys)
    await _take_from_telegram(s, keys.urgent)
    await _question_and_answer(s, keys.urgent)
    await _testing_and_confirmation(s, keys.urgent)
    await _unattended_request(s, keys)


async def _urgent_request(s: Stage, keys: Keys) -> None:
    s.t.scene("An urgent request with a screenshot")
    await s.at(msk("2026-03-02 11:00"))
    s.mail(
        "a doctor writes, urgently",
        sender=DOCTOR,
        subject="СРОЧНО: не открывается карта пациента - Хирургия",
        body="Карта пациента не открывается, выходит белый экран.\n"
        "Логин: ivanova\nНомер карты: 555\nКнопка: Открыть карту\n",
        screenshot=True,
    )
    batch = await s.until(lambda b: bool(b.emails) and bool(b.posts))
    keys.urgent = key = created(batch) or ""
    with s.w.tracker.lock:
        issue = s.w.tracker.issues.get(key)
        files = [a.name for a in s.w.tracker.attachments.values() if a.issue == key]
        local = dict(issue.local) if issue else {}
        priority = issue.priority if issue else ""
    s.check(
        "R7",
        f"fields login={local.get('login')}, card={local.get('cardNumber')}, files {files}",
        local.get("login") == "ivanova" and "screenshot.png" in files,
    )
    s.check("R9", f"priority from the subject marker «СРОЧНО»: {priority}", priority == "critical")
    s.check(
        "R5",
        "urgent → a live card posted in the Telegram group",
        any(p.how == "posted" and key in p.message.text for p in batch.posts),
    )
    reading = await s.reaction(key)
    written = s.deadline_of(key, "reactionDeadline")
    hours = (written - reading.started_at) / timedelta(hours=1) if reading and written else 0
    s.check(
        "R10",
        f"reaction deadline field {when(written)}: {hours:g} h after the mail arrived",
        hours == 72,
    )
    s.check("R12", f"registration notice for {key}", bool(batch.emails_with(f"[{key}]")))


async def _take_from_telegram(s: Stage, key: str) -> None:
    s.t.scene("Support takes the urgent request from Telegram")
    await s.at(msk("2026-03-02 11:20"))
    s.telegram(f"/take {key}")
    batch = await s.until(
        lambda b: (
            bool(b.changes_of("assignee"))
            and any(p.how == "edited" for p in b.posts)
            and any("взята в работу" in p.message.text for p in b.posts)
        )
    )
    with s.w.tracker.lock:
        issue = s.w.tracker.issues[key]
        assignee = s.w.tracker.users[issue.assignee].login if issue.assignee else None
        status = issue.status
    s.check(
        "R5",
        f"/take → assignee {assignee}, status {status}, card edited in place",
        assignee == SUPPORT_LOGIN
        and status == s.status_key(Status.IN_PROGRESS)
        and any(p.how == "edited" for p in batch.posts),
    )
    reaction, execution = await s.reaction(key), await s.execution(key)
    s.check(
        "R10",
        f"taken into work by a person: the reaction clock is "
        f"{reaction.state.value if reaction else 'absent'}",
        reaction is not None and reaction.state is ClockState.MET,
    )
    s.check(
        "R17",
        f"the execution clock runs on: {execution.state.value if execution else 'absent'}, "
        f"deadline {when(execution.deadline if execution else None)}",
        execution is not None and execution.state is ClockState.RUNNING,
    )


async def _question_and_answer(s: Stage, key: str) -> None:
    s.t.scene("A clarifying question, and the customer's answer")
    await s.at(msk("2026-03-02 12:00"))
    before = s.deadline_of(key)
    s.transition(
        key,
        "request_info",
        "asks a question",
        comment="В каком браузере открываете карту? Пришлите версию.",
    )
    batch = await s.until(lambda b: bool(b.emails_with(key)))
    question = next(iter(batch.emails_with(key)), None)
    text = body_of(question) if question else ""
    s.check("R8", "support's question is emailed to the requester", "браузере" in text)
    reading = await s.execution(key)
    s.check(
        "R14",
        "'info requested' pauses the execution clock",
        reading is not None and reading.state is ClockState.PAUSED,
    )
    await s.at(msk("2026-03-02 15:00"))
    s.mail(
        "the doctor answers the question",
        sender=DOCTOR,
        subject=f"Re: {question['Subject'] if question else key}",
        body="Google Chrome 131.\n\n> В каком браузере открываете карту?",
        in_reply_to=str(question["Message-ID"]) if question else None,
    )
    batch = await s.until(
        lambda b: bool(b.changes_of("status")) and bool(b.changes_of("slaDeadline"))
    )
    with s.w.tracker.lock:
        status = s.w.tracker.issues[key].status
        comments = [c.text for c in s.w.tracker.comments[key]]
    after = s.deadline_of(key)
    moved = _hours_between(before, after)
    answered = any("Chrome 131" in c for c in comments)
    back = status == s.status_key(Status.IN_PROGRESS)
    s.check("R8", f"the answer became a comment; status back to {status}", answered and back)
    s.check(
        "R14",
        f"the clock runs again: deadline {when(before)} → {when(after)}",
        round(moved, 2) == 3,
    )
    s.check(
        "R10",
        f"the 3 h in 'info requested' are added to the execution term ({moved:.2f} h)",
        round(moved, 2) == 3,
    )


def _hours_between(before: datetime | None, after: datetime | None) -> float:
    if not before or not after:
        return -1.0
    return (after - before) / timedelta(hours=1)


async def _testing_and_confirmation(s: Stage, key: str) -> None:
    s.t.scene("Testing: a doctor may not confirm, the chief physician may")
    await s.at(msk("2026-03-02 16:00"))
    s.transition(key, "send_to_testing", "sends to testing", comment="Исправлено, проверьте.")
    batch = await s.until(lambda b: bool(b.emails_with("готовы к проверке")))
    testing = next(iter(batch.emails_with("готовы к проверке")), None)
    await s.at(msk("2026-03-02 16:30"))
    _reply(s, testing, DOCTOR, "Проверено, ошибок нет.", "the doctor (not a confirmer) replies")
    batch = await s.until(lambda b: bool(b.emails) and bool(b.posts))
    with s.w.tracker.lock:
        status = s.w.tracker.issues[key].status
    s.check(
        "R15",
        f"a non-confirmer's «Проверено, ошибок нет» is refused (status {status}); "
        "support told in Telegram, sender told by email",
        status == s.status_key(Status.AWAITING_TESTING)
        and bool(batch.emails_with("не принято"))
        and bool(batch.posts),
    )
    await s.at(msk("2026-03-03 10:30"))
    _reply(s, testing, CHIEF, "Проверено, ошибок нет. Спасибо!", "the chief physician replies")
    batch = await s.until(
        lambda b: (
            bool(b.changes_of("status")) and any("основную" in p.message.text for p in b.posts)
        )
    )
    verified = any(c.value("status") == s.status_key(Status.VERIFIED) for c in batch.changes)
    ready = [p for p in batch.posts if "основную" in p.message.text]
    s.check(
        "R15",
        "the confirmer's reply → «Проверено, ошибок нет»; Telegram: ready for production",
        verified and bool(ready),
    )
    await _to_production(s, key)


def _reply(s: Stage, msg: EmailMessage | None, sender: str, text: str, what: str) -> None:
    s.mail(
        what,
        sender=sender,
        subject=f"Re: {msg['Subject'] if msg else ''}",
        body=text,
        in_reply_to=str(msg["Message-ID"]) if msg else None,
    )


async def _to_production(s: Stage, key: str) -> None:
    await s.at(msk("2026-03-03 11:00"))
    s.transition(key, "transfer_to_production", "moves the change to production")
    batch: Batch = await s.until(lambda b: bool(b.emails_with(key)))
    s.check("R12", "'transferred to production' notified", bool(batch.emails_with(key)))
    s.transition(key, "complete", "completes the request", resolution="fixed")
    batch = await s.until(
        lambda b: bool(b.emails_with(key)) and any(p.how == "edited" for p in b.posts)
    )
    s.check("R12", "'completed' notified", bool(batch.emails_with(key)))
    reading = await s.execution(key)
    s.check(
        "R16",
        "completed: the execution clock has ended, the card shows the final state",
        reading is not None
        and reading.ended_at is not None
        and any(p.how == "edited" for p in batch.posts),
    )


async def _unattended_request(s: Stage, keys: Keys) -> None:
    s.t.scene("Another urgent request, which nobody takes")
    await s.at(msk("2026-03-03 11:30"))
    s.mail(
        "a colleague writes, urgently",
        sender=COLLEAGUE,
        subject="Срочно: не формируются направления на анализы - Терапия",
        body="Кнопка «Сформировать» не реагирует.\nЛогин: petrov\n",
    )
    batch = await s.until(lambda b: bool(b.emails) and bool(b.posts))
    keys.unattended = key = created(batch) or ""
    reading = await s.reaction(key)
    s.t.note(f"reaction deadline {when(reading.deadline if reading else None)}")


async def unattended_alerts(s: Stage, key: str) -> None:
    """R10: a warning at 75 % of the 72 h, another in the last hour, an alert at the breach —
    each naming the reaction clock."""
    s.t.scene(f"Nobody took {key}: warnings, then the breach")
    reading = await s.reaction(key)
    if reading is None:
        s.check("R10", f"{key} has a reaction clock", False)
        return
    total = reading.deadline - reading.started_at
    moments = (
        (
            reading.started_at + total * 0.75,
            "54 of the 72 h used",
            "Использовано 75%: срок взятия в работу",
            "75 %",
        ),
        (
            reading.deadline - timedelta(hours=1),
            "one hour left",
            "Осталось меньше часа: срок взятия в работу",
            "the last hour",
        ),
        (reading.deadline, "72 h passed", "Срок взятия в работу истёк", "the breach"),
    )
    for moment, event, text, what in moments:
        await s.at(moment, event)
        batch = await s.until(_alert(text))
        shown = any(text in p.message.text and p.message.reply_to for p in batch.posts)
        s.check("R10", f"Telegram alert at {what} ({when(moment)}), a reply to the card", shown)


def _alert(text: str) -> Callable[[Batch], bool]:
    return lambda batch: any(text in p.message.text for p in batch.posts)
