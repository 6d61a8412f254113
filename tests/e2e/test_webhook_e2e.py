"""Trigger webhooks through the whole daemon (issue #15): a status change in FakeTracker reaches
the customer's mail and the Telegram card through the trigger's call, and through polling when
the call is lost. Production intervals (polling every 30 s, every 5 min while webhooks are
healthy); the fake's trigger sends real HTTP to the daemon's endpoint on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.e2e.harness import DOCTOR, WEBHOOK_SECRET, World, running_world, text_of
from tracker_bridge.runtime.daemon import Intervals
from tracker_bridge.testing.fake_telegram import FakeMessage


def _card(world: World, key: str = "SUP-1") -> FakeMessage | None:
    record = world.bridge.store.card(key)
    if record is None or world.telegram is None:
        return None
    return world.telegram.chats[next(iter(world.telegram.chats))].messages.get(record.message_id)


def _sample(world: World, name: str, **labels: str) -> float:
    value = world.bridge.metrics.registry.get_sample_value(name, labels or None)
    return 0.0 if value is None else value


async def _urgent_request(world: World) -> FakeMessage:
    world.mail(subject="СРОЧНО не работает регистратура - Терапия", body="Логин: ivanova")
    await world.run_until(lambda: _card(world) is not None)
    # the creation's own trigger call made webhooks healthy: polling now sleeps 5 minutes
    await world.settle(60.0, 5.0)
    card = _card(world)
    assert card is not None
    return card


def _asked(world: World) -> bool:
    return any("Какой кабинет?" in text_of(m) for m in world.mails_to(DOCTOR))


async def test_a_status_change_reaches_mail_and_card_through_the_webhook(tmp_path: Path) -> None:
    """R5/R8 through the webhook: support asks a question in Tracker; within seconds of clock
    time — polling sleeps five minutes meanwhile — the requester has the question by mail and
    the card shows the new status. The fake's trigger called the daemon, which read the issue."""
    async with running_world(tmp_path, telegram=True, webhook=True, intervals=Intervals()) as world:
        card = await _urgent_request(world)
        assert world.bridge.webhook is not None
        assert world.bridge.webhook.health.healthy(world.clock.now())
        # while healthy, polling slows from 30 s to webhook.healthy_poll_interval (5 min)
        assert world.bridge.webhook.sync_interval(world.clock.now(), 30.0) == 300.0
        calls_before = len(world.tracker.trigger_calls)
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Какой кабинет?")
        await world.run_until(
            lambda: _asked(world) and "Запрошена" in card.text, step=0.1, limit=10.0
        )
        new_calls = world.tracker.trigger_calls[calls_before:]
        assert new_calls and all(c.status == 202 for c in new_calls)
        assert _sample(world, "tracker_bridge_webhook_missed_changes_total") == 0


async def test_a_lost_webhook_call_is_caught_by_polling_and_counted(tmp_path: Path) -> None:
    """The trigger's call is lost on the way: the next poll (at most 5 minutes later while
    webhooks looked healthy) finds the change, the mail and the card follow, the change is
    counted as missed, /healthz's webhook part says so, and polling goes back to 30 s."""
    async with running_world(tmp_path, telegram=True, webhook=True, intervals=Intervals()) as world:
        card = await _urgent_request(world)
        hook = world.bridge.webhook
        assert hook is not None
        world.tracker.lose_next_trigger_calls(1)
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Какой кабинет?")
        await world.run_until(lambda: _asked(world) and "Запрошена" in card.text, step=5.0)
        assert world.tracker.trigger_calls[-1].lost
        await world.settle(180.0, 10.0)  # the grace for a late call passes
        assert _sample(world, "tracker_bridge_webhook_missed_changes_total") == 1
        report = world.bridge.health.check(world.clock.now()).to_json()
        assert report["webhook"]["status"] == "missing_changes"
        assert not hook.health.healthy(world.clock.now())
        assert hook.sync_interval(world.clock.now(), 30.0) == 30.0


async def test_a_flood_of_calls_for_one_issue_costs_one_read(tmp_path: Path) -> None:
    """A hundred and fifty authenticated calls naming SUP-1 at once (besides the trigger's own):
    one GET of the issue."""
    async with running_world(tmp_path, webhook=True, intervals=Intervals()) as world:
        world.mail(subject="Не печатается справка", body="Логин: ivanova")
        await world.run_until(lambda: "SUP-1" in world.tracker.issues)
        await world.settle(60.0, 5.0)
        settings = world.bridge.settings.webhook
        assert settings.public_url is not None
        reads = world.tracker.request_count("GET", "/v2/issues/SUP-1")
        world.tracker.update_issue("SUP-1", by="ivanov", tags=["flood"])
        headers = {"Authorization": f"Bearer {WEBHOOK_SECRET}"}
        async with httpx.AsyncClient() as client:
            answers = await asyncio.gather(
                *(
                    client.post(settings.public_url, json={"issue": "SUP-1"}, headers=headers)
                    for _ in range(150)
                )
            )
        assert {a.status_code for a in answers} == {202}
        await world.settle(5.0, 0.5)
        assert world.tracker.request_count("GET", "/v2/issues/SUP-1") - reads == 1


async def test_a_status_change_through_the_webhook_costs_two_tracker_requests_and_acts_once(
    tmp_path: Path,
) -> None:
    """R15 through the webhook: support hands the change to the customer for testing. The call
    costs the issue's snapshot and its changelog (the comments are unchanged); when polling later
    sees the same change it does not act again: one mail, no further read of the issue."""
    async with running_world(tmp_path, telegram=True, webhook=True, intervals=Intervals()) as world:
        card = await _urgent_request(world)
        world.tracker.transition("SUP-1", "start_progress", by="ivanov")
        await world.run_until(lambda: "В работе" in card.text, step=0.1, limit=10.0)
        await world.settle(10.0, 1.0)
        before = len(world.tracker.requests)
        world.tracker.transition("SUP-1", "send_to_testing", by="ivanov")
        await world.run_until(
            lambda: any("тестовую среду" in text_of(m) for m in world.mails_to(DOCTOR)),
            step=0.1,
            limit=10.0,
        )
        await world.settle(2.0, 0.5)
        reads = [r for r in world.tracker.requests[before:] if r[0] == "GET"]
        assert reads == [("GET", "/v2/issues/SUP-1"), ("GET", "/v2/issues/SUP-1/changelog")]
        await world.settle(11 * 60.0, 30.0)  # past polling at the healthy pace, twice
        polls = [r for r in world.tracker.requests[before:] if r == ("POST", "/v2/issues/_search")]
        assert len(polls) >= 2
        later = [r for r in world.tracker.requests[before:] if r[0] == "GET"]
        assert later == reads
        tested = [m for m in world.mails_to(DOCTOR) if "тестовую среду" in text_of(m)]
        assert len(tested) == 1
