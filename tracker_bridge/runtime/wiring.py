"""Wiring: one function turns :class:`~tracker_bridge.config.Settings` into a running bridge.

Everything is built here and nowhere else (cosmic ``bootstrap.py``, without defaults evaluated at
import): the store, the calendar, the Tracker gateway, the mail source and sender, the Telegram
mirror, the effects, the loops. :func:`open_bridge` is an async context manager that owns every
resource it opened, so tests, the demo and ``tracker-bridge run`` shut down the same way.
"""

from __future__ import annotations

import asyncio
import html
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import structlog
from pydantic import SecretStr

from tracker_bridge.config import Settings
from tracker_bridge.config.reread import Reread
from tracker_bridge.foundation.clock import Clock
from tracker_bridge.foundation.extras import require_extra
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.mail.imap_session import ImapSettings, Security
from tracker_bridge.mail.imap_source import ImapSource
from tracker_bridge.mail.loop_guard import LoopCaps
from tracker_bridge.mail.maildir_source import MaildirSource
from tracker_bridge.mail.outbound import SmtpSender, blames_recipient
from tracker_bridge.mail.outbound import SmtpSettings as SenderSettings
from tracker_bridge.mail.parse_pool import ParsePool, Parser, inline_parser
from tracker_bridge.mail.render import TemplateRenderer
from tracker_bridge.mail.sent_folder import ImapSentFolder, MaildirSentFolder, SentFolder
from tracker_bridge.mail.source import MailSource, MailSourceError
from tracker_bridge.mail.tls import trust
from tracker_bridge.observability.calendar_watch import CalendarWatch
from tracker_bridge.observability.health import DEFAULT_THRESHOLDS, Health
from tracker_bridge.observability.metrics import Metrics
from tracker_bridge.observability.outages import Outage, Outages
from tracker_bridge.regulation.actions import Action
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import Customer, IssueView
from tracker_bridge.runtime.daemon import Daemon, Intervals
from tracker_bridge.service.effects import Effects, TransientEffectError
from tracker_bridge.service.intake import Intake, IntakeDecisions, IssueReader
from tracker_bridge.service.issue_reader import TrackerIssueReader
from tracker_bridge.service.outbox import Outbox, OutboxIdentity
from tracker_bridge.service.rules_pass import RulesPass
from tracker_bridge.service.stall_guard import StallGuard
from tracker_bridge.store.instance import InstanceLock
from tracker_bridge.store.protocol import Store
from tracker_bridge.store.records import StoreError
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.telegram.card_ledger import CardLedger, TrackerCardLedger
from tracker_bridge.telegram.errors import TelegramPermanent, TelegramTransient
from tracker_bridge.tracker.errors import TrackerPermanent, TrackerTransient, fixable_verdict
from tracker_bridge.tracker.gateway import Credential, TrackerGateway
from tracker_bridge.tracker.sync import TrackerSync
from tracker_bridge.tracker.views import ViewSettings
from tracker_bridge.webhook.health import WebhookHealth
from tracker_bridge.webhook.hints import Hints
from tracker_bridge.webhook.metrics import WebhookMetrics
from tracker_bridge.webhook.reads import WebhookReads

if TYPE_CHECKING:
    from tracker_bridge.service.effects import TelegramPort
    from tracker_bridge.store.leadership import Leadership
    from tracker_bridge.telegram.mirror import TelegramMirror
    from tracker_bridge.webhook.server import WebhookServer

