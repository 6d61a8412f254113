"""A day of trouble for the whole daemon, recording what an operator would see of it.

Used by tests/test_operations_docs.py to prove that every metric, log event and health loop
docs/operations.md names is produced by a real run. The daemon is wired from a configuration
with every part on — IMAP IDLE on a private Dovecot, FakeTracker, aiosmtpd, FakeTelegram — at
the production defaults (intervals, IDLE refresh, thresholds, retry budgets; only the retry
*sleeps* are skipped, their waits still computed), on a manual clock. Metrics and ``/healthz``
are scraped from the real endpoint after every scene; log events are captured from structlog.

To make a new metric or event appear here, add a scene that provokes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import urllib.request
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from tests.e2e.harness import (
    CHAT,
    DOCTOR,
    STRANGER_USER,
    SUPPORT_USER,
    WEBHOOK_SECRET,
    World,
    email,
    free_port,
    msk,
    settings_for,
)
from tests.e2e.harness import _install_triggers as install_triggers
from tests.mail.conftest import start_dovecot
from tracker_bridge.foundation import retry
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.mail.imap_source import ImapSource
from tracker_bridge.observability.metrics import MetricsServer, serve_metrics
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.runtime.wiring import Overrides, open_bridge
from tracker_bridge.testing.dovecot import Dovecot
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

__all__ = ["Produced", "produce"]

COLLEAGUE = "registrar@clinic1.example"  # a second person of the clinic
STRANGER = "someone@unknown.example"
OPS_CHAT = -100999  # the support team's own chat


@dataclass
class Produced:
    """What the run showed: metrics (any non-zero sample), log events by level, /healthz."""

    exported_metrics: set[str] = field(default_factory=set)
    produced_metrics: set[str] = field(default_factory=set)
    # metric → label → values that had a non-zero sample at some scrape
    label_values: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    events: dict[str, set[str]] = field(default_factory=dict)
    healthz: dict[str, Any] = field(default_factory=dict)

    def scrape(self, server: MetricsServer) -> None:
        with urllib.request.urlopen(server.url + "/metrics", timeout=5) as response:
            text = response.read().decode()
        families = list(text_string_to_metric_families(text))
        timed = {f.name for f in families if f.type in ("counter", "histogram")}
        for family in families:
            if family.name.endswith("_created") and family.name.removesuffix("_created") in timed:
                continue  # prometheus_client's creation time of a counter or histogram
            # the name the docs use: a counter's with _total, a histogram's without _bucket…
            name = f"{family.name}_total" if family.type == "counter" else family.name
            self.exported_metrics.add(name)
            for sample in family.samples:
                if sample.name.endswith("_created") or sample.value == 0:
                    continue
                self.produced_metrics.add(name)
                labels = self.label_values.setdefault(name, {})
                for label, value in sample.labels.items():
                    if label != "le":  # a histogram's bucket bound, not a label of ours
                        labels.setdefault(label, set()).add(value)

    def read_health(self, server: MetricsServer) -> None:
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=5) as response:
                self.healthz = json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                self.healthz = json.loads(error.read())

    def log(self, entries: list[MutableMapping[str, Any]]) -> None:
        for entry in entries:
            self.events.setdefault(str(entry["event"]), set()).add(str(entry["log_level"]))


def produce(root: Path) -> Produced:
    """Run the day and return what it produced."""
    dovecot = start_dovecot()
    try:
        with retry.testing():
            return asyncio.run(_day(root, dovecot))
    finally:
        dovecot.close()


@dataclass
class _Day:
    world: World
    dovecot: Dovecot
    server: MetricsServer
    produced: Produced
    logs: list[MutableMapping[str, Any]]

    def send(self, **kwargs: Any) -> str:
        message_id, raw = email(when=self.world.clock.now(), **kwargs)
        self.dovecot.append("INBOX", raw)
        return message_id

    def seen(self, event: str) -> bool:
        return any(e["event"] == event for e in self.logs)

    def sample(self, name: str, **labels: str) -> float:
        """A sample's current value (0 when absent), as the registry holds it."""
        value = self.world.bridge.metrics.registry.get_sample_value(name, labels)
        return value or 0.0

    def outcome(self, name: str) -> float:
        return self.sample("tracker_bridge_messages_total", outcome=name)

    async def settle(self, seconds: float, step: float) -> None:
        """The loops run a few rounds with nothing expected; /metrics scraped at every step
        (a loop woken late by a step shows its lag until its next pass)."""
        moved = 0.0
        while moved < seconds:
            for _ in range(4):
                await asyncio.sleep(0.005)
                self.produced.scrape(self.server)
            self.world.clock.advance(step)
            moved += step

    def _scraping(self, done: Callable[[], bool]) -> Callable[[], bool]:
        """``done``, scraping /metrics each time it is asked (a gauge's moments count too)."""

        def check() -> bool:
            self.produced.scrape(self.server)
            return done()

        return check

    async def until(self, done: Callable[[], bool], *, limit: float = 1800.0) -> None:
        try:
            await self.world.run_until(self._scraping(done), step=5.0, limit=limit)
        except AssertionError as exc:
            where = inspect.getframeinfo(inspect.stack()[1][0])
            seen = sorted({str(e["event"]) for e in self.logs})
            raise AssertionError(
                f"{exc} — at tests/operations_run.py:{where.lineno}; events so far: {seen}"
            ) from None
        self.produced.scrape(self.server)


