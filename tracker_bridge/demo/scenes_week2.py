"""Week two: infrastructure, an enhancement, mail that must not become requests, a silent
customer reminded and auto-closed, replies to a finished request, and the exactly-once tally."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage

from tracker_bridge.demo.observe import Batch
from tracker_bridge.demo.scenes_urgent import unattended_alerts
from tracker_bridge.demo.story import Keys, Stage, body_of, created
from tracker_bridge.demo.timeline import SAFETY, when
from tracker_bridge.demo.world import DOCTOR, MSK, msk
from tracker_bridge.regulation.statuses import Status

__all__ = ["week_two"]

STRANGER = "stranger@mail.example"


async def week_two(s: Stage, keys: Keys) -> None:
    await _infrastructure(s)
    await _enhancement(s)
    await _automatic_and_strangers(s)
    await unattended_alerts(s, keys.unattended)
    await _silence(s, keys.saturday)
    await _after_the_end(s, keys.saturday)
    await _tally(s)


async def _new_request(s: Stage, subject: str, body: str) -> tuple[str, Batch]:
    s.mail("a doctor writes", sender=DOCTOR, subject=subject, body=body)
    batch = await s.until(lambda b: bool(b.emails) and bool(b.outcomes))
    return created(batch) or "", batch


async def _infrastructure(s: Stage) -> None:
    s.t.scene("A blockage on the clinic's side: the infrastructure notice")
    await s.at(msk("2026-03-04 11:00"))
    key, _ = await _new_request(s, "Не загружается МИС - Терапия", "Белый экран.\nЛогин: ivanova\n")
    await s.at(msk("2026-03-04 11:40"))
    s.transition(
        key,
        "close",
        "closes it: resolution «Проблема инфраструктуры»",
        resolution="infrastructure",
        comment="Сервер клиники не отвечает из нашей сети: проверьте его питание и "
        "подключение к интернету.",
    )
    batch = await s.until(lambda b: bool(b.emails_with("сервер или сеть")))
    notice = batch.emails_with("сервер или сеть")
    s.check(
        "R4",
        "an infrastructure resolution sends the requester the notice, with the comment",
        bool(notice) and "питание" in body_of(notice[0]),
    )


async def _enhancement(s: Stage) -> None:
    s.t.scene("An enhancement: outside the regulation, no clock")
    await s.at(msk("2026-03-04 12:00"))
    key, _ = await _new_request(
        s, "Добавить выгрузку списка пациентов в Excel - Терапия", "Логин: ivanova\n"
    )
    before = s.deadline_of(key)
    await s.at(msk("2026-03-04 12:30"))
    s.update(key, "reclassifies it: type «Улучшение»", type="improvement")
    await s.until(lambda b: bool(b.changes_of("slaDeadline")))
    reading = await s.execution(key)
    after = s.deadline_of(key)
    s.check(
        "R18",
        f"type improvement → deadline {when(before)} removed, no execution clock",
        before is not None and after is None and reading is None,
    )


async def _automatic_and_strangers(s: Stage) -> None:
    s.t.scene("Mail that must not become a request")
    await s.at(msk("2026-03-04 13:00"))
    s.mail(
        "an out-of-office auto-reply",
        sender=DOCTOR,
        subject="Автоответ: Re: [SUP-1] Изменения готовы к проверке",
        body="Я в отпуске до 10.03. По срочным вопросам звоните в регистратуру.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    batch = await s.until(lambda b: bool(b.outcomes))
    outcome = batch.outcomes[0].record.outcome if batch.outcomes else ""
    s.check(
        SAFETY,
        "out-of-office reply ignored: no request, no comment, no answer",
        outcome == "ignored" and not batch.emails and not batch.changes,
    )
    s.mail(
        "someone outside the clinic writes",
        sender=STRANGER,
        subject="Помогите с МИС",
        body="Не могу войти.",
    )
    batch = await s.until(lambda b: bool(b.outcomes))
    held = [q for q in s.w.bridge.store.quarantine_list() if q.sender == STRANGER]
    folder = list((s.w.maildir / ".Quarantine" / "cur").glob("*"))
    s.check(
        SAFETY,
        f"unknown sender quarantined ({len(held)} in `quarantine list`, "
        f"{len(folder)} in the .Quarantine folder), not answered",
        bool(held) and bool(folder) and not batch.emails and not batch.changes,
    )
    s.mail(
        "a doctor writes to an address no clinic has",
        sender=DOCTOR,
        to="nobody@support.example",
        subject="Вопрос",
        body="Логин: ivanova",
    )
    batch = await s.until(lambda b: bool(b.outcomes))
    outcome = batch.outcomes[0].record.outcome if batch.outcomes else ""
    s.check(
        "R2",
        "mail to an address no customer has is quarantined, not filed",
        outcome == "quarantined" and not batch.changes,
    )


async def _silence(s: Stage, key: str) -> None:
    s.t.scene(f"The customer stays silent about {key} (awaiting testing since Monday)")
    reading = await s.silence(key)
    if reading is None:
        s.check("R19", "a silence clock runs while awaiting testing", False)
        return
    for days, at in sorted(reading.reminders, key=lambda r: r[1]):
        if days == max(d for d, _ in reading.reminders):
            await _digest_lists_the_breach(s, at)
        await s.at(at, f"{days} working day(s) before the auto-close")
        batch = await s.until(lambda b: bool(b.emails_with("Напоминание")))
        text = body_of(batch.emails_with("Напоминание")[0]) if batch.emails else ""
        s.check(
            "R19", f"reminder {days} working day(s) before auto-close", f" {days} рабоч" in text
        )
    await s.at(reading.deadline, "10 working days of silence have passed")
    closed = s.status_key(Status.CLOSED_NO_RESPONSE)
    batch = await s.until(
        lambda b: any(c.value("status") == closed for c in b.changes) and bool(b.emails)
    )
    moved = any(c.value("status") == closed and c.by != "ivanov" for c in batch.changes)
    s.check(
        "R19",
        f"auto-closed by the bridge at {when(reading.deadline)}: «Закрыто из-за "
        "отсутствия ответа», comment and email",
        moved and bool(batch.emails),
    )
    after = await s.silence(key)
    s.check("R16", "closed: no silence clock, no more reminders", after is None)


async def _digest_lists_the_breach(s: Stage, day: datetime) -> None:
    """R21: the first digest after SUP-3's breach lists it under «Просрочены»."""
    hours = s.w.bridge.calendar.opening_hours(day.astimezone(MSK).date())
    news = await s.at(hours[0]) if hours else None
    digests = [p for p in news.posts if "Сводка" in p.message.text] if news else []
    s.check(
        "R21",
        "the morning digest lists the breached request",
        bool(digests) and "Просрочены: 1" in digests[0].message.text,
    )


