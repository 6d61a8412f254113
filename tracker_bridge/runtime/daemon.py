"""The daemon: one owner for the lifecycle of every loop (mautrix ``program.py``, cosmic bus).

Loops, each in its own task of one :class:`asyncio.TaskGroup`:

* **intake** — wait for new mail (IMAP IDLE / Maildir), hand each message to the intake, settle it
  out of the inbox only after its outcome is committed;
* **tracker_sync** — poll Tracker for changed issues and run the rules pass on each;
* **rules** — run the rules pass for issues whose scheduled moment came, and the daily digest;
* **outbox** — send queued notifications;
* **webhook** (only with ``webhook.enabled``) — read at once the issues Tracker's trigger calls
  named (:mod:`tracker_bridge.webhook`), and run the rules pass on those that changed; polling
  goes on beside it, less often while webhooks are healthy;
* **telegram** — the bot's own polling runs inside the Telegram adapter; the daemon starts and
  stops it.

A loop that fails logs the error, backs off (:func:`tracker_bridge.foundation.retry.backoff`, the
one backoff)
and starts its next iteration: it never takes the others down. Mail that met an outage is kept
in hand and tried again on that same schedule — not when new mail arrives or an IDLE wait ends —
so it goes through within seconds of the dependency coming back. After every pass each loop
reports its backlog (how much work waits, and since when) to the health check and the metrics,
and each failure is told to :class:`~tracker_bridge.observability.outages.Outages`.
``stop()`` (SIGTERM/SIGINT) lets the message in hand finish, then every loop ends;
waits race the stop event, so shutdown takes well under 10 s. All waiting goes through the
injected clock, so tests and the demo drive the daemon with a ManualClock.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

import structlog

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.foundation.failures import waits
from tracker_bridge.foundation.retry import RetryPolicy, backoff
from tracker_bridge.mail.source import IncomingMessage, MailSource
from tracker_bridge.observability.calendar_watch import CalendarWatch
from tracker_bridge.observability.metrics import Metrics
from tracker_bridge.observability.outages import Outages, system_of
from tracker_bridge.service.effects import TransientEffectError
from tracker_bridge.service.intake import Intake, IntakeResult, PreparedMessage, RetryLater
from tracker_bridge.service.lanes import Job, run_ordered
from tracker_bridge.service.outbox import Outbox
from tracker_bridge.service.rules_pass import RulesPass
from tracker_bridge.tracker.snapshots import IssueSnapshot
from tracker_bridge.webhook.hints import DEBOUNCE

__all__ = [
    "INTAKE_REFRESH",
    "UNWATCHED_LOOPS",
    "Daemon",
    "Heartbeat",
    "Intervals",
    "Syncer",
    "WebhookFeed",
]

log = structlog.get_logger(__name__)

UNWATCHED_LOOPS = frozenset({"webhook"})

Admitted = PreparedMessage | IntakeResult | RetryLater

# How long a round waits for the parses of its batch before going on with those that are done
# (each parse is bounded far below this; one that is not finishes in the background and its
# message is handled in a later round: one slow message holds up none of the others).
PARSE_WINDOW = 2.0

# The longest the intake waits for mail before it looks again. Each wait that ends (IDLE
# re-issued, Maildir polled) and the fetch after it are a round trip that proves the mailbox is
# still watched: /healthz's intake threshold (10 min) is two refreshes, so a quiet night is
# healthy and a dead connection is stale within the threshold.
INTAKE_REFRESH = 5 * 60.0


class Syncer(Protocol):
    """Incremental Tracker polling: one cycle returns the keys of issues that changed."""

    async def cycle(self) -> list[str]: ...


class WebhookFeed(Protocol):
    """Issues named by trigger calls (:class:`tracker_bridge.webhook.reads.WebhookReads`)."""

    async def wait(self) -> None: ...
    def take(self) -> dict[str, datetime]: ...
    def restore(self, taken: dict[str, datetime]) -> None: ...
    async def fresh(self, taken: dict[str, datetime]) -> tuple[list[IssueSnapshot], list[str]]: ...
    def evaluated(self, snapshots: Sequence[IssueSnapshot]) -> None: ...
    def sync_interval(self, now: datetime, default: float) -> float: ...


async def _first_of(*waits: Awaitable[object]) -> None:
    """Wait until the first of ``waits`` ends; the rest are cancelled and awaited (none is
    left pending), whatever ended the wait. What they return or raise is not looked at."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def system_of_service(service: object) -> str:
    """The outside system a service talks to (only Telegram is one today)."""
    return "telegram" if "telegram" in type(service).__module__ else type(service).__name__