__all__ = [
    "Bridge",
    "Overrides",
    "gateway_for",
    "intake_decisions",
    "open_bridge",
    "own_addresses",
    "secret_of",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Overrides:
    """What tests and the demo change about an otherwise configured bridge."""

    intervals: Intervals = field(default_factory=Intervals)
    imap_ssl_context: ssl.SSLContext | None = None
    smtp_ssl_context: ssl.SSLContext | None = None
    imap_security: Security | None = None  # "plain" for a loopback test server
    tracker_retry: RetryPolicy | None = None
    store: Store | None = None
    mail_domain: str | None = None
    # Telegram's flood limits paced in real time; a fake Bot API on a fast clock needs none
    telegram_pacing: bool = True
    # on a PostgreSQL store, called once if this daemon has to wait as a standby (who leads)
    on_standby: Callable[[str], None] | None = None
    # what the parser workers run: a test injects a parser that hangs on a marked message
    parser: Parser = inline_parser
    # how the settings were loaded (``run`` passes its loader): an inline secret changed in the
    # TOML file or the credentials directory is read again without a restart
    reread: Reread | None = None


@dataclass
class Bridge:
    """Every part of a running bridge, for the CLI, tests and the demo to reach into."""

    settings: Settings
    clock: Clock
    store: Store
    calendar: WorkCalendar
    customers: tuple[Customer, ...]
    gateway: TrackerGateway
    reader: TrackerIssueReader
    effects: Effects
    intake: Intake
    sync: TrackerSync
    rules: RulesPass
    outbox: Outbox
    source: MailSource
    mirror: TelegramMirror | None
    daemon: Daemon
    metrics: Metrics
    health: Health
    webhook: WebhookReads | None = None
    webhook_server: WebhookServer | None = None
    # on a PostgreSQL store: this daemon's leadership (role, epoch, the fence)
    leadership: Leadership | None = None


def _step_down_when_lost(leader: Leadership | None, daemon: Daemon, metrics: Metrics) -> None:
    """A leader that loses the store stops its daemon (told from the thread that met it)."""
    if leader is None:
        return
    loop = asyncio.get_running_loop()

    def lost() -> None:
        loop.call_soon_threadsafe(_step_down, daemon, metrics)

    leader.on_lost = lost


def _step_down(daemon: Daemon, metrics: Metrics) -> None:
    """Leadership lost: act no more; the process ends (and, restarted, waits as a standby)."""
    metrics.set_role("fenced")
    daemon.stop()


class _LeaseKeeper:
    """Renews the leader's lease while the daemon runs (a daemon service)."""

    def __init__(self, leader: Leadership) -> None:
        self._leader = leader
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._leader.keep(), name="lease")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _keeper(leader: Leadership | None, metrics: Metrics) -> _LeaseKeeper | None:
    if leader is None:
        return None
    metrics.set_role(leader.role)
    return _LeaseKeeper(leader)


def _fence_of(leader: Leadership) -> Callable[[], Awaitable[None]]:
    """The check every external effect makes first: still the leader? (one round trip)"""

    async def fence() -> None:
        await asyncio.to_thread(leader.check)

    return fence


def secret_of(value: object) -> str | None:
    """A secret setting's value (``None`` when unset); only ever passed to the client using it."""
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if getter is not None else None


def _inline_secret(
    value: SecretStr | None, reread: Reread | None, pick: Callable[[Settings], SecretStr | None]
) -> Credential | None:
    """An inline secret: as loaded, or — when the daemon knows how it loaded its settings —
    read again from them once the TOML file or a credential changed (no restart needed)."""
    if value is None:
        return None
    return reread.secret(value, pick) if reread is not None else value.get_secret_value()


def read_secret_file(path: Path) -> Callable[[], str]:
    """A secret kept in a file, read again each time it is needed (a rotated token or password
    is picked up without a restart)."""
    return lambda: path.read_text(encoding="utf-8").strip()


def gateway_for(
    settings: Settings,
    retry: RetryPolicy | None = None,
    clock: Clock | None = None,
    observer: Callable[[BaseException | None], None] | None = None,
    reread: Reread | None = None,
) -> TrackerGateway:
    """A Tracker gateway configured as the daemon's (close it with ``async with``)."""
    tracker = settings.tracker
    token = _inline_secret(settings.tracker_token, reread, lambda s: s.tracker_token)
    iam_token = _inline_secret(settings.tracker_iam_token, reread, lambda s: s.tracker_iam_token)
    if tracker.token_file is not None:
        token = read_secret_file(tracker.token_file)
    if tracker.iam_token_file is not None:
        iam_token = read_secret_file(tracker.iam_token_file)
    return TrackerGateway(
        base_url=tracker.base_url,
        token=token,
        iam_token=iam_token,
        org_id=tracker.org_id,
        cloud_org_id=tracker.cloud_org_id,
        field_ids=settings.tracker.fields.by_logical_name(),
        status_map=settings.status_map(),
        retry=retry,
        workers=tracker.concurrency,
        clock=clock,
        resolution=tracker.resolution,
        resolutions=tracker.resolutions_by_status(),
        deadline_zone=ZoneInfo(settings.calendar.timezone),  # Tracker's date: the calendar's day
        observer=observer,
    )


