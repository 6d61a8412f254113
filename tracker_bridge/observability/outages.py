"""Which outside systems are down right now, since when and why — one record the daemon, the
metrics, ``/healthz`` and the alert share.

Adapters (through the wiring) report each call's outcome with :meth:`Outages.note`: an error that
:mod:`tracker_bridge.foundation.failures` reads as transient or operator-fixable marks the system
down, a
success marks it up. Beginnings and ends are logged once each (``outage.began``,
``outage.ended``), the gauge ``tracker_bridge_dependency_up`` follows, and an outage a person must
fix (a revoked token, a wrong password, a relay that refuses us) is alerted once per outage
through ``alert`` (the Telegram ops chat, when configured). A permanent error says nothing about
the system (a deleted issue, an unknown recipient): it changes nothing here.

Beats arrive from the event loop and reads from the HTTP server's thread, hence the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from tracker_bridge.foundation.failures import Failure, classify

__all__ = ["SYSTEMS", "Outage", "Outages", "system_of"]

log = structlog.get_logger(__name__)

SYSTEMS = ("tracker", "imap", "smtp", "telegram", "store")


@dataclass(frozen=True)
class Outage:
    """One system that is down: since when, what kind of failure, the last error's text."""

    system: str
    since: datetime
    kind: Failure
    reason: str

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "seconds": round((now - self.since).total_seconds(), 3),
            "kind": self.kind.value,
            "reason": self.reason,
        }


Alert = Callable[[Outage], Awaitable[None]]


class Outages:
    """The systems that are down now."""

    def __init__(
        self,
        *,
        on_change: Callable[[str, bool], None] | None = None,
        alert: Alert | None = None,
    ) -> None:
        self._down: dict[str, Outage] = {}
        self._alerted: set[str] = set()
        self._lock = threading.Lock()
        self._on_change = on_change
        self.alert = alert  # a message to the operators' chat, where Telegram has one
        self._pending_alerts: list[Outage] = []

    def note(self, system: str, error: BaseException | None, at: datetime) -> None:
        """The outcome of one call to ``system``: ``None`` for success."""
        if error is None:
            self._up(system, at)
            return
        kind = classify(error)
        if kind is Failure.PERMANENT:
            return
        reason = _reason(error)
        with self._lock:
            before = self._down.get(system)
            began = before is None
            # the kind may change during one outage (a 503, then a 401): keep when it began
            self._down[system] = Outage(system, before.since if before else at, kind, reason)
            needs_alert = kind is Failure.OPERATOR and system not in self._alerted
            if needs_alert:
                self._alerted.add(system)
                self._pending_alerts.append(self._down[system])
        if began:
            log.error("outage.began", system=system, kind=kind.value, reason=reason)
            if self._on_change is not None:
                self._on_change(system, False)
        elif before is not None and before.kind is not kind:
            log.error("outage.changed", system=system, kind=kind.value, reason=reason)

    def _up(self, system: str, at: datetime) -> None:
        with self._lock:
            outage = self._down.pop(system, None)
            self._alerted.discard(system)
        if outage is None:
            return
        seconds = round((at - outage.since).total_seconds(), 3)
        log.info("outage.ended", system=system, kind=outage.kind.value, seconds=seconds)
        if self._on_change is not None:
            self._on_change(system, True)

    def down(self) -> dict[str, Outage]:
        with self._lock:
            return dict(self._down)

    def is_down(self, system: str) -> bool:
        with self._lock:
            return system in self._down

    async def send_alerts(self) -> None:
        """Send the alerts due (one per operator-fixable outage); a failed send is logged and
        not repeated — the log, the metric and ``/healthz`` still say it."""
        with self._lock:
            due, self._pending_alerts = self._pending_alerts, []
        for outage in due:
            if self.alert is None:
                continue
            try:
                await self.alert(outage)
            except Exception as exc:
                log.warning("outage.alert_failed", system=outage.system, error=str(exc))
            else:
                log.info("outage.alerted", system=outage.system)


def system_of(error: BaseException) -> str | None:
    """Which outside system ``error`` (or an error it was raised from) came from."""
    import sqlite3  # noqa: PLC0415 - kept beside the other lookups below

    from tracker_bridge.mail.errors import MailError  # noqa: PLC0415 - avoid import cycles
    from tracker_bridge.mail.source import MailSourceError  # noqa: PLC0415
    from tracker_bridge.store.records import StoreError  # noqa: PLC0415
    from tracker_bridge.telegram.errors import TelegramBridgeError  # noqa: PLC0415
    from tracker_bridge.tracker.errors import TrackerError  # noqa: PLC0415

    kinds: tuple[tuple[type[BaseException], str], ...] = (
        (TrackerError, "tracker"),
        (MailSourceError, "imap"),
        (MailError, "smtp"),
        (TelegramBridgeError, "telegram"),
        (StoreError, "store"),
        (sqlite3.Error, "store"),
        (OSError, "store"),
    )
    seen: BaseException | None = error
    for _ in range(8):  # the effects re-raise adapters' errors as theirs, ``from`` the original
        if seen is None:
            return None
        for kind, system in kinds:
            if isinstance(seen, kind):
                return system
        seen = seen.__cause__
    return None


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text[:300]