async def _after_the_end(s: Stage, key: str) -> None:
    s.t.scene(f"After the end: a reply to {key}, then a new request quoting it")
    await s.at(msk("2026-03-17 12:00"))
    last = _last_mail_about(s, key)
    with s.w.tracker.lock:
        comments = len(s.w.tracker.comments[key])
    s.mail(
        "the doctor replies to the closing email",
        sender=DOCTOR,
        subject=f"Re: {last['Subject'] if last else key}",
        body="А можно ещё крупнее шрифт?",
        in_reply_to=str(last["Message-ID"]) if last else None,
    )
    batch = await s.until(lambda b: bool(b.outcomes) and bool(b.emails))
    with s.w.tracker.lock:
        unchanged = len(s.w.tracker.comments[key]) == comments
    refused = batch.emails_with("не добавлено")
    s.check(
        "R20",
        f"the reply is not added to {key}; the sender is told to file anew",
        unchanged and bool(refused) and key in body_of(refused[0]),
    )
    await s.at(msk("2026-03-17 12:30"))
    new, batch = await _new_request(
        s,
        "Крупнее шрифт в рецепте - Терапия",
        f"Продолжение заявки {key}: шрифт в рецепте слишком мелкий.\nЛогин: ivanova\n",
    )
    with s.w.tracker.lock:
        linked = [ln for ln in s.w.tracker.links.values() if {ln.source, ln.target} == {new, key}]
    ack = batch.emails_with(f"[{new}]")
    told = bool(ack) and f"связана с ранее оформленной заявкой {key}" in body_of(ack[0])
    s.check(
        "R20",
        f"a new request quoting {key} becomes {new}, linked «relates» to it; the "
        "acknowledgement says so",
        told and bool(new) and bool(linked),
    )


def _last_mail_about(s: Stage, key: str) -> EmailMessage | None:
    mails = [m for m in s.w.smtp.messages if f"[{key}]" in str(m["Subject"])]
    return mails[-1] if mails else None


async def _tally(s: Stage) -> None:
    s.t.scene("Exactly once: every issue evaluated again, then the tally")
    store = s.w.bridge.store
    # every issue of the story, finished ones too (the store lists only the open ones)
    tracked = sorted(s.w.tracker.issues)
    before = len(s.w.smtp.messages)
    await s.w.bridge.rules.many(tracked)
    await s.w.settle(120)
    s.t.show(s.obs.poll())
    messages = s.w.smtp.messages
    ids = {str(m["Message-ID"]) for m in messages}
    queued = len(s.w.bridge.outbox.backlog())
    journal = sum(1 for k in tracked for d in store.done_keys(k) if d.startswith("notify:"))
    s.t.note(f"{len(tracked)} issues re-evaluated: {len(messages) - before} new emails")
    s.t.note(
        f"SMTP captured {len(messages)} emails, {len(ids)} distinct Message-IDs; "
        f"journal: {journal} notifications done, {queued} queued"
    )
    s.check(
        "R22",
        f"{len(messages)} notifications, each sent once (journal {journal} = SMTP "
        f"{len(messages)} = distinct ids {len(ids)}); nothing re-sent on re-evaluation",
        len(messages) == before and journal == len(messages) == len(ids),
    )
    _every_email_to_its_requester(s, messages)
    _one_issue_per_request(s)


def _every_email_to_its_requester(s: Stage, messages: list[EmailMessage]) -> None:
    """R12: each notification went to the address its request came from."""
    with s.w.tracker.lock:
        requester = {k: i.local.get("requesterEmail") for k, i in s.w.tracker.issues.items()}
    wrong = [
        m
        for m in messages
        if (key := _key_in(str(m["Subject"]))) is None or requester.get(key) != str(m["To"])
    ]
    s.check(
        "R12",
        f"all {len(messages)} emails went to the requester of their issue ({len(wrong)} astray)",
        bool(messages) and not wrong,
    )


def _key_in(subject: str) -> str | None:
    match = re.search(r"\[([A-Z]+-\d+)\]", subject)
    return match.group(1) if match else None


def _one_issue_per_request(s: Stage) -> None:
    """R1: every accepted new request is exactly one issue; nothing else made one."""
    made = [o.record.issue_key for o in s.obs.outcomes if o.record.outcome == "created"]
    with s.w.tracker.lock:
        issues = sorted(s.w.tracker.issues)
    s.check(
        "R1",
        f"{len(made)} new requests by email → {len(issues)} issues, one each ({', '.join(issues)})",
        sorted(k for k in made if k) == issues and len(set(made)) == len(made),
    )