async def _open_store(
    settings: Settings,
    stack: AsyncExitStack,
    clock: Clock,
    on_standby: Callable[[str], None] | None = None,
) -> tuple[Store, Leadership | None]:
    """The configured store, once this daemon may act on it: exactly one active daemon per
    store. SQLite (``store_path``): a second daemon refuses before it reads the inbox or opens
    the store. PostgreSQL (``store_url``): a second daemon waits as a hot standby and takes
    over when the leader dies or stops renewing its lease (tracker_bridge.store.leadership)."""
    if settings.store_url is None:
        lock = stack.enter_context(InstanceLock(settings.store_path))
        holder = lock.acquire(since=clock.now())
        log.info("instance.acquired", lock=str(lock.path), pid=holder.pid, host=holder.host)
        # group commit: the event loop never waits on an fsync (tracker_bridge.store.wal_sync)
        store = SqliteStore(settings.store_path, group_commit=True)
        return stack.enter_context(store), None
    # psycopg is imported only for a PostgreSQL store (an optional dependency)
    require_extra("postgres", "a PostgreSQL store (store_url)")
    from tracker_bridge.store.leadership import Leadership, LeaseSettings  # noqa: PLC0415
    from tracker_bridge.store.postgres import PostgresStore  # noqa: PLC0415

    password = secret_of(settings.store_password)
    failover = settings.failover
    lease = LeaseSettings(failover.lease, failover.check_interval)
    leader = Leadership(settings.store_url, clock=clock, lease=lease, password=password)
    stack.callback(leader.release)
    holder = await leader.acquire(since=clock.now(), on_standby=on_standby)
    log.info("instance.acquired", lock=leader.name, pid=holder.pid, host=holder.host)
    fenced = PostgresStore(settings.store_url, password=password, fence_epoch=leader.epoch)
    return stack.enter_context(fenced), leader


def _source(
    settings: Settings, store: Store, clock: Clock, overrides: Overrides, metrics: Metrics
) -> MailSource:
    mail = settings.mail
    if mail.maildir is not None:
        return MaildirSource(
            mail.maildir,
            clock=clock,
            done_folder=mail.done_folder,
            quarantine_folder=mail.folders.quarantine,
            poll_interval=min(1.0, mail.poll_interval.total_seconds()),
        )
    return ImapSource(
        _imap_settings(settings, overrides),
        clock=clock,
        store=store,
        on_retry=lambda: metrics.retries.labels(system="imap").inc(),
    )


def sent_folder(settings: Settings, overrides: Overrides) -> SentFolder | None:
    """Where copies of notifications are filed and looked up (``mail.keep_sent``): the
    daemon's, and what ``replay`` searches."""
    mail = settings.mail
    if not mail.keep_sent:
        return None
    if mail.maildir is not None:
        return MaildirSentFolder(mail.maildir, mail.folders.sent)
    return ImapSentFolder(_imap_settings(settings, overrides), mail.folders.sent)


def _imap_settings(settings: Settings, overrides: Overrides) -> ImapSettings:
    mail = settings.mail
    endpoint = mail.imap
    assert endpoint is not None  # config guarantees one of the two
    return ImapSettings(
        host=endpoint.host,
        user=endpoint.username,
        password=secret_of(settings.imap_password) or "",
        port=endpoint.port,
        security=overrides.imap_security or endpoint.security,
        ssl_context=overrides.imap_ssl_context or trust(mail.ca_file),
        mailbox=mail.folders.inbox,
        done_folder=mail.done_folder,
        quarantine_folder=mail.folders.quarantine,
        idle_renew=mail.idle_timeout.total_seconds(),
        poll_interval=mail.poll_interval.total_seconds(),
    )


