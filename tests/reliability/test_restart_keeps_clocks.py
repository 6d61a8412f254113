"""A daemon restart forgets nothing it owes (issue 6 §7: survive crashes and restarts).

In process, on the e2e harness: a second bridge on the same SQLite store stands in for a process
that was killed and started again. Only the store and the remote systems survive; time-based
duties (the R19 silence reminders) and changes not yet acted upon must still be carried out.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import CHIEF, DOCTOR, World, msk, running_world, text_of

REMINDER = "Напоминание"


def _reminders(world: World) -> list[str]:
    return [text_of(m) for m in world.mails_to(DOCTOR) if REMINDER in str(m["Subject"])]


async def test_r19_a_silent_customer_is_still_reminded_after_a_restart(tmp_path: Path) -> None:
    """R19 across a restart: the request went to testing before the daemon restarted and
    nothing changed since; the reminder still comes on 12 March (3 working days left)."""
    async with running_world(tmp_path) as world:
        world.mail(subject="Не считается скидка", body="Логин: ivanova")
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        world.tracker.transition("SUP-1", "start_progress", by="ivanov")
        world.tracker.transition("SUP-1", "send_to_testing", by="ivanov", comment="Исправлено")
        # registered, taken into work (R12), awaiting testing
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 3)
        await world.settle(600.0, 10.0)  # past the sync's overlap window, then a later change
        world.mail(subject="Другая заявка", body="Логин: petrova", sender=CHIEF)
        await world.run_until(lambda: bool(world.mails_to(CHIEF)))
        await world.settle(60.0, 10.0)
        await world.restart()
        await world.jump(msk("2026-03-12 11:30"))
        (first,) = _reminders(world)
        assert "3 рабочих дня" in first


async def test_r19_a_tracker_hiccup_when_reminders_fall_due_drops_none_of_them(
    tmp_path: Path,
) -> None:
    """R19: two requests fall due for their reminder at the same moment and Tracker fails while
    the first is read: neither reminder is dropped, both go out once Tracker answers again."""
    async with running_world(tmp_path) as world:
        for n, sender in enumerate((DOCTOR, CHIEF)):
            world.mail(subject=f"Не считается скидка {n}", body="Логин: ivanova", sender=sender)
        await world.run_until(lambda: len(world.smtp.messages) == 2)
        for key in ("SUP-1", "SUP-2"):
            world.tracker.transition(key, "start_progress", by="ivanov")
            world.tracker.transition(key, "send_to_testing", by="ivanov", comment="Исправлено")
        # two of each: registered, taken into work (R12), awaiting testing
        await world.run_until(lambda: len(world.smtp.messages) == 6)
        world.tracker.fail_next("GET /v2/issues/{key}", status=503, times=3)  # one read's tries
        world.clock.set(msk("2026-03-12 11:30"))
        await world.run_until(
            lambda: sum(REMINDER in str(m["Subject"]) for m in world.smtp.messages) == 2,
            step=10.0,
            limit=600.0,
        )
        assert world.tracker.pending_faults == 0
        reminded = sorted(
            str(m["To"]) for m in world.smtp.messages if REMINDER in str(m["Subject"])
        )
        assert reminded == sorted([DOCTOR, CHIEF])
