"""From webhook calls to fresh snapshots: what the daemon's ``webhook`` loop reads.

For each issue a batch of calls named, one ``GET /v2/issues/<key>`` (the call is only a hint: the
issue is read from Tracker). A snapshot that polling (or an earlier call) already brought at the
same version and comment time is not evaluated again — a webhook and a poll seeing one change act
once — and a fresh one is handed to the issue reader, so the rules pass costs the changelog and
the comments on top. Once the rules pass has evaluated a snapshot, sync is told, so the next poll
does not report that change again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import structlog

from tracker_bridge.tracker.errors import TrackerNotFound
from tracker_bridge.tracker.snapshots import IssueSnapshot
from tracker_bridge.webhook.health import WebhookHealth
from tracker_bridge.webhook.hints import Hints
from tracker_bridge.webhook.metrics import WebhookMetrics

__all__ = ["WebhookReads"]

log = structlog.get_logger(__name__)


class _Gateway(Protocol):
    async def issue(self, key: str) -> IssueSnapshot: ...


class _Sync(Protocol):
    def seen(self, issue: IssueSnapshot) -> bool: ...

    def note(self, issue: IssueSnapshot) -> None: ...


class _Reader(Protocol):
    def prime(self, snapshots: Sequence[IssueSnapshot]) -> None: ...


class WebhookReads:
    """The daemon's side of the webhook: wait, take, read fresh, mark evaluated."""

    def __init__(
        self,
        *,
        hints: Hints,
        gateway: _Gateway,
        sync: _Sync,
        reader: _Reader,
        health: WebhookHealth,
        metrics: WebhookMetrics,
        healthy_poll_interval: float,
    ) -> None:
        self.hints, self.health = hints, health
        self._gateway, self._sync, self._reader = gateway, sync, reader
        self._metrics = metrics
        self._healthy_poll = healthy_poll_interval

    async def wait(self) -> None:
        await self.hints.wait()

    def take(self) -> dict[str, datetime]:
        return self.hints.take()

    def restore(self, taken: dict[str, datetime]) -> None:
        self.hints.restore(taken)

    async def fresh(self, taken: dict[str, datetime]) -> tuple[list[IssueSnapshot], list[str]]:
        """The snapshots that are news (primed for the reader), and the keys whose read failed
        for a reason worth another try (they are put back for the next round)."""
        keys = list(taken)
        results = await asyncio.gather(
            *(self._gateway.issue(k) for k in keys), return_exceptions=True
        )
        fresh: list[IssueSnapshot] = []
        failed: list[str] = []
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, TrackerNotFound):
                log.warning("webhook.no_such_issue", issue=key)
                self._metrics.reads.labels(outcome="unchanged").inc()
            elif isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                log.warning("webhook.read_failed", issue=key, error=str(result))
                self._metrics.reads.labels(outcome="failed").inc()
                failed.append(key)
            elif self._sync.seen(result):
                self._metrics.reads.labels(outcome="unchanged").inc()
            else:
                self._metrics.reads.labels(outcome="changed").inc()
                self.health.lag((taken[key] - result.last_activity).total_seconds())
                fresh.append(result)
        self._reader.prime(fresh)
        return fresh, failed

    def evaluated(self, snapshots: Sequence[IssueSnapshot]) -> None:
        """The rules pass has handled these: polling need not report them again."""
        for snapshot in snapshots:
            self._sync.note(snapshot)

    def sync_interval(self, now: datetime, default: float) -> float:
        """How long polling sleeps between cycles: longer while webhooks are healthy."""
        self.health.expire(now)
        return max(default, self._healthy_poll) if self.health.healthy(now) else default
