"""The rules pass holds memory for open requests only, through the whole daemon (issue 6).

A finished request (terminal status, final card and notices done) is dropped from the rules
pass and marked finished in the store; the clock gauges count the open requests as they change;
a restart loads the open requests only, and what a finished request still owes (R20 answers,
"already closed" in Telegram) comes from the store.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.harness import CHAT, DOCTOR, SUPPORT_USER, World, running_world
from tracker_bridge.testing.fake_telegram import FakeMessage


def card_of(world: World, key: str) -> FakeMessage | None:
    record = world.bridge.store.card(key)
    if record is None or world.telegram is None:
        return None
    return world.telegram.chats[CHAT].messages.get(record.message_id)


def held(world: World, key: str) -> bool:
    """Whether the rules pass keeps anything for ``key`` (its view or a wake-up)."""
    rules = world.bridge.rules
    return key in rules.views or rules.schedule.when(key) is not None


def clocks(world: World) -> dict[tuple[str, str], float]:
    """The non-zero clocks-by-state gauges, as /metrics shows them."""
    text = world.bridge.metrics.render().decode()
    found = re.findall(r'tracker_bridge_clocks\{kind="(\w+)",state="(\w+)"\} ([0-9.]+)', text)
    return {(kind, state): float(value) for kind, state, value in found if float(value)}


async def _two_requests(world: World) -> None:
    world.mail(subject="Не выгружается реестр", body="Логин: ivanova", sender=DOCTOR)
    await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 1)
    world.mail(subject="Не печатается рецепт", body="Логин: petrova", sender=DOCTOR)
    await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2)
    await world.settle(30.0)


async def _close(world: World, key: str) -> None:
    sent = len(world.mails_to(DOCTOR))
    world.tracker.transition(key, "close", by="ivanov", resolution="fixed")
    await world.run_until(lambda: len(world.mails_to(DOCTOR)) == sent + 1)
    await world.settle(60.0)


async def test_a_finished_request_leaves_nothing_in_the_rules_pass_after_its_final_card(
    tmp_path: Path,
) -> None:
    """R5/R12: once the closed request's card lost its buttons and its notice went out, the
    rules pass holds no view, wake-up or clock for it; the store keeps it as finished."""
    async with running_world(tmp_path, telegram=True) as world:
        world.mail(subject="СРОЧНО не работает регистратура - Терапия", body="Логин: ivanova")
        await world.run_until(lambda: card_of(world, "SUP-1") is not None)
        assert held(world, "SUP-1")
        await _close(world, "SUP-1")
        card = card_of(world, "SUP-1")
        assert card is not None and card.buttons == [] and "Закрыто" in card.text
        assert "закрыта" in world.subjects_to(DOCTOR)[-1].lower()
        assert not held(world, "SUP-1")
        assert len(world.bridge.rules.schedule) == 0
        assert clocks(world) == {}
        tracked = world.bridge.store.tracked("SUP-1")
        assert tracked is not None and tracked.finished == "closed"
        assert world.bridge.store.tracked_issues() == []


async def test_the_clock_gauges_follow_open_requests_as_they_change_and_finish(
    tmp_path: Path,
) -> None:
    """The clocks-by-state gauges count each open request once, move with its state, and drop
    a request that finished."""
    async with running_world(tmp_path) as world:
        await _two_requests(world)
        assert clocks(world) == {("execution", "running"): 2.0}
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Какой логин?")
        await world.run_until(lambda: ("execution", "paused") in clocks(world))
        await world.settle(30.0)
        assert clocks(world) == {
            ("execution", "running"): 1.0,
            ("execution", "paused"): 1.0,
            ("silence", "running"): 1.0,
        }
        await _close(world, "SUP-1")
        assert clocks(world) == {("execution", "running"): 1.0}
        await _close(world, "SUP-2")
        assert clocks(world) == {}
        assert world.bridge.rules.views == {}


async def test_a_restart_loads_only_open_requests_and_still_answers_a_reply_to_a_finished_one(
    tmp_path: Path,
) -> None:
    """R20/R22: after a restart the rules pass looks at the open request only; a reply to the
    finished one still finds it through the store and gets the R20 answer, once (replies to
    plain «Закрыто» refused here; they reopen by default)."""
    config = {"regulation": {"terminal_reply": {"closed": "reject"}}}
    async with running_world(tmp_path, config=config) as world:
        await _two_requests(world)
        await _close(world, "SUP-1")
        await world.restart()
        rules = world.bridge.rules
        assert rules.schedule.when("SUP-2") is not None
        assert rules.schedule.when("SUP-1") is None
        await world.settle(60.0)
        assert set(rules.views) == {"SUP-2"}
        last = world.mails_to(DOCTOR)[-1]
        sent = len(world.mails_to(DOCTOR))
        world.mail(
            subject=f"Re: {last['Subject']}", body="Ещё вопрос", in_reply_to=str(last["Message-ID"])
        )
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == sent + 1)
        await world.settle(60.0)
        assert "не добавлено к завершённой заявке SUP-1" in world.subjects_to(DOCTOR)[-1]
        assert len(world.mails_to(DOCTOR)) == sent + 1
        assert not held(world, "SUP-1")


async def test_a_reopened_request_is_watched_again(tmp_path: Path) -> None:
    """A finished request that support reopens is back in the rules pass and in the store's
    open requests (start-up and polling see it again)."""
    async with running_world(tmp_path) as world:
        await _two_requests(world)
        await _close(world, "SUP-1")
        world.tracker.transition("SUP-1", "reopen", by="ivanov")
        await world.run_until(lambda: held(world, "SUP-1"))
        await world.settle(30.0)
        assert [t.issue_key for t in world.bridge.store.tracked_issues()] == ["SUP-1", "SUP-2"]
        tracked = world.bridge.store.tracked("SUP-1")
        assert tracked is not None and tracked.finished is None


async def test_a_command_on_a_finished_request_says_it_is_closed(tmp_path: Path) -> None:
    """R5: /take on a request that finished (no longer held in memory) answers "already
    closed" from the store, and changes nothing in Tracker."""
    async with running_world(tmp_path, telegram=True) as world:
        world.mail(subject="СРОЧНО не работает регистратура - Терапия", body="Логин: ivanova")
        await world.run_until(lambda: card_of(world, "SUP-1") is not None)
        await _close(world, "SUP-1")
        assert world.telegram is not None
        world.telegram.inject_command(CHAT, SUPPORT_USER, "/take SUP-1")
        await world.run_until(lambda: any("уже закрыта" in t for t in world.chat_texts()))
        await world.settle(30.0)
        assert world.tracker.issues["SUP-1"].status == "closed"
        assert world.tracker.issues["SUP-1"].assignee is None
