"""Are the trigger webhooks doing their job? Arrivals, and the changes only polling found.

Polling keeps running beside the webhooks. A change that polling finds and no webhook call named
within ``missed_grace`` (before or after) was missed by the webhook: counted in
``tracker_bridge_webhook_missed_changes_total`` and logged as ``webhook.missed``, the sign of a
trigger that is absent, disabled, or pointing elsewhere. Webhooks are *healthy* once a call has
arrived and none was missed within ``healthy_window``; while healthy, polling may run less often
(``webhook.healthy_poll_interval``). Time is passed in (the injected clock), so tests move it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from tracker_bridge.webhook.metrics import WebhookMetrics

__all__ = ["SKEW", "WebhookHealth"]

log = structlog.get_logger(__name__)

# Tracker's clock against ours: a call is never earlier than its change by more than this
SKEW = timedelta(seconds=5)


@dataclass
class WebhookHealth:
    """The webhook's record since start, and the verdict on it."""

    metrics: WebhookMetrics
    missed_grace: timedelta = timedelta(minutes=2)
    healthy_window: timedelta = timedelta(hours=1)
    calls: int = 0
    missed: int = 0
    last_call: datetime | None = None
    last_missed: datetime | None = None
    # key → when a call last named it / when polling found it without a call (both pruned)
    _called: dict[str, datetime] = field(default_factory=dict)
    _polled: dict[str, datetime] = field(default_factory=dict)

    def called(self, key: str, at: datetime) -> None:
        """An authenticated call named ``key`` at ``at``."""
        self.calls += 1
        self.last_call = at if self.last_call is None or at > self.last_call else self.last_call
        self.metrics.last_call.set(at.timestamp())
        self._called[key] = at
        self._polled.pop(key, None)  # polling was first, the call came late but came

    def lag(self, seconds: float) -> None:
        """A call came ``seconds`` after the change it announced (read from Tracker)."""
        self.metrics.lag.observe(max(0.0, seconds))

    def polled(self, changes: Iterable[tuple[str, datetime]], at: datetime) -> None:
        """Polling found these issues changed — (key, the change's time in Tracker) — at ``at``.
        A call that came after the change (less :data:`SKEW`) announced it; a call for an
        earlier change of the same issue did not."""
        for key, changed in changes:
            called = self._called.get(key)
            if called is None or called < changed - SKEW:
                self._polled.setdefault(key, at)

    def expire(self, now: datetime) -> int:
        """Count as missed every polled change that no call named within the grace; how many."""
        late = [k for k, at in self._polled.items() if now - at > self.missed_grace]
        for key in late:
            del self._polled[key]
            self.missed += 1
            self.last_missed = now
            self.metrics.missed.inc()
            log.warning("webhook.missed", issue=key)
        for key in [k for k, at in self._called.items() if now - at > self.missed_grace]:
            del self._called[key]
        self.metrics.healthy.set(1 if self.healthy(now) else 0)
        return len(late)

    def healthy(self, now: datetime) -> bool:
        """A call has arrived, polling found no missed change within the window, and none it
        found is waiting for its call (until that comes, polling runs at its usual pace)."""
        if self.last_call is None or self._polled:
            return False
        return self.last_missed is None or now - self.last_missed > self.healthy_window

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The ``webhook`` part of ``/healthz``."""
        if self.last_call is None:
            status = "waiting"  # no call yet: is the trigger installed? (`tracker-bridge check`)
        else:
            status = "ok" if self.healthy(now) else "missing_changes"
        return {
            "status": status,
            "calls": self.calls,
            "last_call": None if self.last_call is None else self.last_call.isoformat(),
            "missed_changes": self.missed,
            "last_missed": None if self.last_missed is None else self.last_missed.isoformat(),
        }
