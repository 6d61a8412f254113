"""The demo's world: the real bridge, wired from a config, against loopback fakes on a ManualClock.

FakeTracker and FakeTelegram speak real HTTP to the unmodified clients, SMTP is a local aiosmtpd
capture, the store is SQLite and mail arrives in a Maildir, all in one temporary directory that is
removed afterwards. Time is a :class:`~tracker_bridge.foundation.clock.ManualClock` that
:class:`World` moves
in small steps while the daemon's own loops run, so two weeks of the regulation take seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import tempfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tracker_bridge.config import Settings
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.runtime.daemon import Intervals
from tracker_bridge.runtime.wiring import Bridge, Overrides, open_bridge
from tracker_bridge.testing.config import loopback_config
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.mails import clinic_email
from tracker_bridge.testing.smtp import SmtpCapture
from tracker_bridge.testing.waiting import eventually

__all__ = ["CHAT", "CHIEF", "DOCTOR", "INTAKE", "MSK", "SUPPORT_USER", "World", "msk", "world"]

MSK = ZoneInfo("Europe/Moscow")
INTAKE = "zdorovie@support.example"
ROBOT = "support@support.example"
DOCTOR = "ivanova@zdorovie.example"  # a doctor: files requests, may not confirm (R15)
CHIEF = "glavvrach@zdorovie.example"  # the clinic's responsible person: may confirm (R15)
CHAT = -1001234567890
SUPPORT_USER = 501
SUPPORT_LOGIN = "ivanov"


CLINIC = {
    "name": "Клиника «Здоровье»",
    "intake_addresses": [INTAKE],
    "allowed_domains": ["zdorovie.example"],
    "confirmers": [CHIEF],
    "queue": "SUP",
    "telegram_chat_id": CHAT,
    "departments": ["Терапия", "Хирургия"],
}


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def settings_for(
    root: Path, tracker: FakeTracker, smtp: SmtpCapture, telegram: FakeTelegram
) -> Settings:
    """A complete configuration of one clinic, pointing at the loopback fakes."""
    data = loopback_config(
        root, tracker, smtp, telegram, customer=CLINIC, from_address=ROBOT,
        bot_token="123456:demo-token", users={SUPPORT_USER: SUPPORT_LOGIN},  # noqa: S106 - the fake's
    )  # fmt: skip
    return Settings.model_validate(data)


def png_pixel() -> bytes:
    """A valid 1×1 PNG: the "screenshot" a doctor attaches."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class Sent:
    """An email the demo delivered into the intake Maildir."""

    message_id: str
    subject: str
    sender: str


def build_email(
    *,
    subject: str,
    body: str,
    sender: str,
    when: datetime,
    to: str = INTAKE,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    screenshot: bool = False,
) -> tuple[str, bytes]:
    """An email as a clinic's mail client would send it, with the Authentication-Results
    header the receiving mail server adds on top (DKIM and SPF passed); (Message-ID, bytes)."""
    shot = [("screenshot.png", png_pixel(), "image/png")] if screenshot else []
    return clinic_email(
        subject=subject, body=body, sender=sender, to=to, when=when, in_reply_to=in_reply_to,
        headers=headers, attachments=shot,
    )  # fmt: skip


@dataclass
class World:
    """A running bridge and everything around it."""

    clock: ManualClock
    tracker: FakeTracker
    smtp: SmtpCapture
    telegram: FakeTelegram
    bridge: Bridge
    settings: Settings
    maildir: Path
    task: asyncio.Task[None]

    def mail(self, **kwargs: Any) -> Sent:
        """Deliver an email into the intake Maildir, dated now."""
        message_id, raw = build_email(when=self.clock.now(), **kwargs)
        deliver(self.maildir, raw, at=self.clock.now())
        return Sent(message_id, str(kwargs["subject"]), str(kwargs["sender"]))

    async def idle(self, within: float = 10.0) -> None:
        """Wait, in real time, until every loop of the daemon sleeps on the clock again.

        Then the work in hand is finished (HTTP to the fakes, Telegram's flood pacing, which
        runs on real time), so moving the clock now skips nothing: the story reads the same on
        a fast machine and a slow one. ``within`` real seconds bound the wait: a loop that
        never goes back to sleep stops the demo, naming it, rather than letting it tell a
        different story.
        """
        loops = len(self.bridge.daemon.loops)
        await asyncio.sleep(0.002)  # the loops the clock just woke are not awake yet
        await eventually(
            lambda: self.clock.sleepers >= loops, within, "every loop asleep on the clock",
            lambda: f"({self.clock.sleepers} of {loops})", every=0.002,
        )  # fmt: skip

    async def step(self, seconds: float) -> None:
        """Once the loops are idle, move the clock ``seconds`` on."""
        await self.idle()
        self.clock.advance(seconds)

    async def settle(self, seconds: float = 60.0, step: float = 5.0) -> None:
        """Let every loop run a few rounds (sync, rules, outbox) with nothing else expected."""
        moved = 0.0
        while moved < seconds:
            await self.step(step)
            moved += step
        await self.idle()

    async def jump(self, when: datetime) -> None:
        """Jump the clock to ``when`` (waking every loop), then let them settle."""
        if when > self.clock.now():
            self.clock.set(when)
        await self.settle(step=10.0)


@contextlib.asynccontextmanager
async def world(start: datetime) -> AsyncIterator[World]:
    """Start the fakes in a temporary directory, wire the bridge, run the daemon; stop all."""
    clock = ManualClock(start)
    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tracker-bridge-demo-")))
        tracker = stack.enter_context(FakeTracker(clock=clock))
        smtp = stack.enter_context(SmtpCapture())
        telegram = stack.enter_context(FakeTelegram(clock=clock))
        telegram.add_chat(CHAT, "Клиника «Здоровье» — поддержка")
        telegram.add_user(SUPPORT_USER, "Иван", SUPPORT_LOGIN)
        settings = settings_for(root, tracker, smtp, telegram)
        overrides = Overrides(
            intervals=Intervals(sync=10.0, rules=30.0, outbox=5.0, mail_wait=5.0),
            tracker_retry=RetryPolicy(
                attempts=3, total_seconds=5, initial_wait=0.01, max_wait=0.05
            ),
            telegram_pacing=False,  # the fake Bot API has no flood limits to respect
        )
        async with open_bridge(settings, clock=clock, overrides=overrides) as bridge:
            task = asyncio.create_task(bridge.daemon.run())
            here = World(clock, tracker, smtp, telegram, bridge, settings, root / "Maildir", task)
            try:
                yield here
            finally:
                bridge.daemon.stop()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, timeout=15)