class Heartbeat(Protocol):
    """Where loops report a successful iteration (health checks and metrics)."""

    def beat(self, loop: str, at: datetime) -> None: ...


class Backlog(Protocol):
    """Where loops report the work waiting for them after every pass (health and metrics)."""

    def waiting(self, loop: str, count: int, oldest: datetime | None) -> None: ...


class Service(Protocol):
    """Something with its own background work that the daemon starts and stops (Telegram)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


# How long a waiting mail source may take to notice new mail (IDLE push, a Maildir poll), and
# how long a wait must last to show it did not return at once for mail already waiting.
MAIL_LATENCY = timedelta(seconds=60)
MAIL_BLOCKED = timedelta(seconds=5)
_NEVER = datetime.min.replace(tzinfo=UTC)
# The longest the outbox gives way to intake rounds in hand before it sends a whole pass anyway
# (seconds of the injected clock): a backlog is registered first, its notices follow.
OUTBOX_GIVES_WAY = 30.0

# the loops whose waiting work is reported after each pass (health, metrics)
_BACKLOG_LOOPS = ("intake", "tracker_sync", "rules", "outbox")


@dataclass(frozen=True)
class Intervals:
    """How often each loop runs, in seconds of the injected clock."""

    mail_wait: float = INTAKE_REFRESH  # IDLE is re-issued at least this often
    sync: float = 30.0
    rules: float = 60.0
    outbox: float = 5.0
    # a failed pass waits backoff_min, doubling up to backoff_max (plus up to a quarter of
    # jitter): work that met an outage goes through within ~8 s of the dependency coming back
    backoff_min: float = 1.0
    backoff_max: float = 6.0

    def retry_policy(self) -> RetryPolicy:
        """The daemon's schedule for failed passes, as the one backoff formula reads it."""
        return RetryPolicy(
            attempts=1_000_000_000,
            total_seconds=float("inf"),
            initial_wait=self.backoff_min,
            max_wait=self.backoff_max,
        )


@dataclass
class _LoopState:
    failures: int = 0
    iterations: int = 0


