"""The two deadline clocks through the whole daemon: R10 (reaction), R14, R16, R17 (execution),
R18; where they start (the mail's arrival) and how Tracker shows them (one field per clock)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from tests.e2e.harness import DOCTOR, MSK, World, msk, running_world, text_of


def sla_deadline(world: World, key: str = "SUP-1") -> datetime | None:
    """The precise execution deadline the bridge wrote into the issue's slaDeadline field."""
    value = world.tracker.issues[key].local.get("slaDeadline")
    return datetime.fromisoformat(str(value)) if value else None


def reaction_deadline(world: World, key: str = "SUP-1") -> datetime | None:
    """The reaction deadline (take into work by) in the issue's reactionDeadline field."""
    value = world.tracker.issues[key].local.get("reactionDeadline")
    return datetime.fromisoformat(str(value)) if value else None


def near(value: datetime | None, expected: datetime, seconds: float = 120.0) -> bool:
    """Whether ``value`` is within ``seconds`` of ``expected`` (the daemon's loops take a few
    simulated seconds between the email's arrival and the issue's creation)."""
    return value is not None and abs((value - expected).total_seconds()) <= seconds


def deadline_alerts(world: World) -> list[str]:
    """The deadline warnings and breach alerts in the clinic's chat (not cards, not digests)."""
    return [t for t in world.chat_texts() if t.startswith(("⏰", "🚨"))]


async def _registered(world: World, subject: str, body: str = "Логин: ivanova") -> None:
    world.mail(subject=subject, body=body)
    await world.run_until(lambda: bool(world.mails_to(DOCTOR)) and sla_deadline(world) is not None)


async def test_r10_a_high_priority_request_has_a_72_hour_deadline_and_a_breach_alert(
    tmp_path: Path,
) -> None:
    """R10: an urgent request's reaction deadline field is arrival + 72 h; when it passes with
    nobody taking the request into work, the breach — naming the reaction clock — is alerted in
    the clinic's Telegram group (even at night, being high priority)."""
    async with running_world(tmp_path, telegram=True) as world:
        await _registered(world, "СРОЧНО не открывается расписание")
        assert world.tracker.issues["SUP-1"].priority == "critical"
        assert near(reaction_deadline(world), msk("2026-03-05 11:00"))
        assert near(sla_deadline(world), msk("2026-03-23 11:00"))
        ack = text_of(world.mails_to(DOCTOR)[0])
        assert "Срок взятия в работу по регламенту: 05.03.2026 11:0" in ack
        assert "Срок исполнения по регламенту: 23.03.2026 11:0" in ack
        await world.jump(msk("2026-03-05 10:30"))
        assert not any("Срок истёк" in t for t in deadline_alerts(world))
        await world.jump(msk("2026-03-05 23:10"))
        breaches = [t for t in deadline_alerts(world) if "Срок истёк" in t]
        assert len(breaches) == 1
        assert "SUP-1" in breaches[0]
        assert "Срок взятия в работу истёк 05.03.2026 11:00" in breaches[0]
        await world.jump(msk("2026-03-06 12:00"))
        assert len([t for t in deadline_alerts(world) if "Срок истёк" in t]) == 1


async def test_r14_time_in_info_requested_moves_the_deadline_field(tmp_path: Path) -> None:
    """R14/R10: a day spent waiting for the customer's answer is added to the execution
    deadline, and the slaDeadline field shows the new deadline once work resumes; the reaction
    deadline (met by the question) stays as it was."""
    async with running_world(tmp_path) as world:
        await _registered(world, "СРОЧНО не работает касса")
        first = sla_deadline(world)
        reaction = reaction_deadline(world)
        assert near(first, msk("2026-03-23 11:00"))
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Какая касса?")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2)
        question = world.mails_to(DOCTOR)[1]
        await world.jump(msk("2026-03-03 11:00"))
        world.reply(question, "Касса №2 в регистратуре.")
        await world.run_until(
            lambda: (
                world.tracker.issues["SUP-1"].status == "inProgress"
                and sla_deadline(world) != first
            )
        )
        # paused from the question (02.03 ~11:00) to the answer (03.03 ~11:00): one more
        # working day
        assert near(sla_deadline(world), msk("2026-03-24 11:00"), seconds=600)
        assert reaction_deadline(world) == reaction


async def test_r16_a_closed_request_gets_no_reminders_and_no_alerts(tmp_path: Path) -> None:
    """R16: once support closes a request that waited for the customer, its clocks end: no
    reminders, no auto-close, no deadline alerts however long it stays closed."""
    async with running_world(tmp_path, telegram=True) as world:
        await _registered(world, "СРОЧНО не печатается")
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Какой принтер?")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2)
        world.tracker.transition("SUP-1", "close", by="ivanov", resolution="fixed")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 3)
        assert "закрыта" in str(world.mails_to(DOCTOR)[2]["Subject"])
        for day in ("2026-03-06 12:00", "2026-03-13 12:00", "2026-03-20 12:00"):
            await world.jump(msk(day))
        assert len(world.mails_to(DOCTOR)) == 3
        assert world.tracker.issues["SUP-1"].status == "closed"
        assert deadline_alerts(world) == []


async def test_r17_a_normal_request_is_due_in_14_working_days(tmp_path: Path) -> None:
    """R17: a normal-priority request's deadline is 14 working days later (9 March 2026 is a
    public holiday, weekends skipped) at the same time of day."""
    async with running_world(tmp_path) as world:
        await _registered(world, "Не строится отчёт")
        assert world.tracker.issues["SUP-1"].priority == "normal"
        assert near(sla_deadline(world), msk("2026-03-23 11:00"))
        assert "23.03.2026 11:00" in text_of(world.mails_to(DOCTOR)[0])


