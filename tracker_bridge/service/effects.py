"""Carry out the core's actions through the adapters, exactly once each.

For every action: the journal records it (pending) before the side effect and marks it done after.
A settled entry is never redone. An entry left pending by a crash is redone only through adapters
that reconcile first (the Tracker gateway re-reads: an issue with that ``unique``, a comment with
that marker, the status already reached), so a retry cannot duplicate a request, a comment or a
transition. Emails are not sent inline: a :class:`Notify` is *queued* in the journal and the outbox
(:mod:`tracker_bridge.service.outbox`) sends it, so an SMTP outage never blocks the intake of mail.

One batch (the actions for one email, one rules pass of one issue, one Telegram command) runs in
order under a lock per issue, so work on one issue never interleaves while different issues
proceed side by side. Which messages may be in hand at once, so that a customer's mail is applied
in the order it came, is the intake's ordering (:mod:`tracker_bridge.service.lanes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn, Protocol

import structlog

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.foundation.failures import (
    Failure,
    NeedsOperator,
    Permanent,
    Transient,
    classify,
)
from tracker_bridge.observability.metrics import Metrics
from tracker_bridge.regulation.actions import (
    Action,
    AddComment,
    AttachFiles,
    CreateIssue,
    Ignore,
    IssueRef,
    Link,
    NewIssue,
    Notify,
    Quarantine,
    SetFields,
    TelegramAlert,
    TelegramCard,
    Transition,
)
from tracker_bridge.regulation.digest import TelegramDigest
from tracker_bridge.store.ports import EffectsStore
from tracker_bridge.store.records import JournalEntry, QueuedNotice

__all__ = [
    "BatchResult",
    "Effects",
    "KeyedLocks",
    "NeedsOperatorEffectError",
    "PermanentEffectError",
    "TelegramPort",
    "TrackerPort",
    "TransientEffectError",
    "notify_from_payload",
    "notify_payload",
]

log = structlog.get_logger(__name__)


class TransientEffectError(Transient, Exception):
    """The side effect may succeed later (an outage, a rate limit): stop the batch, retry it."""


class NeedsOperatorEffectError(NeedsOperator, TransientEffectError):
    """The side effect succeeds once a person fixes something (a credential, a field, a
    workflow): stop the batch, keep it unsettled, alert, and retry it on the schedule."""


class PermanentEffectError(Permanent, Exception):
    """The side effect can never succeed as asked: settle it as failed and say so."""


class TrackerPort(Protocol):
    """What the effects need from the Tracker adapter (``tracker.gateway.TrackerGateway``)."""

    async def create_issue(self, a: CreateIssue) -> str: ...
    async def add_comment(self, a: AddComment, key: str) -> str: ...
    async def transition(self, a: Transition, key: str) -> bool: ...
    async def set_fields(self, a: SetFields, key: str) -> None: ...
    async def link(self, a: Link, key: str) -> None: ...
    async def attach(self, a: AttachFiles, key: str) -> None: ...


class TelegramPort(Protocol):
    """What the effects need from the Telegram adapter."""

    async def card(self, a: TelegramCard) -> None: ...
    async def alert(self, a: TelegramAlert) -> None: ...
    async def digest(self, a: TelegramDigest) -> None: ...


@dataclass
class BatchResult:
    """What one batch did: the keys carried out, skipped as already done, and failed for good."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # unique → issue key
    # with ``queue_notices=False``: the notices for the caller to commit with its own records
    notices: list[QueuedNotice] = field(default_factory=list)

    @property
    def issue_key(self) -> str | None:
        """The issue the batch created, if it created one."""
        return next(iter(self.created.values()), None)


ExecutedAction = Action | TelegramDigest