def _outbox(
    settings: Settings,
    store: Store,
    clock: Clock,
    overrides: Overrides,
    metrics: Metrics,
    *,
    sent: SentFolder | None,
    outages: Outages,
    fence: Callable[[], Awaitable[None]] | None,
    gate: Callable[[], None] | None,
) -> Outbox:
    smtp = settings.smtp
    sender = SmtpSender(
        SenderSettings(
            host=smtp.host,
            port=smtp.effective_port,
            security=smtp.security,
            username=smtp.username,
            password=(
                read_secret_file(smtp.password_file)
                if smtp.password_file is not None
                else _inline_secret(settings.smtp_password, overrides.reread, _smtp_password)
            ),
        ),
        ssl_context=overrides.smtp_ssl_context or trust(smtp.ca_file),
    )
    domain = overrides.mail_domain or smtp.from_address.rpartition("@")[2]
    identity = OutboxIdentity(smtp.from_address, smtp.from_name, domain, smtp.reply_to)
    renderer = TemplateRenderer(settings.template_dir)
    return Outbox(
        store,
        clock,
        renderer,
        sender,
        identity,
        metrics=metrics,
        sent=sent,
        outages=outages,
        fence=fence,
        gate=gate,
        server_files_sent=settings.mail.sent_copies_by == "server",
    )


def _smtp_password(settings: Settings) -> SecretStr | None:
    return settings.smtp_password


def own_addresses(settings: Settings) -> frozenset[str]:
    """Our own addresses (every intake address, From, Reply-To): mail from them is never
    answered, and is not a customer's request."""
    own = {a for c in settings.customers_core() for a in c.intake_addresses}
    own.add(settings.smtp.from_address)
    if settings.smtp.reply_to:
        own.add(settings.smtp.reply_to)
    return frozenset(a.lower() for a in own)


def intake_decisions(
    settings: Settings,
    store: Store,
    clock: Clock,
    issues: IssueReader,
    *,
    sent: SentFolder | None = None,
    calendar: WorkCalendar | None = None,
    metrics: Metrics | None = None,
) -> IntakeDecisions:
    """How the intake decides about a mail, as configured — the daemon's, and replay's."""
    return IntakeDecisions(
        store=store,
        clock=clock,
        calendar=calendar or settings.to_calendar(),
        policy=settings.policy(),
        customers=settings.customers_core(),
        issues=issues,
        own_addresses=own_addresses(settings),
        sent=sent,
        loop_caps=_loop_caps(settings),
        confirmation_authentication=settings.mail.confirmation_authentication,
        metrics=metrics,
    )


# Errors that mean "the world is down, try again later": a message that meets one stays in the
# inbox; anything else it meets is a bug or a poison message and quarantines it.
TRANSIENT: tuple[type[Exception], ...] = (
    TransientEffectError,
    TrackerTransient,
    TelegramTransient,
    MailSourceError,
    StoreError,
)


class _SyncLoop:
    """The daemon's view of sync: changed keys, with their fresh snapshots handed to the reader."""

    def __init__(
        self,
        sync: TrackerSync,
        reader: TrackerIssueReader,
        metrics: Metrics,
        clock: Clock,
        webhook: WebhookHealth | None = None,
    ) -> None:
        self._sync, self._reader, self._metrics, self._clock = sync, reader, metrics, clock
        self._webhook = webhook

    async def cycle(self) -> list[str]:
        result = await self._sync.cycle()
        now = self._clock.now()
        self._metrics.mark_contact("tracker", now)
        self._reader.prime(result.changed)
        if self._webhook is not None and not result.full:
            # news the webhook should have brought
            self._webhook.polled([(i.key, i.last_activity) for i in result.changed], now)
        return list(result.keys)


def _mirror(
    settings: Settings,
    store: Store,
    clock: Clock,
    calendar: WorkCalendar,
    *,
    views: dict[str, IssueView],
    on_actions: Callable[[Sequence[Action], str], Awaitable[None]],
    on_contact: Callable[[bool], None],
    ledger: CardLedger,
    paced: bool = True,
) -> TelegramMirror | None:
    tg = settings.telegram
    token = secret_of(settings.telegram_bot_token)
    if not tg.enabled or token is None:
        return None
    # python-telegram-bot weighs ~11 MiB of RSS: it is imported only when Telegram is on
    from tracker_bridge.telegram.context import Access  # noqa: PLC0415
    from tracker_bridge.telegram.mirror import MirrorSettings, TelegramMirror  # noqa: PLC0415

    return TelegramMirror(
        MirrorSettings.from_base(token, tg.base_url)
        if paced
        else MirrorSettings.from_base(token, tg.base_url, overall_per_second=0, group_per_minute=0),
        access=Access.from_customers(settings.customers_core(), tg.users),
        cards=store,
        clock=clock,
        calendar=calendar,
        policy=settings.policy(),
        views=views,
        on_actions=on_actions,
        on_contact=on_contact,
        ledger=ledger,
        support_chat=tg.ops_chat_id,
        sends=store,
    )


