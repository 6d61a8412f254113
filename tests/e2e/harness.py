"""The whole daemon, wired from a config, against real parts on loopback and a manual clock.

FakeTracker and FakeTelegram speak real HTTP to the unmodified clients, SMTP is aiosmtpd, the
store is SQLite, mail arrives in a Maildir (or Dovecot); time is a ManualClock that the harness
moves in small steps while the daemon's loops run, so "ten working days later" takes seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from tracker_bridge.config import Settings, load_settings
from tracker_bridge.config.reread import Reread
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.mail.parse_pool import Parser
from tracker_bridge.runtime.daemon import Intervals
from tracker_bridge.runtime.wiring import Bridge, Overrides, open_bridge
from tracker_bridge.testing.config import loopback_config, toml_text
from tracker_bridge.testing.dovecot import MailAccount
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.fake_tracker.catalog import DEFAULT_LOCAL_FIELDS
from tracker_bridge.testing.mails import clinic_email
from tracker_bridge.testing.smtp import SmtpCapture
from tracker_bridge.testing.waiting import eventually, still_running
from tracker_bridge.webhook.setup import install_triggers

T = TypeVar("T")
MSK = ZoneInfo("Europe/Moscow")
INTAKE = "clinic1@support.example"
SUPPORT_FROM = "robot@support.example"
DOCTOR = "doctor@clinic1.example"
CHIEF = "chief@clinic1.example"
INTAKE_2 = "clinic2@support.example"
DOCTOR_2 = "nurse@clinic2.example"
CHAT = -100777
SUPPORT_USER = 501
STRANGER_USER = 502  # in the chat, but not mapped to a Tracker login
WEBHOOK_SECRET = "e2e-webhook-secret-0123456789abcdef"


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


CLINIC_ONE: dict[str, Any] = {
    "name": "clinic-one",
    "intake_addresses": [INTAKE],
    "allowed_domains": ["clinic1.example"],
    "confirmers": [CHIEF],
    "queue": "SUP",
    "telegram_chat_id": CHAT,
    "departments": ["Терапия", "Хирургия"],
}
SECOND_CLINIC: dict[str, Any] = {
    "name": "clinic-two",
    "intake_addresses": [INTAKE_2],
    "allowed_domains": ["clinic2.example"],
    "queue": "CLT",
}


def settings_for(
    root: Path,
    tracker: FakeTracker,
    smtp: SmtpCapture,
    telegram: FakeTelegram | None,
    **options: Any,
) -> Settings:
    """:func:`config_data`'s configuration, validated."""
    return Settings.model_validate(config_data(root, tracker, smtp, telegram, **options))


