"""The intake clock through the whole daemon: R10, R14, R16, R17, R18."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tests.e2e.harness import DOCTOR, World, msk, running_world, text_of


def sla_deadline(world: World, key: str = "SUP-1") -> datetime | None:
    """The precise deadline the bridge wrote into the issue's slaDeadline field."""
    value = world.tracker.issues[key].local.get("slaDeadline")
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
    """R10: an urgent request's deadline field is creation + 72 h; when it passes untaken, the
    breach is alerted in the clinic's Telegram group (even at night, being high priority)."""
    async with running_world(tmp_path, telegram=True) as world:
        await _registered(world, "СРОЧНО не открывается расписание")
        assert world.tracker.issues["SUP-1"].priority == "critical"
        assert near(sla_deadline(world), msk("2026-03-05 11:00"))
        assert "05.03.2026 11:00" in text_of(world.mails_to(DOCTOR)[0])
        await world.jump(msk("2026-03-05 10:30"))
        assert not any("Срок истёк" in t for t in deadline_alerts(world))
        await world.jump(msk("2026-03-05 23:10"))
        breaches = [t for t in deadline_alerts(world) if "Срок истёк" in t]
        assert len(breaches) == 1
        assert "SUP-1" in breaches[0]
        assert "05.03.2026 11:00" in breaches[0]
        await world.jump(msk("2026-03-06 12:00"))
        assert len([t for t in deadline_alerts(world) if "Срок истёк" in t]) == 1


async def test_r14_time_in_info_requested_moves_the_deadline_field(tmp_path: Path) -> None:
    """R14/R10: a day spent waiting for the customer's answer is added to the deadline, and the
    slaDeadline field shows the new deadline once work resumes."""
    async with running_world(tmp_path) as world:
        await _registered(world, "СРОЧНО не работает касса")
        first = sla_deadline(world)
        assert near(first, msk("2026-03-05 11:00"))
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Какая касса?")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2)
        question = world.mails_to(DOCTOR)[1]
        await world.jump(msk("2026-03-03 11:00"))
        world.mail(
            subject=f"Re: {question['Subject']}",
            body="Касса №2 в регистратуре.",
            in_reply_to=str(question["Message-ID"]),
        )
        await world.run_until(
            lambda: (
                world.tracker.issues["SUP-1"].status == "inProgress"
                and sla_deadline(world) != first
            )
        )
        # paused from the question (02.03 ~11:00) to the answer (03.03 ~11:00): one more day
        assert near(sla_deadline(world), msk("2026-03-06 11:00"), seconds=600)


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
        assert "75%" in share
        await world.jump(msk("2026-03-05 10:05"))
        assert len(deadline_alerts(world)) == 2
        assert "меньше часа" in deadline_alerts(world)[1]
        await world.settle(300.0, 15.0)
        assert len(deadline_alerts(world)) == 2
