"""The silence clock through the whole daemon: R19 reminders, auto-close and the reset."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import DOCTOR, World, msk, running_world, text_of

REMINDER = "Напоминание"


def reminders(world: World) -> list[str]:
    return [text_of(m) for m in world.mails_to(DOCTOR) if REMINDER in str(m["Subject"])]


async def _awaiting_testing(world: World) -> None:
    """A request filed on Monday 2 March at 11:00, sent to testing at once."""
    world.mail(subject="Не считается скидка", body="Логин: ivanova")
    await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
    world.tracker.transition("SUP-1", "start_progress", by="ivanov")
    world.tracker.transition("SUP-1", "send_to_testing", by="ivanov", comment="Исправлено")
    # registered, taken into work (R12), awaiting testing
    await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 3)


async def test_r19_reminders_at_3_and_1_working_days_then_auto_close_and_notice(
    tmp_path: Path,
) -> None:
    """R19: silent since 2 March (9 March is a holiday): reminded on 12 March (3 working days
    left) and 16 March (1 left), closed for no response on 17 March with a comment, and told."""
    async with running_world(tmp_path) as world:
        await _awaiting_testing(world)
        await world.jump(msk("2026-03-12 10:30"))
        assert reminders(world) == []
        await world.jump(msk("2026-03-12 11:30"))
        (first,) = reminders(world)
        assert "3 рабочих дня" in first
        assert "17.03.2026 11:0" in first
        await world.jump(msk("2026-03-16 11:30"))
        assert len(reminders(world)) == 2
        assert "1 рабочий день" in reminders(world)[1]
        assert world.tracker.issues["SUP-1"].status == "awaitingTesting"
        await world.jump(msk("2026-03-17 11:30"))
        issue = world.tracker.issues["SUP-1"]
        assert issue.status == "closedNoResponse"
        assert any("10 рабочих дней" in t for t in world.comments("SUP-1"))
        last = world.mails_to(DOCTOR)[-1]
        assert "Заявка закрыта из-за отсутствия ответа" in str(last["Subject"])
        await world.jump(msk("2026-03-20 12:00"))
        # registered, taken into work, testing, 2 reminders, closed
        assert len(world.mails_to(DOCTOR)) == 6


async def test_r19_a_customer_reply_restarts_the_ten_working_days(tmp_path: Path) -> None:
    """R19: an answer before expiry resets the clock: no auto-close on the old date."""
    async with running_world(tmp_path) as world:
        await _awaiting_testing(world)
        testing = world.mails_to(DOCTOR)[2]
        await world.jump(msk("2026-03-11 12:00"))
        world.reply(testing, "Посмотрим на следующей неделе.")
        await world.run_until(lambda: len(world.comments("SUP-1")) >= 2)
        await world.jump(msk("2026-03-17 11:30"))
        assert world.tracker.issues["SUP-1"].status == "awaitingTesting"
        assert reminders(world) == []
        await world.jump(msk("2026-03-25 12:30"))
        assert world.tracker.issues["SUP-1"].status == "closedNoResponse"
