"""Issue 11.8 through the whole daemon: a request's life — registered, a question asked in
Tracker, the requester's answer, another question, closed by R19's silence — with FakeTracker
in every switch position (the defaults, then each unknown behaviour moved to each of its other
candidates). The requester hears the same, once each, in every position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import DOCTOR, World, running_world, text_of
from tracker_bridge.testing.fake_tracker.switches import PROFILES

ASKED = "Нужна дополнительная информация"


def _subjects(world: World) -> list[str]:
    return [str(m["Subject"]) for m in world.mails_to(DOCTOR)]


async def _asked(world: World, times: int) -> None:
    await world.run_until(lambda: sum(ASKED in s for s in _subjects(world)) == times, limit=600.0)


@pytest.mark.parametrize("switches", [p for _, p in PROFILES], ids=[i for i, _ in PROFILES])
async def test_r8_r19_a_request_life_reads_the_same_in_every_switch_position(
    tmp_path: Path, switches: dict[str, Any]
) -> None:
    async with running_world(tmp_path, tracker_switches=switches) as world:
        world.mail(subject="Не открывается карта", body="Карта 555 не открывается.")
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Уточните логин")
        # the status history came through the changelog: the question is asked as such (R8)
        await _asked(world, 1)
        question = next(m for m in world.mails_to(DOCTOR) if ASKED in str(m["Subject"]))
        assert "Уточните логин" in text_of(question)
        world.reply(question, "Логин: petrova")
        await world.run_until(lambda: world.tracker.issues["SUP-1"].status == "inProgress")
        await world.settle(120.0, 10.0)
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="И номер карты?")
        await _asked(world, 2)
        # R19: ten working days of silence close it, with a resolution the workflow accepts
        await world.run_until(
            lambda: world.tracker.issues["SUP-1"].status == "closedNoResponse",
            step=3600.0,
            limit=30 * 86400.0,
        )
        assert world.tracker.issues["SUP-1"].resolution == "fixed"
        await world.settle(600.0, 60.0)
        subjects = _subjects(world)
        assert sum(ASKED in s for s in subjects) == 2, subjects
        assert sum("закрыта из-за отсутствия ответа" in s for s in subjects) == 1, subjects
        # the answer is never mailed back (11.6), the marker never shown
        assert not any("petrova" in text_of(m) for m in world.mails_to(DOCTOR))
        assert not any("tracker-bridge:" in text_of(m) for m in world.mails_to(DOCTOR))
