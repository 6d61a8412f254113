"""The whole daemon, wired from a config, against real parts on loopback and a manual clock.

FakeTracker and FakeTelegram speak real HTTP to the unmodified clients, SMTP is aiosmtpd, the
store is SQLite, mail arrives in a Maildir (or Dovecot); time is a ManualClock that the harness
moves in small steps while the daemon's loops run, so "ten working days later" takes seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tracker_bridge.clock import ManualClock
from tracker_bridge.config import Settings
from tracker_bridge.daemon import Intervals
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.retry import RetryPolicy
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture
from tracker_bridge.wiring import Bridge, Overrides, open_bridge

MSK = ZoneInfo("Europe/Moscow")
INTAKE = "clinic1@support.example"
SUPPORT_FROM = "robot@support.example"
DOCTOR = "doctor@clinic1.example"
CHIEF = "chief@clinic1.example"
CHAT = -100777
SUPPORT_USER = 501


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def settings_for(
    root: Path, tracker: FakeTracker, smtp: SmtpCapture, telegram: FakeTelegram | None
) -> Settings:
    """A complete configuration pointing at the loopback fakes."""
    data: dict[str, Any] = {
        "tracker_token": tracker.token,
        "tracker": {"org_id": tracker.org_id, "base_url": tracker.url},
        "mail": {"source": str(root / "Maildir")},
        "smtp": {
            "host": smtp.host,
            "port": smtp.port,
            "security": "none",
            "from_address": SUPPORT_FROM,
        },
        "customers": [
            {
                "name": "clinic-one",
                "intake_addresses": [INTAKE],
                "allowed_domains": ["clinic1.example"],
                "confirmers": [CHIEF],
                "queue": "SUP",
                "telegram_chat_id": CHAT,
                "departments": ["Терапия", "Хирургия"],
            }
        ],
        "store_path": str(root / "state.sqlite3"),
    }
    if telegram is not None:
        data["telegram_bot_token"] = "123456:e2e-token"
        data["telegram"] = {
            "enabled": True,
            "base_url": telegram.url + "/bot",
            "users": {SUPPORT_USER: "ivanov"},
        }
    return Settings.model_validate(data)


def email(
    *,
    subject: str,
    body: str,
    sender: str = DOCTOR,
    to: str = INTAKE,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    when: datetime | None = None,
) -> tuple[str, bytes]:
    """A plain email as a clinic's mail client would send it; (Message-ID, bytes)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="clinic1.example")
    msg["Date"] = format_datetime(when or datetime(2026, 3, 2, 12, tzinfo=MSK))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return str(msg["Message-ID"]), msg.as_bytes()


@dataclass
class World:
    """A running bridge and everything around it."""

    clock: ManualClock
    tracker: FakeTracker
    smtp: SmtpCapture
    telegram: FakeTelegram | None
    bridge: Bridge
    maildir: Path
    task: asyncio.Task[None]
    sent_before: int = 0
    log: list[str] = field(default_factory=list)

    def mail(self, **kwargs: Any) -> str:
        """Deliver an email into the intake Maildir; its Message-ID."""
        message_id, raw = email(when=self.clock.now(), **kwargs)
        deliver(self.maildir, raw)
        return message_id

    async def run_until(
        self, done: Callable[[], bool], *, step: float = 1.0, limit: float = 3600.0
    ) -> None:
        """Move the clock in ``step`` seconds while the loops work, until ``done()``."""
        moved = 0.0
        while True:
            for _ in range(4):
                await asyncio.sleep(0.005)
            if done():
                return
            if self.task.done():
                self.task.result()
                raise AssertionError("the daemon stopped")
            if moved >= limit:
                raise AssertionError(f"not done after {limit:.0f} s of clock time")
            self.clock.advance(step)
            moved += step

    async def settle(self, seconds: float = 65.0, step: float = 5.0) -> None:
        """Let every loop run a few rounds (sync, rules, outbox) with nothing else expected."""
        moved = 0.0
        while moved < seconds:
            for _ in range(4):
                await asyncio.sleep(0.005)
            self.clock.advance(step)
            moved += step
        for _ in range(10):
            await asyncio.sleep(0.01)

    async def jump(self, when: datetime, step: float = 30.0) -> None:
        """Jump the clock to ``when`` (waking every loop), then let them settle."""
        self.clock.set(when)
        await self.settle(120.0, step)

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.smtp.messages if address in str(m["To"])]

    def subjects_to(self, address: str) -> list[str]:
        return [str(m["Subject"]) for m in self.mails_to(address)]


@contextlib.asynccontextmanager
async def running_world(
    root: Path, *, start: str = "2026-03-02 11:00", telegram: bool = False
) -> AsyncIterator[World]:
    """Start the fakes, wire the bridge from a config, run the daemon; stop it all after."""
    clock = ManualClock(msk(start))
    with contextlib.ExitStack() as stack:
        tracker = stack.enter_context(FakeTracker(clock=clock))
        smtp = stack.enter_context(SmtpCapture())
        tg = stack.enter_context(FakeTelegram(clock=clock)) if telegram else None
        if tg is not None:
            tg.add_chat(CHAT, "Клиника 1 — поддержка")
            tg.add_user(SUPPORT_USER, "Иван", "ivanov")
        settings = settings_for(root, tracker, smtp, tg)
        overrides = Overrides(
            intervals=Intervals(sync=10.0, rules=30.0, outbox=5.0, mail_wait=5.0),
            tracker_retry=RetryPolicy(
                attempts=3, total_seconds=5, initial_wait=0.01, max_wait=0.05
            ),
        )
        async with open_bridge(settings, clock=clock, overrides=overrides) as bridge:
            task = asyncio.create_task(bridge.daemon.run())
            world = World(clock, tracker, smtp, tg, bridge, root / "Maildir", task)
            try:
                yield world
            finally:
                bridge.daemon.stop()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, timeout=15)