@dataclass
class Daemon:
    """Runs the loops until stopped."""

    clock: Clock
    source: MailSource
    intake: Intake
    sync: Syncer
    rules: RulesPass
    outbox: Outbox
    customers: tuple[str, ...] = ()
    services: tuple[Service, ...] = ()
    heartbeat: Heartbeat | None = None
    backlog: Backlog | None = None
    outages: Outages | None = None
    metrics: Metrics | None = None
    calendar_watch: CalendarWatch | None = None
    webhook: WebhookFeed | None = None
    intervals: Intervals = field(default_factory=Intervals)
    # the last-success metric's system for the mail source: "imap" or "maildir"
    mail_system: str = "imap"
    # how many messages (and issues) are in hand at once; dependent ones still go in order
    concurrency: int = 8
    on_ready: Callable[[], None] | None = None
    # errors that mean "try this message again later" (an outage), never "quarantine it"
    transient_errors: tuple[type[Exception], ...] = (TransientEffectError,)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _wake_rules: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _wake_outbox: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    # set while no intake round is in hand; the outbox gives way to a round (OUTBOX_GIVES_WAY)
    _intake_quiet: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    # since when the outbox has given way to the intake (None: it has not)
    _outbox_waiting_since: datetime | None = field(default=None, init=False)
    _outbox_gave_way: bool = field(default=False, init=False)
    loops: dict[str, _LoopState] = field(default_factory=dict, init=False)
    _retry: list[IncomingMessage] = field(default_factory=list, init=False)
    # when each message kept in hand first failed (the intake's oldest waiting item)
    _waiting_since: dict[str, datetime] = field(default_factory=dict, init=False)
    # parses still running when their round went on without them (by source id)
    _parsing: dict[str, asyncio.Task[Admitted]] = field(default_factory=dict, init=False)
    # the next round's fetch (its parses started), run while this round's messages are handled
    _ahead: asyncio.Task[list[IncomingMessage]] | None = field(default=None, init=False)
    _unevaluated: list[str] = field(default_factory=list, init=False)
    # the loops whose last pass failed on the store: its outage ends when each has passed again
    # (a pass that only read, in a loop that never met the outage, proves nothing about writes)
    _store_failed: set[str] = field(default_factory=set, init=False)
    # the digest counts the views, which only the first sync fills: before it, "0 open" is a lie
    _synced: bool = field(default=False, init=False)
    # R19/R20: up to when every mail that reached the mailbox has been taken in (None: not yet
    # since start), and since when the intake has been waiting with nothing left in hand
    _mail_taken_until: datetime | None = field(default=None, init=False)
    _mail_wait_since: datetime | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.rules.mail_taken_until = self.mail_taken_until
        self._intake_quiet.set()

    def mail_taken_until(self) -> datetime:
        """Every mail that reached the mailbox before this instant has been taken in (R19: no
        request is closed for no response before its in-time answers are read).

        A wait for new mail that has lasted ``MAIL_BLOCKED`` shows nothing was waiting when it
        began (a source returns at once while mail is waiting), and that nothing came since,
        bar the last ``MAIL_LATENCY`` (a push or a poll takes that long to end the wait). While
        a batch is in hand, or the mailbox is unreachable, the instant stays where it was."""
        known = self._mail_taken_until or _NEVER
        waiting = self._mail_wait_since
        if waiting is not None:
            now = self.clock.now()
            if now - waiting >= MAIL_BLOCKED:
                return max(known, waiting, now - MAIL_LATENCY)
        return known

    @property
    def messages_in_hand(self) -> int:
        """How many messages the intake works on at once: twice ``concurrency``, the Tracker
        requests in flight (the gateway's pool holds them to that), so that a message's other
        steps — its journal on disk, triage, its commit — overlap the others' round trips
        instead of leaving a request slot idle (issue 11.10). One stays one: strictly one
        message at a time."""
        return 1 if self.concurrency == 1 else 2 * self.concurrency

    def stop(self) -> None:
        """Ask every loop to finish what it holds and end."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    async def run(self) -> None:
        """Start the services and the loops; return once stopped.

        No outside system is needed to start: a service that cannot start (Telegram down or
        answering 502) is reported down and started again on the backoff while the loops run.
        """
        waiting = [service for service in self.services if not await self._start(service)]
        try:
            async with asyncio.TaskGroup() as group:
                for service in waiting:
                    group.create_task(self._start_later(service), name="service-start")
                for name, body in self._bodies().items():
                    self.loops[name] = _LoopState()
                    group.create_task(self._supervise(name, body), name=f"loop:{name}")
                if self.on_ready is not None:
                    self.on_ready()
                log.info("daemon.ready", loops=sorted(self.loops))
        finally:
            for service in reversed(self.services):
                with contextlib.suppress(Exception):
                    await service.stop()
            with contextlib.suppress(Exception):
                await self.source.close()
            log.info("daemon.stopped")

    async def _start(self, service: Service) -> bool:
        """Start ``service``; False (logged, reported down) if it could not start now."""
        try:
            await service.start()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            system = system_of(exc) or "telegram"
            if self.outages is not None:
                self.outages.note(system, exc, self.clock.now())
            log.warning("service.start_failed", system=system, error=str(exc)[:300])
            return False
        if self.outages is not None:
            self.outages.note(system_of_service(service), None, self.clock.now())
        return True

    async def _start_later(self, service: Service) -> None:
        policy, attempt = self.intervals.retry_policy(), 0
        while not self._stop.is_set():
            attempt += 1
            await self._sleep("service", backoff(policy, attempt, rand=random.random()))  # noqa: S311
            if self._stop.is_set() or await self._start(service):
                return

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the daemon cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("daemon.signal", signal=sig.name)
        self.stop()

    def _bodies(self) -> dict[str, Callable[[], Awaitable[None]]]:
        bodies: dict[str, Callable[[], Awaitable[None]]] = {
            "intake": self._mail_once,
            "tracker_sync": self._sync_once,
            "rules": self._rules_once,
            "outbox": self._outbox_once,
        }
        if self.webhook is not None:
            bodies["webhook"] = self._webhook_once
        return bodies

    async def _supervise(self, name: str, body: Callable[[], Awaitable[None]]) -> None:
        state = self.loops[name]
        policy = self.intervals.retry_policy()
        while not self._stop.is_set():
            try:
                await body()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                state.failures += 1
                delay = backoff(policy, state.failures, rand=random.random())  # noqa: S311
                self._failed(name, exc, state.failures, delay)
                self._report_backlog(name)
                await self._sleep(name, delay)
                continue
            state.failures = 0
            state.iterations += 1
            if name in self._store_failed:
                self._store_failed.discard(name)
                if self.outages is not None and not self._store_failed:
                    self.outages.note("store", None, self.clock.now())  # it wrote its state
            self._report_backlog(name)
            # the webhook loop waits for calls that may rightly not come for hours: its health is
            # the webhook part of /healthz (arrivals, changes only polling found), not a beat
            if self.heartbeat is not None and name not in UNWATCHED_LOOPS:
                self.heartbeat.beat(name, self.clock.now())

    def _failed(self, name: str, exc: Exception, failures: int, delay: float) -> None:
        """Log a failed pass: an outage as one line, a bug with its traceback."""
        system = system_of(exc)
        if system == "store" and waits(exc):
            self._store_failed.add(name)
        if self.outages is not None and system is not None:
            self.outages.note(system, exc, self.clock.now())
        if waits(exc):
            log.warning(
                "loop.failed", loop=name, failures=failures, retry_in=round(delay, 3),
                system=system, error=str(exc)[:300],
            )  # fmt: skip
        else:
            log.exception("loop.failed", loop=name, failures=failures, retry_in=round(delay, 3))

    def waiting(self) -> dict[str, tuple[int, datetime | None]]:
        """Per loop: how much work waits for it and since when (the oldest item)."""
        return {name: self._waiting_for(name) for name in _BACKLOG_LOOPS}

    def _waiting_for(self, name: str) -> tuple[int, datetime | None]:
        """How much work waits for loop ``name`` and since when: computed for that loop alone,
        as every pass of every loop reports its own (the outbox's reads the store)."""
        if name == "intake":
            return len(self._retry), min(self._waiting_since.values(), default=None)
        if name == "tracker_sync":
            return len(self._unevaluated), None if not self._unevaluated else self.clock.now()
        if name == "rules":
            return self.rules.schedule.waiting(self.clock.now())
        outbox = self.outbox.backlog()
        return len(outbox), min((e.created_at for e in outbox), default=None)

    def _report_backlog(self, name: str) -> None:
        if (self.backlog is None and self.metrics is None) or name not in _BACKLOG_LOOPS:
            return
        try:
            count, oldest = self._waiting_for(name)
        except Exception:
            return
        if self.backlog is not None:
            self.backlog.waiting(name, count, oldest)
        if self.metrics is not None:
            age = 0.0 if oldest is None else (self.clock.now() - oldest).total_seconds()
            self.metrics.observe_backlog(name, count, age)

    async def _sleep(self, loop: str, seconds: float, wake: asyncio.Event | None = None) -> None:
        """Sleep on the injected clock, ending early on stop (or on ``wake``); how late the
        loop woke after the full sleep is its lag (an early wake is on time)."""
        due = self.clock.now() + timedelta(seconds=seconds)
        waits = [self.clock.sleep(seconds), self._stop.wait()]
        if wake is not None:
            waits.append(wake.wait())
        await _first_of(*waits)
        if wake is not None:
            wake.clear()
        self._lag(loop, due)

    def _lag(self, loop: str, due: datetime) -> None:
        if self.metrics is not None and not self._stop.is_set():
            self.metrics.observe_lag(loop, (self.clock.now() - due).total_seconds())

    async def _mail_once(self) -> None:
        """Wait for mail (racing stop), then handle every message, settling each after.

        After a failed round (messages kept in hand, or the source itself failing) there is no
        waiting here: the supervisor's backoff was the wait, so kept mail is retried on that
        schedule whether or not new mail comes or the IDLE wait ends. A round that found mail
        fetched the next batch while its own was handled (:meth:`_fetch_ahead`): that batch is
        taken without a wait."""
        fetched = await self._fetched_ahead()
        if fetched is None:
            fetched = await self._wait_and_fetch()
        if fetched is None:  # stopped while waiting
            return
        await self._round(fetched)

    async def _fetched_ahead(self) -> list[IncomingMessage] | None:
        """The batch the previous round fetched ahead, if it found any mail (its parses are
        under way); None to wait and fetch as usual."""
        ahead, self._ahead = self._ahead, None
        if ahead is None or self._stop.is_set():
            if ahead is not None:
                ahead.cancel()
                await asyncio.gather(ahead, return_exceptions=True)
            return None
        try:
            fetched = await ahead
        except Exception as exc:
            if self.outages is not None:
                self.outages.note("imap", exc, self.clock.now())
            raise
        if not fetched:
            return None
        self._lag("intake", self.clock.now())  # mail was waiting: this pass is on time
        return fetched

    async def _fetch_ahead(self) -> list[IncomingMessage]:
        """The next batch, fetched and its parses begun while this round's jobs run: the parse
        (in the parser's own processes) overlaps the Tracker round trips instead of preceding
        them. A source hands each message out once: what this returns is the next round's."""
        fetched = await self.source.fetch()
        for message in fetched:
            if message.source_id not in self._parsing:
                self._parsing[message.source_id] = asyncio.ensure_future(self.intake.admit(message))
        return fetched

    async def _wait_and_fetch(self) -> list[IncomingMessage] | None:
        """Wait for new mail (racing stop; no wait after a failed round), then fetch it; None
        once stopped."""
        failed_before = self._retry or self.loops["intake"].failures > 0
        wait = 0.0 if failed_before else self.intervals.mail_wait
        started = self.clock.now()
        # nothing from an earlier round is still in hand: a wait that lasts shows the mailbox
        # was read up to its start (R19, ``mail_taken_until``)
        self._mail_wait_since = started if not failed_before else None
        waiter = asyncio.ensure_future(self.source.wait_for_new(wait))
        stopper = asyncio.ensure_future(self._stop.wait())
        stragglers = set(self._parsing.values())  # one finishing starts the next round
        try:
            await asyncio.wait({waiter, stopper, *stragglers}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            if not waiter.done():
                waiter.cancel()
            await asyncio.gather(waiter, stopper, return_exceptions=True)
            self._mail_taken_until = self.mail_taken_until()
            self._mail_wait_since = None
        if self._stop.is_set():
            await self._drop_parses()
            return None
        if self.clock.now() - started >= timedelta(seconds=self.intervals.mail_wait):
            self._lag("intake", started + timedelta(seconds=self.intervals.mail_wait))
        else:
            self._lag("intake", self.clock.now())  # mail came: this pass is on time
        try:
            return await self.source.fetch()
        except Exception as exc:
            if self.outages is not None:
                self.outages.note("imap", exc, self.clock.now())
            raise

    async def _round(self, fetched: list[IncomingMessage]) -> None:
        """Handle what is kept in hand and ``fetched``: parsed side by side, handled under the
        lanes' ordering, each settled out of the inbox once its outcome is on disk."""
        if self._stop.is_set():
            await self._drop_parses()
            return
        # A source hands each message out once per session: what is not settled yet when a
        # failure ends this round (in the intake or the settle) is kept here and tried again
        # first, in order.
        batch = self._retry = [*self._retry, *fetched]
        # waiting from when the intake took it, not from its first failure: a first attempt that
        # meets an outage can itself last a minute (the call's own retries), and the backlog's age
        # and health's ``stuck`` must count that minute too
        taken = self.clock.now()
        for message in fetched:
            self._waiting_since.setdefault(message.source_id, taken)
        if self.outages is not None:
            self.outages.note("imap", None, self.clock.now())
        if self.metrics is not None:
            self.metrics.mark_contact(self.mail_system, self.clock.now())
        # Parsed side by side, off the event loop (a parser pool): one slow message holds up
        # none of the others. Parsing cannot fail (the parser falls back to headers, then to the
        # bytes); a parse past its bound is a failed attempt the breaker counts (RetryLater, or
        # quarantined unparsed once it has failed too often). A store error here leaves the
        # whole batch for the next round.
        admitted, waiting = await self._admit(batch)
        prepared = [p for _, p in admitted if isinstance(p, PreparedMessage)]
        # A job holds its lane until its outcome is committed; the settle (waiting for the
        # commit to reach the disk, then moving the message out of the inbox) runs beside the
        # next jobs: what a later message depends on is in the store, and the store's commits
        # reach the disk in order.
        settles: dict[str, asyncio.Task[None]] = {}
        jobs = [Job(p.keys, partial(self._one_message, p, settles)) for p in prepared]
        if fetched and not self._stop.is_set():
            self._ahead = asyncio.ensure_future(self._fetch_ahead())
        # the outbox gives way while the jobs run (not while a parse is waited for)
        self._intake_quiet.clear()
        try:
            results = await run_ordered(jobs, limit=self.messages_in_hand, stop=self._stop.is_set)
            settled = await asyncio.gather(*settles.values(), return_exceptions=True)
        finally:
            self._intake_quiet.set()
            for task in settles.values():
                task.cancel()
        unsettled = {
            source_id: error
            for source_id, error in zip(settles, settled, strict=True)
            if isinstance(error, BaseException)
        }
        self._retry = [
            p.message
            for p, r in zip(prepared, results, strict=True)
            if not r.ok or p.message.source_id in unsettled
        ]
        self._retry += [v.message for _, v in admitted if isinstance(v, RetryLater)] + waiting
        now = self.clock.now()
        self._waiting_since = {
            m.source_id: self._waiting_since.get(m.source_id, now) for m in self._retry
        }
        errors = [r.error for r in results] + [
            e for e in unsettled.values() if isinstance(e, Exception)
        ]
        failure = next((e for e in errors if e is not None), None)
        if failure is not None:
            raise failure  # the supervisor logs it and backs off; what failed is kept in hand

    async def _admit(
        self, batch: list[IncomingMessage]
    ) -> tuple[list[tuple[IncomingMessage, Admitted]], list[IncomingMessage]]:
        """Each message through the breaker and the parser, side by side: the verdicts of
        those done within :data:`PARSE_WINDOW`, and the messages whose parse goes on."""
        for message in batch:
            if message.source_id not in self._parsing:
                self._parsing[message.source_id] = asyncio.ensure_future(self.intake.admit(message))
        tasks = [self._parsing[m.source_id] for m in batch]
        if tasks:
            await asyncio.wait(tasks, timeout=PARSE_WINDOW)
        admitted: list[tuple[IncomingMessage, Admitted]] = []
        waiting: list[IncomingMessage] = []
        for message, task in zip(batch, tasks, strict=True):
            if not task.done():
                log.warning("intake.parse_pending", source_id=message.source_id)
                waiting.append(message)
                continue
            del self._parsing[message.source_id]
            verdict = task.result()  # a store error fails the round
            if isinstance(verdict, IntakeResult):  # quarantined unparsed by the breaker
                await self._settled(message, verdict)
            admitted.append((message, verdict))
        return admitted, waiting

    async def _drop_parses(self) -> None:
        """A stop: the parses still running, and a fetch ahead, are abandoned (their messages
        stay in the inbox)."""
        ahead, self._ahead = self._ahead, None
        tasks = [*self._parsing.values(), *([ahead] if ahead is not None else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._parsing.clear()

    async def _one_message(
        self, prepared: PreparedMessage, settles: dict[str, asyncio.Task[None]]
    ) -> None:
        """Handle one message, then start its settle out of the inbox (into ``settles``);
        raises only what should make the whole round back off (an outage)."""
        message = prepared.message
        try:
            # the message in hand is finished even if a stop comes meanwhile
            result = await asyncio.shield(self.intake.handle(prepared))
        except Exception as exc:
            if self._waits(exc):
                # an outage (or a fix to wait for): the message stays in the inbox and the round
                # backs off
                log.warning(
                    "mail.failed", source_id=message.source_id,
                    message_id=prepared.mail.message_id, error=str(exc), kept="inbox",
                )  # fmt: skip
                self._count_message("failed")
                raise
            # a bug or a poison message must not block the rest
            log.exception(
                "mail.failed", source_id=message.source_id, message_id=prepared.mail.message_id,
                kept="quarantine",
            )  # fmt: skip
            self._count_message("failed")
            result = self.intake.quarantine(prepared, f"could not be handled: {exc!r}")
        settles[message.source_id] = asyncio.ensure_future(self._settled(message, result))

    async def _settled(self, message: IncomingMessage, result: IntakeResult) -> None:
        """Move a handled message out of the inbox and count it."""
        # its outcome on disk first: a power cut must not leave a message that left the inbox
        # unrecorded (the store's group commit; a no-op where every commit is synced at once)
        await self.intake.flushed()
        await self.source.settle(message, result.settle)
        self._count_message(result.outcome)
        if self.metrics is not None and result.outcome == "created":
            self.metrics.issues_created.inc()
        self._wake_outbox.set()
        if result.issue_key:
            # the rules loop evaluates it at once: intake never waits for the rules pass
            self.rules.schedule.set(result.issue_key, self.clock.now())
            self._wake_rules.set()

    def _count_message(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.messages.labels(outcome=outcome).inc()

    async def _sync_once(self) -> None:
        changed = [*self._unevaluated, *await self.sync.cycle()]
        self._unevaluated = []
        if changed:
            await self._evaluate(changed)
        if not self._synced:
            self._synced = True
            self._wake_rules.set()  # the digest waited for this
        interval = self.intervals.sync
        if self.webhook is not None:
            interval = self.webhook.sync_interval(self.clock.now(), interval)
        await self._sleep("tracker_sync", interval)

    async def _webhook_once(self) -> None:
        """Wait for a trigger call, gather the burst, read each named issue once, and run the
        rules pass on those that changed. A failed read or evaluation is put back: the next
        round (after the supervisor's backoff) tries it again."""
        assert self.webhook is not None
        await _first_of(self.webhook.wait(), self._stop.wait())
        if self._stop.is_set():
            return
        # a burst of calls becomes one batch: one read per issue
        await self._sleep("webhook", DEBOUNCE)
        taken = self.webhook.take()
        try:
            fresh, failed = await self.webhook.fresh(taken)
        except BaseException:
            self.webhook.restore(taken)
            raise
        keys = [s.key for s in fresh]
        results = await self.rules.side_by_side(keys, stop=self._stop.is_set, stop_on_error=False)
        done = [s for s, r in zip(fresh, results, strict=True) if r.ok]
        self.webhook.evaluated(done)
        self._wake_outbox.set()
        retry = failed + [
            s.key
            for s, r in zip(fresh, results, strict=True)
            if not r.started or isinstance(r.error, self.transient_errors)
        ]
        if retry:
            self.webhook.restore({key: taken[key] for key in retry})
        error = next((r.error for r in results if r.error is not None), None)
        if error is not None:
            raise error  # logged by the supervisor, which backs off before the retry
        if failed:
            raise TransientEffectError(f"webhook: could not read {', '.join(failed)}")

    async def _evaluate(self, keys: list[str]) -> None:
        """The rules pass over changed issues. Sync reports a change once (its cursor and memory
        move on), so an issue whose pass fails for a transient reason is kept and evaluated
        again next cycle — without holding up the others, or slowing the loop — or the change
        would be lost."""
        unique = list(dict.fromkeys(keys))
        results = await self.rules.side_by_side(unique, stop=self._stop.is_set, stop_on_error=False)
        failed: list[str] = []  # a transient failure, or not begun because of a stop
        for key, result in zip(unique, results, strict=True):
            if self._waits(result.error):
                log.warning("rules.retry_next_cycle", issue=key, error=str(result.error))
            if not result.started or self._waits(result.error):
                failed.append(key)
        self._unevaluated = failed
        self._wake_outbox.set()
        # a bug is the supervisor's to log (with its traceback) once the others are done
        bugs = (r.error for r in results if r.error and not self._waits(r.error))
        bug = next(bugs, None)
        if bug is not None:
            raise bug

    def _waits(self, error: BaseException | None) -> bool:
        """An outage or a fix to wait for (the work is kept), not a bug."""
        return error is not None and (isinstance(error, self.transient_errors) or waits(error))

    async def _rules_once(self) -> None:
        if self.calendar_watch is not None:
            self.calendar_watch.observe(self.clock.now())
        await self.rules.due(stop=self._stop.is_set)
        if self.customers and self._synced:
            await self.rules.digest(self.customers)
        self._wake_outbox.set()
        await self._sleep("rules", self._rules_wait(), self._wake_rules)

    def _rules_wait(self) -> float:
        upcoming = self.rules.schedule.next_due()
        if upcoming is None:
            return self.intervals.rules
        seconds = (upcoming - self.clock.now()).total_seconds()
        return max(0.0, min(self.intervals.rules, seconds))

    async def _outbox_once(self) -> None:
        if self.outages is not None:
            await self.outages.send_alerts()
        await self._give_way_to_intake()
        self._outbox_gave_way = False
        await self.outbox.drain(pause=self._outbox_pauses)
        if not self._outbox_gave_way:
            self._outbox_waiting_since = None  # a whole pass: the next one may give way again
        await self._sleep("outbox", self.intervals.outbox, self._wake_outbox)

    async def _give_way_to_intake(self) -> None:
        """Wait while an intake round is in hand, up to :data:`OUTBOX_GIVES_WAY` in all.

        Both run on one event loop and one core's worth of interpreter: a backlog's requests
        are registered first (R1), their notices follow. A notice waits for the intake at most
        that long; then a whole pass runs before the outbox gives way again."""
        if self._intake_quiet.is_set():
            self._outbox_waiting_since = None
            return
        now = self.clock.now()
        since = self._outbox_waiting_since = self._outbox_waiting_since or now
        left = (since + timedelta(seconds=OUTBOX_GIVES_WAY) - now).total_seconds()
        if left <= 0:
            return
        await _first_of(self.clock.sleep(left), self._stop.wait(), self._intake_quiet.wait())

    def _outbox_pauses(self) -> bool:
        """Asked by the outbox before each email: end this pass, an intake round has begun
        (unless the outbox has given way for :data:`OUTBOX_GIVES_WAY` already)."""
        if self._intake_quiet.is_set():
            return False
        now = self.clock.now()
        since = self._outbox_waiting_since = self._outbox_waiting_since or now
        self._outbox_gave_way = now - since < timedelta(seconds=OUTBOX_GIVES_WAY)
        return self._outbox_gave_way