async def _day(root: Path, dovecot: Dovecot) -> Produced:
    produced = Produced()
    clock = ManualClock(msk("2026-03-02 11:00"))
    with contextlib.ExitStack() as stack, capture_logs() as logs:
        tracker = stack.enter_context(FakeTracker(clock=clock))
        smtp = stack.enter_context(SmtpCapture())
        telegram = stack.enter_context(FakeTelegram(clock=clock))
        telegram.add_chat(CHAT, "Клиника 1 — поддержка")
        telegram.add_user(SUPPORT_USER, "Иван", "ivanov")
        telegram.add_user(STRANGER_USER, "Пётр", "petr_guest")
        settings = settings_for(
            root, tracker, smtp, telegram, imap=dovecot.account, webhook_port=free_port()
        )
        # outages a person must fix are also told to the support team's chat
        telegram.add_chat(OPS_CHAT, "Поддержка — дежурные")
        ops = settings.telegram.model_copy(update={"ops_chat_id": OPS_CHAT})
        settings = settings.model_copy(update={"telegram": ops})
        overrides = Overrides(imap_security="plain")  # the production defaults otherwise
        async with open_bridge(settings, clock=clock, overrides=overrides) as bridge:
            server = stack.enter_context(
                serve_metrics(bridge.metrics, bridge.health, clock, port=0)
            )
            await install_triggers(bridge)  # Tracker's triggers call the daemon's webhook
            task = asyncio.create_task(bridge.daemon.run())
            world = World(clock, tracker, smtp, telegram, bridge, root / "unused", task)
            day = _Day(world, dovecot, server, produced, logs)
            try:
                await _scenes(day)
                produced.read_health(server)
                produced.scrape(server)
            finally:
                bridge.daemon.stop()
                await asyncio.wait_for(task, 30)
        produced.log(logs)
    return produced


