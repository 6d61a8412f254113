"""Week one: a request on a Saturday, the digest, a priority correction, testing begins.

Each scene does what a clinic or support would do, waits for the records to show the daemon's
answer, and checks it against the clause (R1…R22) that owes it.
"""

from __future__ import annotations

from datetime import timedelta

from tracker_bridge.demo.scenes_urgent import urgent_request
from tracker_bridge.demo.story import Keys, Stage, body_of, created
from tracker_bridge.demo.timeline import when
from tracker_bridge.demo.world import DOCTOR, INTAKE, msk
from tracker_bridge.tracker.check import check_tracker

__all__ = ["week_one"]


async def week_one(s: Stage, keys: Keys) -> None:
    await _setup(s)
    await _saturday_request(s, keys)
    await _monday_digest(s)
    await _priority_and_testing(s, keys.saturday)
    await urgent_request(s, keys)


async def _setup(s: Stage) -> None:
    s.t.scene(
        "Before the first email: is Tracker set up for the regulation? (tracker-bridge check)"
    )
    b = s.w.bridge
    report = await check_tracker(
        b.gateway,
        queues=["SUP"],
        status_map=b.settings.status_map(),
        field_ids=b.settings.tracker.fields.by_logical_name(),
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
    s.mail(
        "a doctor writes to the clinic's support address",
        sender=DOCTOR,
        subject="Не печатается рецепт - Терапия",
        body="При нажатии кнопки «Печать» в рецепте ничего не происходит.\nНомер карты: 1234\n",
    )
    batch = await s.until(lambda b: bool(b.emails) and bool(b.outcomes))
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
        bool(ack) and "Срок исполнения" in text,
    )
    await _check_deadline(s, key, 14)


async def _check_deadline(s: Stage, key: str, days: int) -> None:
    """R17: 14 working days from the next opening (paused time excluded)."""
    deadline = s.deadline_of(key)
    reading = await s.execution(key)
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
    s.check("R17", f"non-urgent: execution deadline {days} working days on", ok)


async def _monday_digest(s: Stage) -> None:
    s.t.scene("Monday 10:00, the opening: the daily digest")
    batch = await s.at(msk("2026-03-02 10:00"))
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
        "a priority corrected by support is mailed with the old and new value "
        "(«Был: Средний», «Стал: Низкий»)",
        "Был: Средний" in text and "Стал: Низкий" in text,
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