def _lift_server_suppressions(store: Store) -> None:
    """Older versions suppressed a customer's address when the SMTP *server* refused us (a
    wrong password, a relay refusal): such suppressions are lifted at start, so a fixed
    password reaches everyone again. A recipient's own refusal stays."""
    for address, reason, _at in store.bounced():
        code = next((int(w) for w in reason.split() if w.isdigit() and len(w) == 3), 550)
        if not blames_recipient(code, reason):
            store.lift_bounce(address)
            log.warning("suppression.lifted", address=address, reason=reason, why="server error")


def _ops_alert(mirror: TelegramMirror, chat_id: int) -> Callable[[Outage], Awaitable[None]]:
    async def alert(outage: Outage) -> None:
        text = (
            f"⚠️ <b>tracker-bridge: {html.escape(outage.system)} needs an operator</b>\n"
            f"{html.escape(outage.reason)}\n"
            "Mail waits in the inbox and actions wait in the journal; work resumes by itself "
            "once this is fixed."
        )
        await mirror.send_notice(chat_id, text)

    return alert


def _telegram_port(
    mirror: TelegramMirror | None,
    sent: SentFolder | None,
    settings: Settings,
    overrides: Overrides,
    clock: Clock,
) -> TelegramPort | None:
    """The effects' way to Telegram; with a Sent folder, alerts and digests are recorded there
    (a lost or restored database posts none again)."""
    if mirror is None:
        return None
    from tracker_bridge.telegram.port import EffectsPort  # noqa: PLC0415 - see _mirror
    from tracker_bridge.telegram.sent_record import RecordedTelegram  # noqa: PLC0415

    port = EffectsPort(mirror)
    if sent is None:
        return port
    address = settings.smtp.from_address
    domain = overrides.mail_domain or address.rpartition("@")[2]
    return RecordedTelegram(port, sent, clock, from_addr=address, domain=domain)


def _webhook(  # noqa: PLR0917 - the parts it joins, each built once in open_bridge
    settings: Settings,
    clock: Clock,
    metrics: Metrics,
    gateway: TrackerGateway,
    sync: TrackerSync,
    reader: TrackerIssueReader,
    customers: Sequence[Customer],
) -> tuple[WebhookReads, WebhookServer] | None:
    """The webhook's reads and its HTTP server, when ``webhook.enabled`` (its metrics always)."""
    hook = settings.webhook
    webhook_metrics = WebhookMetrics(metrics.registry)
    secret = secret_of(settings.webhook_secret)
    if not hook.enabled or secret is None:
        return None
    # aiohttp weighs ~10 MiB of RSS and a few hundred ms of start: imported only when it serves
    from tracker_bridge.webhook.server import WebhookServer  # noqa: PLC0415

    hints = Hints()
    health = WebhookHealth(webhook_metrics, hook.missed_grace, hook.healthy_window)
    reads = WebhookReads(
        hints=hints,
        gateway=gateway,
        sync=sync,
        reader=reader,
        health=health,
        metrics=webhook_metrics,
        healthy_poll_interval=hook.healthy_poll_interval.total_seconds(),
    )
    server = WebhookServer(
        host=hook.host,
        port=hook.port,
        path=hook.path,
        secret=secret,
        queues={c.queue for c in customers},
        hints=hints,
        health=health,
        metrics=webhook_metrics,
        clock=clock,
        max_body=hook.max_body_bytes,
        rate=hook.rate_per_second,
        burst=hook.rate_burst,
    )
    return reads, server


def _intake_guards(
    settings: Settings, over: Overrides, stack: AsyncExitStack
) -> tuple[ParsePool, StallGuard]:
    """The worker processes that parse mail off the event loop, bounded by mail.limits, and
    the stall guard that puts a message whose handling keeps the loop busy on record (the
    intake reports to it); both stopped with the bridge."""
    limits = settings.mail.limits
    parsers = ParsePool(
        workers=limits.parse_workers,
        timeout=limits.parse_timeout.total_seconds(),
        memory_mib=limits.parse_memory_mib,
        parser=over.parser,
    )
    stack.push_async_callback(parsers.close)
    guard = StallGuard()
    guard.start()
    stack.callback(guard.stop)
    return parsers, guard


