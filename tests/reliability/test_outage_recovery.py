"""Outages end on their own (issue 18 §1, issue 11 §1): mail that met an outage is registered
within seconds of the dependency coming back — not when new mail arrives or an IDLE wait ends —
and a refused credential is an outage to wait out and alert on, never a verdict.

Production defaults throughout (the loops' intervals, the 29-minute IDLE wait, Tracker's retry
policy, the daemon's backoff), on the harness's ManualClock moved one second at a time.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from tests.e2e.harness import DOCTOR, World, email, msk, running_world
from tracker_bridge.cli.quarantine import _release
from tracker_bridge.regulation.actions import unique_for
from tracker_bridge.store.sqlite import SqliteStore

EVERYTHING = "* /*"
CLOSE = "POST /v2/issues/SUP-1/transitions/*"
FOREVER = 10**9
RECOVERY_GOAL = 10.0  # seconds of clock time after the dependency is back


def _inbox(world: World) -> list[Path]:
    return world.folder("")


async def _recovery_seconds(world: World, done: Any) -> float:
    """Move the clock a second at a time until ``done()``; the clock seconds it took."""
    start = world.clock.now()
    await world.run_until(done, step=1.0, limit=120.0)
    return (world.clock.now() - start).total_seconds()


def _metric(world: World, name: str, **labels: str) -> float | None:
    return world.bridge.metrics.registry.get_sample_value(name, labels)


async def test_mail_that_met_a_tracker_outage_is_registered_within_seconds_of_recovery(
    tmp_path: Path,
) -> None:
    """R1: a 5-minute outage (every request 503), no new mail afterwards, IDLE-length waits:
    the kept mail becomes an issue ≤ 10 s after Tracker answers again."""
    async with running_world(tmp_path, production=True) as world:
        await world.settle(60.0, step=5.0)
        world.tracker.fail_next(EVERYTHING, status=503, times=FOREVER)
        world.mail(subject="Не открывается карта пациента", body="Логин: ivanova")
        await world.settle(5 * 60.0, step=5.0)
        assert world.tracker.issues == {}
        assert len(_inbox(world)) == 1
        report = world.bridge.health.check(world.clock.now())
        assert not report.ok and "intake" in report.stuck
        assert any("intake: stuck — 1 waiting" in reason for reason in report.reasons)
        assert _metric(world, "tracker_bridge_dependency_up", system="tracker") == 0
        assert _metric(world, "tracker_bridge_backlog", loop="intake") == 1
        waited = _metric(world, "tracker_bridge_oldest_waiting_seconds", loop="intake")
        assert waited is not None and waited >= 4 * 60

        world.tracker.clear_faults()
        took = await _recovery_seconds(world, lambda: bool(world.tracker.issues))
        assert took <= RECOVERY_GOAL
        await world.run_until(lambda: not _inbox(world), step=1.0, limit=30.0)
        assert [i.key for i in world.tracker.issues.values()] == ["SUP-1"]
        # every loop's next pass succeeds: the sync's within its interval (30 s)
        await world.run_until(
            lambda: world.bridge.health.check(world.clock.now()).ok, step=1.0, limit=60.0
        )
        assert _metric(world, "tracker_bridge_dependency_up", system="tracker") == 1


OPS_CHAT = -100999


def _token_file(path: Path) -> Any:
    def adjust(data: dict[str, Any]) -> None:
        del data["tracker_token"]
        data["tracker"]["token_file"] = str(path)
        data["telegram"]["ops_chat_id"] = OPS_CHAT

    return adjust


async def test_a_revoked_token_keeps_mail_in_the_inbox_alerts_and_resumes_with_the_new_one(
    tmp_path: Path,
) -> None:
    """Issue 11 §1: a 401 is an outage of its own kind. The mail stays in the inbox (not in
    quarantine), the create is not settled in the journal, /healthz and the metric say why, and
    the support team's chat gets one alert; the new token written to the token file is picked up
    without a restart, and the mail becomes one issue within seconds."""
    token_file = tmp_path / "tracker.token"
    token_file.write_text("fake-oauth-token\n")  # FakeTracker's default token
    adjust = _token_file(token_file)
    async with running_world(tmp_path, production=True, telegram=True, adjust=adjust) as world:
        assert world.telegram is not None
        world.telegram.add_chat(OPS_CHAT, "Поддержка — дежурные")
        await world.settle(60.0, step=5.0)
        world.tracker.rotate_token("fresh-oauth-token")  # the old one now gets 401
        world.mail(subject="Ошибка при входе", body="Логин: petrova", message_id="<m1@clinic1>")
        await world.settle(10 * 60.0, step=5.0)

        assert world.tracker.issues == {}
        assert len(_inbox(world)) == 1 and not world.folder(".Quarantine")
        assert world.bridge.store.quarantine_list() == []
        entry = world.bridge.store.journal_get(f"create:{unique_for('clinic-one', 'm1@clinic1')}")
        assert entry is not None and not entry.settled
        report = world.bridge.health.check(world.clock.now())
        assert not report.ok
        assert report.outages["tracker"]["kind"] == "operator"
        assert any(r.startswith("tracker: needs an operator") for r in report.reasons)
        assert _metric(world, "tracker_bridge_dependency_up", system="tracker") == 0
        (alert,) = world.telegram.bot_messages(OPS_CHAT)
        assert "tracker needs an operator" in alert.text and "401" in alert.text

        token_file.write_text("fresh-oauth-token\n")
        took = await _recovery_seconds(world, lambda: bool(world.tracker.issues))
        assert took <= RECOVERY_GOAL
        await world.run_until(lambda: not _inbox(world), step=1.0, limit=30.0)
        assert len(world.tracker.issues) == 1
        await world.run_until(
            lambda: world.bridge.health.check(world.clock.now()).ok, step=1.0, limit=60.0
        )
        assert _metric(world, "tracker_bridge_dependency_up", system="tracker") == 1
        assert len(world.telegram.bot_messages(OPS_CHAT)) == 1  # one alert per outage


async def test_quarantine_release_recovers_mail_an_older_version_settled_on_a_401(
    tmp_path: Path,
) -> None:
    """Issue 11 §1: mail quarantined by the old behaviour — the create settled as failed for
    good on a 401 — becomes an issue once released (the settled create is reopened)."""
    async with running_world(tmp_path, production=True) as world:
        store, now = world.bridge.store, world.clock.now()
        _, raw = _old_victim(world)
        key = f"create:{unique_for('clinic-one', 'old@clinic1')}"
        store.journal_begin(key, "CreateIssue", None, "{}", now)
        store.journal_failed(key, "Tracker answered 401: token is not valid", True, now)
        store.quarantine_add(
            "old@clinic1", "maildir:old", reason="effect failed", sender="doctor@clinic1.example",
            subject="Старый запрос", at=now, raw=raw,
        )  # fmt: skip
        store.record_message("old@clinic1", "quarantined", at=now, source_id="maildir:old")
        (item,) = store.quarantine_list()
        settings = world.settings
        assert settings is not None

        def release() -> int:  # as `tracker-bridge quarantine release ID` does, in its process
            with SqliteStore(settings.store_path) as own:
                return _release(own, settings, item.id, now, False)

        assert await asyncio.to_thread(release) == 0

        def created() -> bool:  # in Tracker, and the create recorded as done: two steps apart
            entry = store.journal_get(key)
            return bool(world.tracker.issues) and entry is not None and entry.state == "done"

        await world.run_until(created, step=1.0, limit=60.0)
        (issue,) = world.tracker.issues.values()
        assert issue.summary == "Старый запрос"


def _old_victim(world: World) -> tuple[str, bytes]:
    return email(subject="Старый запрос", body="Логин: sidorov", message_id="<old@clinic1>")


async def test_no_resync_storm_across_a_tracker_outage_and_its_recovery(tmp_path: Path) -> None:
    """Issue 18 §2: empty queues (nothing registered yet), a 10-minute outage, 10 minutes after
    it, production intervals: one full read of the queues in all, the failed cycles back off
    (one request per retry), and the recovered sync polls once per interval. The counts are
    stated in docs/benchmarks.md."""
    with capture_logs() as logs:
        async with running_world(tmp_path, production=True) as world:
            await world.settle(60.0, step=1.0)
            before = len(world.tracker.requests)
            world.tracker.fail_next(EVERYTHING, status=503, times=FOREVER)
            await world.settle(600.0, step=1.0)
            during = len(world.tracker.requests) - before
            world.tracker.clear_faults()
            after_start = len(world.tracker.requests)
            await world.settle(600.0, step=1.0)
            after = len(world.tracker.requests) - after_start
    full = [e for e in logs if e["event"] == "tracker.sync.full"]
    print(f"\nrequests: outage 10 min {during}, recovery 10 min {after}, full {len(full)}")
    assert len(full) == 1  # the first cycle's, never again
    assert during <= 600 / 6 + 10  # one request per backoff step (6 s, plus jitter)
    assert after <= 600 / 30 + 5  # one incremental search per 30 s interval


async def test_rule_actions_an_older_version_settled_on_a_401_run_once_the_token_works(
    tmp_path: Path,
) -> None:
    """A failure an operator can fix is never final, for rule-made actions too: R19's auto-close
    met a revoked token and an older version settled it as failed for good (its journal row is
    marked so here, as that version wrote it). With a working token and the new version
    started, the close runs by itself — no `quarantine release`, which only knows mail."""
    async with running_world(tmp_path, production=True) as world:
        world.mail(subject="Не считается скидка", body="Логин: ivanova")
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)), limit=120.0)
        world.tracker.transition("SUP-1", "start_progress", by="ivanov")
        world.tracker.transition("SUP-1", "send_to_testing", by="ivanov", comment="Исправлено")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 3, limit=300.0)
        # the token is refused where the close is made (a 401 there, as a revoked token gives)
        world.tracker.fail_next(CLOSE, status=401, times=FOREVER)
        await world.jump(msk("2026-03-17 11:30"))  # ten working days of silence (R19)
        assert world.tracker.issues["SUP-1"].status == "awaitingTesting"
        settings = world.settings
        assert settings is not None
        with sqlite3.connect(settings.store_path) as db:  # what the older version wrote
            settled = db.execute(
                "UPDATE journal SET permanent = 1 WHERE state = 'failed' AND issue_key = 'SUP-1'"
                " AND key LIKE 'transition:%' AND last_error LIKE '%401%'"
            ).rowcount
        assert settled == 1

        world.tracker.clear_faults()  # the operator put a working token in
        with capture_logs() as logs:
            await world.restart()  # the new version
            await world.run_until(
                lambda: world.tracker.issues["SUP-1"].status == "closedNoResponse", limit=300.0
            )
        assert any(e["event"] == "effect.reopened" for e in logs)
        await world.settle(120.0, step=10.0)  # and the requester is told once (R12)
        assert sum("отсутствия ответа" in str(m["Subject"]) for m in world.mails_to(DOCTOR)) == 1