class Effects:
    """Runs batches of actions against the adapters, journaled in the store."""

    def __init__(
        self,
        store: EffectsStore,
        clock: Clock,
        *,
        tracker: TrackerPort,
        telegram: TelegramPort | None = None,
        transient: tuple[type[Exception], ...] = (),
        permanent: tuple[type[Exception], ...] = (),
        metrics: Metrics | None = None,
        fence: Callable[[], Awaitable[None]] | None = None,
        fixable: Callable[[str], bool] | None = None,
    ) -> None:
        """``transient``/``permanent``: error classes without a
        :mod:`~tracker_bridge.foundation.failures`
        marker to read as transient or permanent (the adapters' own errors carry one).
        ``fence``: awaited before every external effect; raises when this daemon may no longer
        act (a former leader, :mod:`tracker_bridge.store.leadership`).
        ``fixable``: reads a settled failure's recorded text; ``True`` when today it would be an
        operator's fix to wait for, not a verdict (older versions settled those for good) — such
        an action is tried again whenever a batch names it, no release needed."""
        self._fence = fence
        self._fixable = fixable
        self._transient: tuple[type[Exception], ...] = (TransientEffectError, *transient)
        self._permanent: tuple[type[Exception], ...] = (PermanentEffectError, *permanent)
        self._metrics = metrics
        self._store = store
        self._clock = clock
        self._tracker = tracker
        self._telegram = telegram
        self._locks = KeyedLocks()

    async def run(
        self,
        actions: Sequence[ExecutedAction],
        *,
        customer: str = "",
        issue_key: str = "",
        reopen: bool = False,
        queue_notices: bool = True,
    ) -> BatchResult:
        """Carry out ``actions`` in order; a transient failure stops the batch and is raised.

        ``reopen``: actions settled as failed are tried again (a person released the message
        after fixing what made them fail — also entries settled for good by older versions,
        which took a revoked token or a missing field for a verdict).

        Batches on one issue run one after another (a lock per issue: the intake's comment and
        the rules' transition never interleave); batches on different issues run side by side.
        The order of messages per customer is the caller's (:mod:`tracker_bridge.service.lanes`).
        ``customer`` only names the batch in the log. With ``queue_notices=False`` the emails
        are not queued but handed back in :attr:`BatchResult.notices`, for the caller to commit
        in one transaction with the rest of its outcome (the intake: one unit per mail).
        """
        result = BatchResult()
        name = _lock_of(actions, issue_key)
        async with self._locks.held(name):
            for action in actions:
                await self._one(action, result, reopen, queue_notices)
        return result

    async def _one(
        self, action: ExecutedAction, result: BatchResult, reopen: bool, queue: bool
    ) -> None:
        key = self._resolve(_ref_of(action), result)
        if isinstance(action, Notify):
            self._queue(action, key, result, commit=queue)
            return
        if isinstance(action, Quarantine | Ignore):
            return  # recorded by the intake with the message itself
        if self._fence is not None:
            await self._fence()  # before the journal too: a former leader writes nothing
        entry = self._store.journal_begin(
            action.key, _kind(action), key, _payload(action), self._clock.now()
        )
        if entry.settled and entry.state == "failed" and (reopen or self._was_fixable(entry)):
            now = self._clock.now()
            self._store.journal_failed(action.key, entry.last_error or "", False, now)
            entry = self._store.journal_begin(action.key, _kind(action), key, _payload(action), now)
            log.info("effect.reopened", action=action.key, error=entry.last_error)
        if entry.settled:
            result.skipped.append(action.key)
            if isinstance(action, CreateIssue) and entry.result:
                result.created[action.unique] = entry.result
            return
        await self._store.flushed()  # the journal's entry on disk before the effect
        try:
            outcome = await self._perform(action, key)
        except Exception as exc:
            kind = self._classify(exc)
            if kind is None:
                raise  # a bug: the caller's to log with its traceback
            if kind is not Failure.PERMANENT:
                self._wait(action, exc, kind)
            self._count(action, "failed")
            self._store.journal_failed(action.key, str(exc), True, self._clock.now())
            log.error("effect.failed", action=action.key, error=str(exc))
            result.failed.append((action.key, str(exc)))
            if isinstance(action, CreateIssue):
                # nothing after it can be done without the issue
                if isinstance(exc, PermanentEffectError):
                    raise
                raise PermanentEffectError(str(exc)) from exc
            return
        self._done(action, outcome, result)

    def _done(self, action: ExecutedAction, outcome: str | None, result: BatchResult) -> None:
        if isinstance(action, CreateIssue):
            self._created(action, outcome, result)  # settled with what it records
        else:
            self._store.journal_done(action.key, outcome, self._clock.now())
        self._count(action, "done")
        result.done.append(action.key)

    def _was_fixable(self, entry: JournalEntry) -> bool:
        return self._fixable is not None and self._fixable(entry.last_error or "")

    def _classify(self, exc: Exception) -> Failure | None:
        """The failure's kind, or None for a bug (an error nobody marked)."""
        if isinstance(exc, Transient | NeedsOperator | Permanent):
            return classify(exc)
        if isinstance(exc, self._transient):
            return Failure.TRANSIENT
        if isinstance(exc, self._permanent):
            return Failure.PERMANENT
        kind = classify(exc)  # the store's own errors (a full disk) and the sockets'
        return None if kind is Failure.PERMANENT else kind

    def _wait(self, action: ExecutedAction, exc: Exception, kind: Failure) -> NoReturn:
        """Keep the action unsettled (it runs again on the schedule) and stop the batch."""
        self._count(action, "retry")
        if self._metrics is not None and isinstance(action, _TELEGRAM_ACTIONS):
            # PTB's own retries are invisible; an action put off for later is one
            self._metrics.retries.labels(system="telegram").inc()
        with contextlib.suppress(Exception):  # the store itself may be what is down
            self._store.journal_failed(action.key, str(exc), False, self._clock.now())
        if kind is Failure.OPERATOR:
            log.error("effect.needs_operator", action=action.key, error=str(exc))
            if isinstance(exc, NeedsOperatorEffectError):
                raise exc
            raise NeedsOperatorEffectError(str(exc)) from exc
        log.warning("effect.retry_later", action=action.key, error=str(exc))
        if isinstance(exc, TransientEffectError):
            raise exc
        raise TransientEffectError(str(exc)) from exc

    def _count(self, action: ExecutedAction, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.actions.labels(kind=_kind(action), outcome=outcome).inc()
            if isinstance(action, TelegramAlert) and action.kind == "breach" and outcome == "done":
                kind = "reaction" if action.event.startswith("reaction") else "execution"
                self._metrics.breaches.labels(kind=kind).inc()

    def _resolve(self, ref: IssueRef | None, result: BatchResult) -> str | None:
        """The real key of an issue reference ("new:<unique>" once created)."""
        if ref is None or isinstance(ref, str):
            return ref
        known = result.created.get(ref.unique) or self._store.issue_for_unique(ref.unique)
        if known is None:
            raise PermanentEffectError(f"{ref} was never created in this batch")
        return known

    def _created(self, action: CreateIssue, key: str | None, result: BatchResult) -> None:
        if not key:
            raise PermanentEffectError(f"Tracker returned no key for {action.unique}")
        now = self._clock.now()
        self._store.issue_created(action.unique, str(action.ref), key, action.key, now)
        result.created[action.unique] = key
        log.info("issue.created", issue=key, unique=action.unique, queue=action.queue)

    def _queue(self, action: Notify, key: str | None, result: BatchResult, *, commit: bool) -> None:
        """Hand an email to the outbox: once queued (or sent), it is never queued again."""
        existing = self._store.journal_get(action.key)
        if existing is not None and (existing.settled or existing.state == "pending"):
            result.skipped.append(action.key)
            return
        notice = QueuedNotice(action.key, key, notify_payload(action, key))
        if commit:
            self._store.journal_begin(notice.key, "notify", key, notice.payload, self._clock.now())
        else:
            result.notices.append(notice)
        result.queued.append(action.key)

    async def _perform(self, action: ExecutedAction, key: str | None) -> str | None:
        tracker, telegram = self._tracker, self._telegram
        if isinstance(action, CreateIssue):
            return await tracker.create_issue(action)
        if isinstance(action, TelegramCard | TelegramAlert | TelegramDigest):
            if telegram is None:
                return "telegram disabled"
            if isinstance(action, TelegramCard):
                await telegram.card(action)
            elif isinstance(action, TelegramAlert):
                await telegram.alert(action)
            else:
                await telegram.digest(action)
            return None
        if key is None:
            raise PermanentEffectError(f"{action.key} names no issue")
        if isinstance(action, AddComment):
            return await tracker.add_comment(action, key)
        if isinstance(action, Transition):
            moved = await tracker.transition(action, key)
            return "moved" if moved else "already there"
        if isinstance(action, SetFields):
            await tracker.set_fields(action, key)
        elif isinstance(action, Link):
            await tracker.link(action, key)
        elif isinstance(action, AttachFiles):
            await tracker.attach(action, key)
        return None


_TELEGRAM_ACTIONS = (TelegramCard, TelegramAlert, TelegramDigest)


class KeyedLocks:
    """One :class:`asyncio.Lock` per name, kept only while someone holds or waits for it (a
    lock per issue ever seen would grow without end)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @contextlib.asynccontextmanager
    async def held(self, name: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(name, (asyncio.Lock(), 0))
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)


def _lock_of(actions: Sequence[ExecutedAction], issue_key: str) -> str:
    """The issue a batch works on: the one named, else the first it refers to, else the one
    it creates (``new:<unique>``)."""
    if issue_key:
        return issue_key
    for action in actions:
        ref = _ref_of(action)
        if isinstance(ref, str):
            return ref
        if ref is not None:
            return f"new:{ref.unique}"
        if isinstance(action, CreateIssue):
            return f"new:{action.unique}"
    return "-"


def _ref_of(action: ExecutedAction) -> IssueRef | None:
    if isinstance(action, CreateIssue | Quarantine | Ignore | TelegramDigest):
        return None
    return action.issue


def _kind(action: ExecutedAction) -> str:
    return type(action).__name__


def _payload(action: ExecutedAction) -> str:
    """A readable record of the action for the journal (files by name and size, not bytes)."""
    if isinstance(action, TelegramDigest):
        return json.dumps({"customer": action.digest.customer, "day": str(action.digest.day)})
    summary: dict[str, object] = {}
    for name, value in vars(action).items():
        if name == "attachments":
            summary[name] = [f"{a.filename} ({a.size} B)" for a in value]
        elif isinstance(value, NewIssue):
            summary[name] = str(value)
        else:
            summary[name] = value if isinstance(value, str | int | bool | None) else str(value)
    return json.dumps(summary, ensure_ascii=False)


def notify_payload(action: Notify, issue_key: str | None) -> str:
    """Everything the outbox needs to send the email later, after a restart too."""
    context = dict(action.context)
    if issue_key and not context.get("key"):
        context["key"] = issue_key  # a new request's key is known only once Tracker made it
    ref = None if action.issue is None else str(action.issue)
    return json.dumps(
        {
            "template": action.template,
            "to": action.to,
            "ref": ref,
            "issue": issue_key,
            "event": action.event,
            "context": context,
            "in_reply_to": action.in_reply_to,
        },
        ensure_ascii=False,
    )


def notify_from_payload(payload: str) -> tuple[Notify, str | None]:
    """The queued email back as the very :class:`Notify` that was queued (same key, so the same
    Message-ID), and the issue key it is about."""
    data = json.loads(payload)
    ref: str | None = data["ref"]
    issue: IssueRef | None = (
        NewIssue(ref.removeprefix("new:")) if ref and ref.startswith("new:") else ref
    )
    notify = Notify(
        data["template"],
        to=data["to"],
        issue=issue,
        event=data["event"],
        context=data["context"],
        in_reply_to=data["in_reply_to"],
    )
    return notify, data["issue"]