def _loop_caps(settings: Settings) -> LoopCaps:
    """The mail-loop caps per domain, per robot and per domain's new requests (mail.limits)."""
    limits = settings.mail.limits
    return LoopCaps(
        limits.answers_per_domain, limits.requests_per_sender, limits.requests_per_domain
    )


def _intake(
    settings: Settings,
    store: Store,
    clock: Clock,
    calendar: WorkCalendar,
    *,
    effects: Effects,
    reader: TrackerIssueReader,
    sent: SentFolder | None,
    parsers: ParsePool,
    metrics: Metrics,
    stall_guard: StallGuard,
) -> Intake:
    limits = settings.mail.limits
    return Intake(
        store=store,
        clock=clock,
        calendar=calendar,
        effects=effects,
        decisions=intake_decisions(
            settings, store, clock, reader, sent=sent, calendar=calendar, metrics=metrics
        ),
        parse=parsers.parse,
        poison_attempts=limits.poison_attempts,
        attachments=(limits.attachments, limits.attachment_bytes),
        parse_slots=limits.parse_workers,
        metrics=metrics,
        stall_guard=stall_guard,
    )


def _health(settings: Settings, clock: Clock, outages: Outages) -> Health:
    """Every loop that runs is watched: Telegram's polling only when it is on."""
    watched = [k for k in DEFAULT_THRESHOLDS if k != "telegram" or settings.telegram.enabled]
    return Health(clock.now(), {k: DEFAULT_THRESHOLDS[k] for k in watched}, outages=outages)


def _look_at_every_tracked_issue(rules: RulesPass, store: Store, clock: Clock) -> None:
    """The wake-up schedule (reminders, auto-close, breaches) and the changes sync reported but
    nobody evaluated lived in the previous process's memory: the rules loop looks at every
    tracked issue once, so a restart forgets no duty (sync stays incremental)."""
    for tracked in store.tracked_issues():
        rules.schedule.set(tracked.issue_key, clock.now())