def config_data(
    root: Path,
    tracker: FakeTracker,
    smtp: SmtpCapture,
    telegram: FakeTelegram | None,
    *,
    second_clinic: bool = False,
    concurrency: int | None = None,
    imap: MailAccount | None = None,
    webhook_port: int | None = None,
    adjust: Callable[[dict[str, Any]], None] | None = None,
    config: Mapping[str, Any] | None = None,
    mail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete configuration's raw data (what a TOML file holds) pointing at the loopback
    fakes (one clinic, or two); mail from a Maildir under ``root``, or from ``imap``'s INBOX
    (STARTTLS URL: open the bridge with ``Overrides(imap_security="plain")``); ``config`` adds
    top-level tables (``{"regulation": {…}, "calendar": {…}}``)."""
    data = loopback_config(
        root, tracker, smtp, telegram, customer=CLINIC_ONE, from_address=SUPPORT_FROM,
        bot_token="123456:e2e-token", users={SUPPORT_USER: "ivanov"}, webhook_port=webhook_port,
        webhook_secret=WEBHOOK_SECRET,
    )  # fmt: skip
    if imap is not None:
        data["mail"] = {"source": f"imap://{imap.user}@{imap.host}:{imap.port}"}
        data["imap_password"] = imap.password
    data["mail"].update(mail or {})
    if second_clinic:
        data["customers"].append(dict(SECOND_CLINIC))
    if concurrency is not None:
        data["tracker"]["concurrency"] = concurrency
    if adjust is not None:
        adjust(data)
    for table, values in (config or {}).items():
        data[table] = {**data.get(table, {}), **values}
    return data


# A plain email as a clinic's mail client would send it; (Message-ID, bytes).
email = partial(
    clinic_email, sender=DOCTOR, to=INTAKE, when=datetime(2026, 3, 2, 12, tzinfo=MSK),
    id_domain="clinic1.example",
)  # fmt: skip


def text_of(message: EmailMessage) -> str:
    """The plain-text body of a notification the bridge sent."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "a notification without a text/plain part"
    return str(part.get_content())


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
    settings: Settings | None = None
    overrides: Overrides | None = None
    bridges: contextlib.AsyncExitStack | None = None
    config_file: Path | None = None  # running_world(from_file=True): the TOML file it runs on

    def mail(self, **kwargs: Any) -> str:
        """Deliver an email into the intake Maildir; its Message-ID."""
        message_id, raw = email(when=self.clock.now(), **kwargs)
        deliver(self.maildir, raw, at=self.clock.now())  # delivered now on the test's clock
        return message_id

    def reply(self, to: EmailMessage, body: str, **kwargs: Any) -> str:
        """The requester answers one of the bridge's mails ("Re:" its subject, In-Reply-To its
        Message-ID); the answer's Message-ID."""
        subject, parent = f"Re: {to['Subject']}", str(to["Message-ID"])
        return self.mail(subject=subject, body=body, in_reply_to=parent, **kwargs)

    def deliver(self, raw: bytes) -> None:
        """Deliver raw bytes (a bounce, a message from the corpus) into the intake Maildir."""
        deliver(self.maildir, raw, at=self.clock.now())

    async def run_until(
        self, done: Callable[[], bool], *, step: float = 1.0, limit: float = 3600.0
    ) -> None:
        """Move the clock in ``step`` seconds while the loops work, until ``done()``."""
        alive = still_running(self.task)
        await eventually(done, limit, clock=self.clock, step=step, alive=alive)

    async def recovery_seconds(
        self, done: Callable[[], bool], what: str, *, within: float = 120.0
    ) -> float:
        """Clock seconds until ``done()``, each second giving the real work (a reconnect in a
        worker thread, a parse in a worker process) half a real second first: the backoff's
        share of a recovery, not how busy this machine is."""
        alive = still_running(self.task)
        return await eventually(done, within, what, clock=self.clock, patience=0.5, alive=alive)

    async def drive(self, work: Awaitable[T], *, step: float = 0.05, limit: float = 3600.0) -> T:
        """Await ``work`` while moving the clock in ``step`` seconds (retries and backoff wait
        on the clock, so a call made from the test needs time to pass to finish)."""
        task = asyncio.ensure_future(work)
        await eventually(task.done, limit, "the call done", clock=self.clock, step=step)
        return await task

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

    async def restart(self, *, meanwhile: Callable[[], None] | None = None) -> None:
        """Stop the daemon, close its bridge, and run a second bridge on the same store path
        (a service restart: only what the SQLite store and the remote systems hold survives).
        ``meanwhile`` runs while nothing is open: an operator deleting or restoring the store."""
        assert self.settings is not None and self.bridges is not None
        await self.stop_daemon()
        await self.bridges.aclose()
        if meanwhile is not None:
            meanwhile()
        self.bridges = contextlib.AsyncExitStack()
        self.bridge = await self.bridges.enter_async_context(
            open_bridge(self.settings, clock=self.clock, overrides=self.overrides)
        )
        self.task = asyncio.create_task(self.bridge.daemon.run())

    async def stop_daemon(self) -> None:
        """Stop the daemon (as SIGTERM would) and wait for it; the bridge stays open."""
        self.bridge.daemon.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, timeout=15)

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.smtp.messages if address in str(m["To"])]

    def subjects_to(self, address: str) -> list[str]:
        return [str(m["Subject"]) for m in self.mails_to(address)]

    def comments(self, key: str) -> list[str]:
        """The texts of an issue's comments that are not deleted, oldest first."""
        return [c.text for c in self.tracker.comments.get(key, []) if not c.deleted]

    def folder(self, name: str) -> list[Path]:
        """The messages in a Maildir folder (``".Processed"``, ``".Quarantine"``, ``""``)."""
        base = self.maildir / name if name else self.maildir
        return [
            f for sub in ("new", "cur") if (base / sub).is_dir() for f in (base / sub).iterdir()
        ]

    def chat_texts(self) -> list[str]:
        """The bot's live messages in the customer's chat, as they read now."""
        assert self.telegram is not None, "running_world(telegram=True) for Telegram"
        return [m.text for m in self.telegram.bot_messages(CHAT)]


def fast_overrides() -> Overrides:
    """Fast loops and short Tracker retries for a world driven by a manual clock."""
    return Overrides(
        intervals=Intervals(sync=10.0, rules=30.0, outbox=5.0, mail_wait=5.0),
        tracker_retry=RetryPolicy(attempts=3, total_seconds=5, initial_wait=0.01, max_wait=0.05),
    )