async def test_r18_an_enhancement_has_no_deadline_and_no_alerts(tmp_path: Path) -> None:
    """R18: when support marks a request as an enhancement, its deadline field is cleared and
    no warning or breach ever follows."""
    async with running_world(tmp_path, telegram=True) as world:
        await _registered(world, "Добавить кнопку выгрузки в Excel")
        assert sla_deadline(world) is not None
        world.tracker.update_issue("SUP-1", by="ivanov", type="improvement")
        await world.run_until(lambda: sla_deadline(world) is None)
        await world.jump(msk("2026-03-24 12:00"))
        await world.jump(msk("2026-04-10 12:00"))
        assert sla_deadline(world) is None
        assert deadline_alerts(world) == []
        assert world.tracker.issues["SUP-1"].status == "open"


async def test_r10_warnings_at_75_percent_and_in_the_last_hour_each_once(tmp_path: Path) -> None:
    """R10: before the breach support is warned twice in Telegram — at 75 % of the 72 h used
    (Wednesday 17:00) and with less than an hour left (Thursday 10:00) — each once."""
    async with running_world(tmp_path, telegram=True) as world:
        await _registered(world, "СРОЧНО не формируется счёт")
        await world.jump(msk("2026-03-04 16:55"))
        assert deadline_alerts(world) == []
        await world.jump(msk("2026-03-04 17:05"))
        (share,) = deadline_alerts(world)
        assert "75%: срок взятия в работу" in share
        await world.jump(msk("2026-03-05 10:05"))
        assert len(deadline_alerts(world)) == 2
        assert "меньше часа: срок взятия в работу" in deadline_alerts(world)[1]
        await world.settle(300.0, 15.0)
        assert len(deadline_alerts(world)) == 2


async def test_r10_taken_into_work_an_hour_later_is_never_overdue(tmp_path: Path) -> None:
    """R10: an urgent request a person takes into work one hour after it came meets its
    reaction clock: at 72 h no «Срок взятия в работу истёк» in Telegram and nothing overdue in
    the digest; its execution clock runs on."""
    async with running_world(tmp_path, telegram=True) as world:
        await _registered(world, "СРОЧНО не печатаются направления")
        await world.jump(msk("2026-03-02 12:00"))
        world.tracker.transition("SUP-1", "start_progress", by="ivanov")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2)
        assert "в работу" in text_of(world.mails_to(DOCTOR)[1]).lower()  # R12: told (default)
        await world.jump(msk("2026-03-05 12:00"))
        await world.jump(msk("2026-03-06 10:30"))
        assert deadline_alerts(world) == []
        digests = [t for t in world.chat_texts() if t.startswith("📋")]
        assert digests and not any("Просрочено" in t or "истёк" in t for t in digests)
        assert near(sla_deadline(world), msk("2026-03-23 11:00"))


async def test_r10_the_bridges_own_move_to_work_does_not_meet_the_reaction_clock(
    tmp_path: Path,
) -> None:
    """R10: the bridge's own moves (here: to «В работе» after the customer's answer) never
    count as taking the request into work — only a person's do."""
    async with running_world(tmp_path, telegram=True) as world:
        await _registered(world, "СРОЧНО не сохраняется протокол")
        # a move made with the bridge's own robot account, not by a person
        world.tracker.transition("SUP-1", "request_info", by="robot-tracker-bridge")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2)
        question = world.mails_to(DOCTOR)[1]
        world.reply(question, "Протокол осмотра терапевта.")
        await world.run_until(lambda: world.tracker.issues["SUP-1"].status == "inProgress")
        await world.jump(msk("2026-03-05 11:30"))
        breaches = [t for t in deadline_alerts(world) if "Срок взятия в работу истёк" in t]
        assert len(breaches) == 1


async def test_r10_clocks_start_when_the_mail_arrived_not_when_it_was_read(
    tmp_path: Path,
) -> None:
    """R10 "с момента появления": mail that waited two hours in the mailbox (the daemon was
    down) gets its deadlines — in Tracker and in the acknowledgement — counted from its arrival."""
    async with running_world(tmp_path) as world:
        await world.stop_daemon()
        world.mail(subject="СРОЧНО не открывается карта", body="Логин: ivanova")
        arrived = world.clock.now()
        world.clock.advance(2 * 3600)
        await world.restart()
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        assert near(reaction_deadline(world), arrived + timedelta(hours=72), seconds=5)
        local = (arrived + timedelta(hours=72)).astimezone(MSK).strftime("%d.%m.%Y %H:%M")
        assert f"Срок взятия в работу по регламенту: {local}" in text_of(world.mails_to(DOCTOR)[0])
        received = world.tracker.issues["SUP-1"].local.get("mailReceivedAt")
        assert received is not None and near(datetime.fromisoformat(str(received)), arrived, 1)


async def test_r10_r17_tracker_shows_each_deadline_as_a_date_and_time(tmp_path: Path) -> None:
    """12.5/R10/R17: the deadline fields are `datetime` fields written in Tracker's format
    (``YYYY-MM-DDThh:mm:ss.sss+0000``), and Tracker's own deadline is the Moscow date."""
    async with running_world(tmp_path) as world:
        await _registered(world, "СРОЧНО не открывается карта")
        issue = world.tracker.issues["SUP-1"]
        for name in ("slaDeadline", "reactionDeadline", "mailReceivedAt"):
            assert re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", str(issue.local[name])
            )
        assert issue.deadline == "2026-03-23"