@asynccontextmanager
async def open_bridge(
    settings: Settings, *, clock: Clock, overrides: Overrides | None = None
) -> AsyncIterator[Bridge]:
    """Build every part from ``settings``, each once and whole, in the order they need one
    another; close them all on exit."""
    over = overrides or Overrides()
    async with AsyncExitStack() as stack:
        store, leader = (
            (over.store, None)
            if over.store is not None
            else await _open_store(settings, stack, clock, over.on_standby)
        )
        fence = None if leader is None else _fence_of(leader)
        calendar = settings.to_calendar()
        policy, customers = settings.policy(), settings.customers_core()
        metrics = Metrics()
        ops_chat = settings.telegram.ops_chat_id

        # The Telegram side and the service need one another: the mirror's commands act through
        # the effects and the rules pass, the effects post cards through the mirror, an outage
        # alert goes out through the mirror. These three close over parts built further down.
        async def on_telegram_actions(actions: Sequence[Action], customer: str) -> None:
            await effects.run(list(actions), customer=customer)
            keys = [ref for a in actions if isinstance(ref := getattr(a, "issue", None), str)]
            await rules.many(keys)

        async def alert_operators(outage: Outage) -> None:
            assert mirror is not None and ops_chat is not None  # given to Outages only then
            await _ops_alert(mirror, ops_chat)(outage)

        def telegram_contact(polled: bool) -> None:
            metrics.mark_contact("telegram", clock.now())
            if polled:
                health.beat("telegram", clock.now())

        telegram_on = settings.telegram.enabled and settings.telegram_bot_token is not None
        outages = Outages(
            on_change=metrics.dependency,
            alert=alert_operators if telegram_on and ops_chat is not None else None,
        )
        retry = replace(
            over.tracker_retry or RetryPolicy(),
            on_retry=lambda _call: metrics.retries.labels(system="tracker").inc(),
        )
        gateway = await stack.enter_async_context(
            gateway_for(
                settings,
                retry,
                clock,
                observer=lambda error: outages.note("tracker", error, clock.now()),
                reread=over.reread,
            )
        )
        view_settings = ViewSettings(
            settings.status_map(), None, settings.tracker.fields.by_logical_name()
        )
        reader = TrackerIssueReader(gateway, store, clock, customers, view_settings)
        views: dict[str, IssueView] = {}
        health = _health(settings, clock, outages)
        mirror = _mirror(
            settings,
            store,
            clock,
            calendar,
            views=views,
            on_actions=on_telegram_actions,
            on_contact=telegram_contact,
            ledger=TrackerCardLedger(gateway),
            paced=over.telegram_pacing,
        )
        sent = sent_folder(settings, over)
        if sent is not None:
            stack.push_async_callback(sent.close)
        effects = Effects(
            store,
            clock,
            tracker=gateway,
            telegram=_telegram_port(mirror, sent, settings, over, clock),
            transient=(TrackerTransient, TelegramTransient),
            permanent=(TrackerPermanent, TelegramPermanent),
            metrics=metrics,
            fence=fence,
            fixable=fixable_verdict,
        )
        rules = RulesPass(
            clock=clock,
            calendar=calendar,
            policy=policy,
            effects=effects,
            issues=reader,
            views=views,
            metrics=metrics,
            concurrency=settings.tracker.concurrency,
        )
        _look_at_every_tracked_issue(rules, store, clock)
        source = _source(settings, store, clock, over, metrics)
        stack.push_async_callback(source.close)
        parsers, stall_guard = _intake_guards(settings, over, stack)
        intake = _intake(
            settings,
            store,
            clock,
            calendar,
            effects=effects,
            reader=reader,
            sent=sent,
            parsers=parsers,
            metrics=metrics,
            stall_guard=stall_guard,
        )
        sync = TrackerSync(
            gateway,
            store,
            queues=sorted({c.queue for c in customers}),
            tracked=lambda: [t.issue_key for t in store.tracked_issues()],
            now=clock.now,
        )
        # an issue as our own create answered it is evaluated from that answer: the sync need
        # not report that version again (issue 11.10: one request per new email, also when a
        # backlog outlasts the sync interval and the read cache has long dropped the issue)
        gateway.on_created = sync.note
        # fenced before each email, and once more right before SMTP's final "."
        outbox = _outbox(
            settings, store, clock, over, metrics, sent=sent, outages=outages, fence=fence,
            gate=None if leader is None else leader.gate,
        )  # fmt: skip
        # the intake's wait ends at least every idle_timeout (and every INTAKE_REFRESH)
        mail_wait = min(over.intervals.mail_wait, settings.mail.idle_timeout.total_seconds())
        webhook_reads, webhook_server = _webhook(
            settings, clock, metrics, gateway, sync, reader, customers
        ) or (None, None)
        if webhook_reads is not None:
            health.add_part("webhook", webhook_reads.health.to_json)
        _lift_server_suppressions(store)
        daemon = Daemon(
            clock=clock,
            source=source,
            intake=intake,
            sync=_SyncLoop(
                sync, reader, metrics, clock, webhook_reads.health if webhook_reads else None
            ),
            rules=rules,
            outbox=outbox,
            customers=tuple(c.name for c in customers if c.telegram_chat_id is not None),
            services=tuple(
                x for x in (mirror, webhook_server, _keeper(leader, metrics)) if x is not None
            ),
            heartbeat=health,
            backlog=health,
            outages=outages,
            metrics=metrics,
            webhook=webhook_reads,
            intervals=replace(over.intervals, mail_wait=mail_wait),
            mail_system="imap" if settings.mail.imap is not None else "maildir",
            calendar_watch=CalendarWatch(
                calendar, settings.calendar.warn_days_ahead, metrics=metrics, health=health
            ),
            concurrency=settings.tracker.concurrency,
            transient_errors=TRANSIENT,
        )
        _step_down_when_lost(leader, daemon, metrics)
        yield Bridge(
            settings=settings,
            clock=clock,
            store=store,
            calendar=calendar,
            customers=customers,
            gateway=gateway,
            reader=reader,
            effects=effects,
            intake=intake,
            sync=sync,
            rules=rules,
            outbox=outbox,
            source=source,
            mirror=mirror,
            daemon=daemon,
            metrics=metrics,
            health=health,
            webhook=webhook_reads,
            webhook_server=webhook_server,
            leadership=leader,
        )
