"""Week one: a request on a Saturday, the digest, an urgent request from mail to production.

Each scene does what a clinic or support would do, waits for the records to show the daemon's
answer, and checks it against the clause (R1…R22) that owes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from tracker_bridge.demo.observe import Batch
from tracker_bridge.demo.story import Stage, body_of, created
from tracker_bridge.demo.timeline import when
from tracker_bridge.demo.world import CHIEF, DOCTOR, INTAKE, SUPPORT_LOGIN, msk
from tracker_bridge.regulation.sla import ClockState
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.tracker.check import check_tracker
from tracker_bridge.wiring import field_ids_of

__all__ = ["Keys", "week_one"]


class Keys:
    """The issue keys the story learns as Tracker assigns them."""

    saturday = ""
    urgent = ""


async def week_one(s: Stage, keys: Keys) -> None:
    await _setup(s)
    await _saturday_request(s, keys)
    await _monday_digest(s)
    await _priority_and_testing(s, keys.saturday)
    await _urgent_request(s, keys)
    await _take_from_telegram(s, keys.urgent)
    await _question_and_answer(s, keys.urgent)
    await _testing_and_confirmation(s, keys.urgent)


async def _setup(s: Stage) -> None:
    s.t.scene(
        "Before the first email: is Tracker set up for the regulation? (tracker-bridge check)"
    )
    b = s.w.bridge
    report = await check_tracker(
        b.gateway,
        queues=["SUP"],
        status_map=b.settings.status_map(),
        field_ids=field_ids_of(b.settings),
    )
    shown = [line for line in report.lines if "regulation statuses" in line.what or not line.ok]
    for line in shown:
        s.t.note(("✓ " if line.ok else "✗ ") + line.what)
    s.t.note(f"… {len(report.lines)} checks: token, queue, transitions, local fields")
    s.check(
        "R13",
        f"`check`: the 14 statuses, transitions and fields exist in SUP "
        f"({len(report.lines)} checks)",
        report.ok,
    )


async def _saturday_request(s: Stage, keys: Keys) -> None:
    s.t.scene("A normal request sent on a Saturday, without the login")
    sent = s.mail(
        "a doctor writes to the clinic's support address",
        sender=DOCTOR,
        subject="Не печатается рецепт - Терапия",
        body="При нажатии кнопки «Печать» в рецепте ничего не происходит.\nНомер карты: 1234\n",
    )
    batch = await s.until(lambda b: bool(b.emails) and bool(b.outcomes))
    del sent
    keys.saturday = key = created(batch) or ""
    ack = batch.emails_with(f"[{key}]")
    text = body_of(ack[0]) if ack else ""
    with s.w.tracker.lock:
        issue = s.w.tracker.issues.get(key)
        queue = issue.queue if issue else ""
        department = issue.local.get("department") if issue else None
    s.check("R1", f"one email → one issue {key}", bool(key) and len(batch.outcomes) == 1)
    s.check("R2", f"routed by the intake address {INTAKE} to queue {queue}", queue == "SUP")
    s.check("R7", f"department «{department}» parsed from the subject", department == "Терапия")
    s.check("R7", "the login is missing: the acknowledgement asks for it", "логин" in text)
    s.check(
        "R6",
        "received out of hours: the acknowledgement says when work starts",
        "нерабочее время" in text and "02.03.2026 10:00" in text,
    )
    s.check(
        "R12",
        f"registration notice with the key {key} and the deadline",
        bool(ack) and "Срок взятия в работу" in text,
    )
    await _check_deadline(s, key, 14)


async def _check_deadline(s: Stage, key: str, days: int) -> None:
    """R17: 14 working days from the next opening (paused time excluded)."""
    deadline = s.deadline_of(key)
    reading = await s.intake(key)
    cal = s.w.bridge.calendar
    ok = False
    if deadline and reading is not None:
        start = cal.next_opening(reading.started_at)
        counted = sum(
            1
            for d in range(1, 40)
            if cal.is_working_day((start + timedelta(days=d)).date())
            and (start + timedelta(days=d)).date() <= deadline.date()
        )
        ok = counted == days
        s.t.note(
            f"deadline field in Tracker: {when(deadline)}, {counted} working days after "
            f"the opening {when(start)}"
        )
    s.check("R17", f"non-urgent: intake deadline {days} working days on", ok)


async def _monday_digest(s: Stage) -> None:
    s.t.scene("Monday 10:00, the opening: the daily digest")
    batch = await s.at(msk("2026-03-02 10:00"), "the working day starts")
    if not any("Сводка" in p.message.text for p in batch.posts):
        batch = await s.until(lambda b: bool(b.posts), limit=300)
    digest = [p for p in batch.posts if "Сводка" in p.message.text]
    s.check(
        "R21", "digest posted in the Telegram group at 10:00 with the open requests", bool(digest)
    )


async def _priority_and_testing(s: Stage, key: str) -> None:
    s.t.scene(f"Support corrects {key}'s priority, fixes it and hands it over for testing")
    await s.at(msk("2026-03-02 10:20"))
    s.update(key, "priority Средний → Низкий", priority="minor")
    batch = await s.until(lambda b: bool(b.emails_with("приоритет")))
    notice = batch.emails_with("приоритет")
    text = body_of(notice[0]) if notice else ""
    s.check(
        "R9",
        "a priority corrected by support is mailed with the old and new value",
        "normal" in text and "minor" in text,
    )
    s.transition(key, "start_progress", "takes it into work")
    s.transition(
        key,
        "send_to_testing",
        "sends to testing",
        comment="Исправили печать рецептов, проверьте на тестовой среде.",
    )
    batch = await s.until(lambda b: bool(b.emails_with("готовы к проверке")))
    mail = batch.emails_with("готовы к проверке")
    text = body_of(mail[0]) if mail else ""
    s.check("R11", "the 'awaiting testing' email says to clear the browser cache", "кэш" in text)
    s.check("R12", "'awaiting testing' notified, with support's comment", "Исправили" in text)
    reading = await s.silence(key)
    s.t.note(
        f"silence clock (R19): auto-close at {when(reading.deadline)}"
        if reading
        else "no silence clock"
    )


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
    reading = await s.intake(key)
    written = s.deadline_of(key)
    hours = (written - reading.started_at) / timedelta(hours=1) if reading and written else 0
    s.check("R10", f"deadline field {when(written)}: {hours:g} h after registration", hours == 72)
    s.check("R12", f"registration notice for {key}", bool(batch.emails_with(f"[{key}]")))


async def _take_from_telegram(s: Stage, key: str) -> None:
    s.t.scene("Support takes the urgent request from Telegram")
    await s.at(msk("2026-03-02 11:20"))
    s.telegram(f"/take {key}")
    batch = await s.until(
        lambda b: bool(b.changes_of("assignee")) and any(p.how == "edited" for p in b.posts)
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
    reading = await s.intake(key)
    s.check(
        "R14",
        "'info requested' pauses the intake clock",
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
        f"the 3 h in 'info requested' are added to the 72 h ({moved:.2f} h)",
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
    await s.at(msk("2026-03-03 11:00"))
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
    await s.at(msk("2026-03-03 12:00"))
    s.transition(key, "transfer_to_production", "moves the change to production")
    batch: Batch = await s.until(lambda b: bool(b.emails_with(key)))
    s.check("R12", "'transferred to production' notified", bool(batch.emails_with(key)))
    s.transition(key, "complete", "completes the request")
    batch = await s.until(
        lambda b: bool(b.emails_with(key)) and any(p.how == "edited" for p in b.posts)
    )
    s.check("R12", "'completed' notified", bool(batch.emails_with(key)))
    reading = await s.intake(key)
    s.check(
        "R16",
        "completed: the intake clock has ended, the card shows the final state",
        reading is not None
        and reading.ended_at is not None
        and any(p.how == "edited" for p in batch.posts),
    )