async def _scenes(day: _Day) -> None:
    world, tracker, smtp = day.world, day.world.tracker, day.world.smtp
    telegram = world.telegram
    assert telegram is not None
    await day.until(
        lambda: (
            world.bridge.health.check(world.clock.now()).details["telegram"].last_beat is not None
        )
    )

    # Telegram's poll fails once (telegram.polling_error); PTB polls again.
    telegram.fail_next("getUpdates", 500)
    await day.until(lambda: day.seen("telegram.polling_error"))

    # An urgent request while SMTP answers 451 once and Telegram 500 once: the card is put off
    # (effect.retry_later, mail.failed with the mail kept, loop.failed), then posted; the
    # acknowledgement waits in the outbox (notification.retry), then goes out.
    smtp.fail_next(451, times=2)
    telegram.fail_next("sendMessage", 500)
    tracker.fail_next("POST /v2/issues", 500, times=6)  # every attempt of the first round
    day.send(subject="СРОЧНО не работает регистратура - Терапия", body="Логин: ivanova")
    await day.until(lambda: day.seen("notification.retry"))
    await day.until(lambda: world.bridge.store.card("SUP-1") is not None)
    await day.until(lambda: bool(world.mails_to(DOCTOR)))
    ack = world.mails_to(DOCTOR)[-1]

    await day.until(lambda: day.seen("mail.failed"))

    # The webhook: calls refused for each reason, one for an issue that does not exist, a
    # flood for one issue (coalesced, then rate-limited), and a trigger call lost on the way
    # (the change found by polling only: webhook.missed).
    await _webhook_calls(day)
    await day.settle(180.0, 10.0)  # the flood's calls announced SUP-1 until now
    tracker.lose_next_trigger_calls(1)
    tracker.update_issue("SUP-1", by="ivanov", tags=["lost-call"])
    await day.until(lambda: day.seen("webhook.missed"))

    # A reply while Tracker answers 500 once: the call is retried (retry.scheduled).
    tracker.fail_next("POST /v2/issues/SUP-1/comments", 500)
    day.send(
        subject=f"Re: {ack['Subject']}", body="Кабинет 12.", in_reply_to=str(ack["Message-ID"])
    )
    await day.until(lambda: day.outcome("commented") >= 1)

    # A stranger (quarantined) and an out-of-office reply (ignored).
    day.send(subject="Предложение", body="Купите", sender=STRANGER)
    day.send(subject="Нет на месте", body="В отпуске", headers={"Auto-Submitted": "auto-replied"})
    await day.until(lambda: day.outcome("quarantined") >= 1 and day.outcome("ignored") >= 1)

    # Nobody takes the urgent request: its deadline passes (a breach, alerted in the chat).
    world.clock.set(msk("2026-03-05 12:00"))
    for _ in range(20):  # the loops wake, late by the jump (loop lag), before they settle
        await asyncio.sleep(0.01)
        day.produced.scrape(day.server)
    await day.settle(120.0, 30.0)
    await day.until(lambda: day.sample("tracker_bridge_breaches_total", kind="reaction") > 0)

    # A colleague's request while SMTP refuses for good (notification.failed); support asks the
    # customer for details (a paused intake clock and a running silence clock).
    smtp.fail_next(550)
    day.send(subject="Не печатается рецепт", body="Логин: petrova", sender=COLLEAGUE)
    await day.until(lambda: day.seen("notification.failed") and "SUP-2" in tracker.issues)
    tracker.transition("SUP-2", "request_info", by="ivanov", comment="Какой принтер?")
    await day.until(
        lambda: day.sample("tracker_bridge_clocks", kind="silence", state="running") > 0
    )

    # Support takes SUP-1 while Tracker cannot be read: the rules pass fails (rules.failed,
    # rules.retry_next_cycle) and succeeds at the next sync.
    for route in (
        "GET /v2/issues/SUP-1/changelog",
        "GET /v2/issues/SUP-1/comments",
        "GET /v2/issues/SUP-1",
    ):
        tracker.fail_next(route, 500, times=1000)  # until the sync has met it too
    tracker.transition("SUP-1", "start_progress", by="ivanov")
    await day.until(lambda: day.seen("rules.retry_next_cycle"))
    tracker.clear_faults()
    await day.until(lambda: _status(day, "SUP-1") == Status.IN_PROGRESS)

    # Tracker refuses a comment for good (404: effect.failed).
    tracker.fail_next("POST /v2/issues/SUP-1/comments", 404)
    day.send(
        subject=f"Re: {ack['Subject']}", body="Ещё деталь.", in_reply_to=str(ack["Message-ID"])
    )
    await day.until(lambda: day.seen("effect.failed"))

    # The bot is removed from the chat: the next card cannot be posted.
    telegram.kick_bot(CHAT)
    day.send(subject="СРОЧНО не открывается расписание", body="Логин: ivanova")
    await day.until(lambda: day.seen("telegram.chat_unavailable"))
    telegram.restore_bot(CHAT)

    # SUP-1 is closed; a reply to it is refused (R20).
    tracker.transition("SUP-1", "complete", by="ivanov", resolution="fixed")
    await day.until(lambda: tracker.issues["SUP-1"].status == "resolved")
    await day.settle(120.0, 10.0)
    day.send(subject=f"Re: {ack['Subject']}", body="А ещё…", in_reply_to=str(ack["Message-ID"]))
    await day.until(lambda: day.outcome("refused") >= 1)

    # Tracker refuses the token (401): an outage a person must fix — logged, alerted in the
    # chat — that ends by itself once Tracker accepts it again.
    tracker.fail_next("POST /v2/issues/_search", 401, times=1000)
    await day.until(lambda: day.seen("outage.alerted"))
    tracker.clear_faults()
    await day.until(lambda: day.seen("outage.ended"))

    # The mail server dies during IDLE and comes back: the IDLE is interrupted, the fetch
    # reconnects with backoff (imap.reconnecting), and the intake is healthy again.
    source = world.bridge.source
    assert isinstance(source, ImapSource)
    await day.until(lambda: source.idling)
    day.dovecot.stop(kill=True)
    await day.until(lambda: day.seen("imap.reconnecting"))
    day.dovecot.start()
    mark = world.clock.now()
    await day.until(
        lambda: (
            (world.bridge.health.check(world.clock.now()).details["intake"].last_beat or mark)
            > mark
        )
    )
    await day.settle(120.0, 10.0)
    day.produced.scrape(day.server)

    # Much later: the production calendar's data is about to end (calendar.data_ending), then
    # has ended while a request is still open (calendar.beyond_data).
    for when in ("2027-12-01 12:00", "2028-01-11 12:00"):
        world.clock.set(msk(when))
        await day.settle(120.0, 30.0)
    day.send(subject="Не открывается журнал", body="Логин: ivanova")  # evaluated beyond the data
    await day.until(lambda: day.seen("calendar.data_ending") and day.seen("calendar.beyond_data"))


def _status(day: _Day, key: str) -> Status | None:
    view = day.world.bridge.rules.views.get(key)
    return None if view is None else view.status


async def _webhook_calls(day: _Day) -> None:
    hook = day.world.bridge.settings.webhook
    assert hook.public_url is not None
    url, auth = hook.public_url, {"Authorization": f"Bearer {WEBHOOK_SECRET}"}
    async with httpx.AsyncClient() as client:
        await client.post(url, json={"issue": "SUP-1"}, headers={"Authorization": "Bearer no"})
        await client.post(url, content=b"{not json", headers=auth)
        await client.post(url, content=b"x" * (hook.max_body_bytes + 1), headers=auth)
        await client.post(url, json={"issue": "NOPE-1"}, headers=auth)
        await client.post(url, json={"issue": "SUP-999"}, headers=auth)
        flood = [client.post(url, json={"issue": "SUP-1"}, headers=auth) for _ in range(260)]
        answers = await asyncio.gather(*flood)
    assert {a.status_code for a in answers} >= {202, 429}, {a.status_code for a in answers}
    await day.until(lambda: day.seen("webhook.no_such_issue"))