def free_port() -> int:
    """A port nothing listens on right now (the OS's choice for port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _install_triggers(bridge: Bridge) -> None:
    settings = bridge.settings
    lines = await install_triggers(
        bridge.gateway,
        queues=sorted({c.queue for c in settings.customers}),
        hook=settings.webhook,
        secret=WEBHOOK_SECRET,
    )
    assert all(line.ok for line in lines), lines


@contextlib.asynccontextmanager
async def running_world(
    root: Path,
    *,
    start: str = "2026-03-02 11:00",
    telegram: bool = False,
    second_clinic: bool = False,
    concurrency: int | None = None,
    webhook: bool = False,
    intervals: Intervals | None = None,
    production: bool = False,
    adjust: Callable[[dict[str, Any]], None] | None = None,
    config: Mapping[str, Any] | None = None,
    before_start: Callable[[FakeTracker, FakeTelegram | None], None] | None = None,
    tracker_switches: Mapping[str, Any] | None = None,
    mail: dict[str, Any] | None = None,
    imap: MailAccount | None = None,
    parser: Parser | None = None,
    from_file: bool = False,
) -> AsyncIterator[World]:
    """Start the fakes, wire the bridge from a config, run the daemon; stop it all after.

    ``second_clinic`` adds clinic-two (intake ``INTAKE_2``, queue CLT) beside clinic-one;
    ``concurrency`` sets ``tracker.concurrency`` (the default otherwise); ``webhook`` turns the
    trigger webhook on and installs each queue's trigger in the fake with
    ``tracker-bridge webhook install``'s code; ``intervals`` replaces the fast loop intervals;
    ``production`` runs the loops and the retries at their production defaults (on the manual
    clock) instead of the fast ones; ``adjust`` edits the configuration's data before it is
    validated; ``before_start`` arms the fakes' faults before the daemon starts;
    ``tracker_switches`` moves FakeTracker's switches for behaviours the docs leave open (its
    ``switches`` module); ``mail`` adds keys of the ``[mail]`` table; ``imap`` reads mail from
    that (loopback, plain) Dovecot account's INBOX instead of the Maildir; ``parser`` replaces
    what the parser workers run (a hostile parser); ``from_file`` writes the configuration to
    ``root/tracker-bridge.toml`` and loads it as ``run`` does (an inline secret changed in the
    file is read again)."""
    clock = ManualClock(msk(start))
    with contextlib.ExitStack() as stack:
        tracker = stack.enter_context(FakeTracker(clock=clock, **dict(tracker_switches or {})))
        smtp = stack.enter_context(SmtpCapture())
        tg = stack.enter_context(FakeTelegram(clock=clock)) if telegram else None
        if tg is not None:
            tg.add_chat(CHAT, "Клиника 1 — поддержка")
            tg.add_user(SUPPORT_USER, "Иван", "ivanov")
            tg.add_user(STRANGER_USER, "Пётр", "petr_guest")
        if second_clinic:
            tracker.add_queue("CLT", "Клиника 2", local_fields=DEFAULT_LOCAL_FIELDS)
        data = config_data(
            root,
            tracker,
            smtp,
            tg,
            second_clinic=second_clinic,
            concurrency=concurrency,
            webhook_port=free_port() if webhook else None,
            adjust=adjust,
            config=config,
            mail=mail,
            imap=imap,
        )
        config_file = root / "tracker-bridge.toml" if from_file else None
        if config_file is not None:
            config_file.write_text(toml_text(data), encoding="utf-8")
            settings = load_settings(config_file, environ={})
        else:
            settings = Settings.model_validate(data)
        overrides = Overrides() if production else fast_overrides()
        if intervals is not None:
            overrides = replace(overrides, intervals=intervals)
        if imap is not None:  # only the loopback Dovecot speaks plain IMAP
            overrides = replace(overrides, imap_security="plain")
        if parser is not None:
            overrides = replace(overrides, parser=parser)
        if config_file is not None:
            overrides = replace(overrides, reread=Reread.of(config_file, {}))
        if before_start is not None:
            before_start(tracker, tg)
        bridges = contextlib.AsyncExitStack()
        async with bridges:
            bridge = await bridges.enter_async_context(
                open_bridge(settings, clock=clock, overrides=overrides)
            )
            if webhook:
                await _install_triggers(bridge)
            task = asyncio.create_task(bridge.daemon.run())
            world = World(clock, tracker, smtp, tg, bridge, root / "Maildir", task)
            world.settings, world.overrides, world.bridges = settings, overrides, bridges
            world.config_file = config_file
            try:
                yield world
            finally:
                await world.stop_daemon()
                await world.bridges.aclose()
