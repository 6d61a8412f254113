"""Is every loop of the daemon still doing its job? The state behind ``/healthz``.

Each loop calls :meth:`Health.beat` after a pass that *succeeded* (mail fetched, Tracker synced,
rules evaluated, outbox drained, Telegram polled); :meth:`Health.check` names every loop whose
last success is older than its threshold. A silently stuck intake — the process alive, the IMAP
connection hung — is the failure operators of other helpdesks complain about most, and it is
exactly what this catches.

Time comes from the caller (an injected clock), so tests move a ``ManualClock`` past a threshold.
A loop that has not succeeded yet is measured from when :class:`Health` was created, which gives
every loop one threshold of grace at start-up.

The daemon keeps two of these. One for ``/healthz``, beaten after *successful* passes (an IMAP
outage makes it fail: an operator must look). One for the systemd watchdog
(:func:`tracker_bridge.systemd.watchdog_loop`), beaten after *every* pass, failed or not, with
thresholds of a few loop periods: only a loop that stopped going round should get the process
restarted — restarting cannot fix a mail server that is down, and systemd's start limit would
leave the unit failed after a few tries.

Beats arrive from the event loop and checks from the HTTP server's thread, hence the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

__all__ = ["DEFAULT_THRESHOLDS", "Health", "HealthReport", "LoopHealth"]

# How long each loop may go without a successful pass before /healthz fails.
DEFAULT_THRESHOLDS: Mapping[str, timedelta] = MappingProxyType(
    {
        "intake": timedelta(minutes=10),
        "tracker_sync": timedelta(minutes=10),
        "rules": timedelta(minutes=5),
        "outbox": timedelta(minutes=10),
        "telegram": timedelta(minutes=10),
    }
)


@dataclass(frozen=True)
class LoopHealth:
    """One loop at the moment of a check."""

    last_beat: datetime | None
    age: timedelta
    threshold: timedelta

    @property
    def stale(self) -> bool:
        return self.age > self.threshold

    def to_json(self) -> dict[str, Any]:
        return {
            "last_success": None if self.last_beat is None else self.last_beat.isoformat(),
            "age_seconds": round(self.age.total_seconds(), 3),
            "threshold_seconds": self.threshold.total_seconds(),
            "stale": self.stale,
        }


@dataclass(frozen=True)
class HealthReport:
    """The answer of one check: ``ok`` unless some loop is ``stale``."""

    ok: bool
    stale: list[str]
    details: dict[str, LoopHealth] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # things to do soon; never a failure
    # informative parts that do not decide ``ok`` (the webhook's record)
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``/healthz`` body."""
        return {
            "status": "ok" if self.ok else "stale",
            "stale": list(self.stale),
            "loops": {name: loop.to_json() for name, loop in self.details.items()},
            "notes": dict(self.notes),
            **self.extras,
        }


class Health:
    """Last successful pass per loop, and the verdict against per-loop thresholds."""

    def __init__(
        self,
        started_at: datetime,
        thresholds: Mapping[str, timedelta | float] = DEFAULT_THRESHOLDS,
    ) -> None:
        if not thresholds:
            raise ValueError("Health needs at least one loop to watch")
        self._started_at = started_at
        self._thresholds = {name: _duration(name, limit) for name, limit in thresholds.items()}
        self._beats: dict[str, datetime] = {}
        self._notes: dict[str, str] = {}
        self._lock = threading.Lock()
        self._extras: dict[str, Callable[[datetime], dict[str, Any]]] = {}

    def add_part(self, name: str, report: Callable[[datetime], dict[str, Any]]) -> None:
        """Show ``report(now)`` under ``name`` in every check's JSON (it does not decide ``ok``)."""
        self._extras[name] = report

    @property
    def loops(self) -> tuple[str, ...]:
        return tuple(self._thresholds)

    def beat(self, loop: str, at: datetime) -> None:
        """Record a successful pass of ``loop`` at ``at`` (a later beat never moves time back)."""
        if loop not in self._thresholds:
            raise ValueError(f"unknown loop {loop!r}; watched loops: {', '.join(self.loops)}")
        with self._lock:
            previous = self._beats.get(loop)
            if previous is None or at > previous:
                self._beats[loop] = at

    def note(self, key: str, text: str | None) -> None:
        """Set (or with None clear) a note for ``/healthz``: something to do soon, not a fault."""
        with self._lock:
            if text is None:
                self._notes.pop(key, None)
            else:
                self._notes[key] = text

    def check(self, now: datetime) -> HealthReport:
        """Which loops have gone longer than their threshold without success, as of ``now``."""
        with self._lock:
            beats = dict(self._beats)
            notes = dict(self._notes)
        details = {
            name: LoopHealth(
                last_beat=beats.get(name),
                age=now - beats.get(name, self._started_at),
                threshold=threshold,
            )
            for name, threshold in self._thresholds.items()
        }
        stale = [name for name, loop in details.items() if loop.stale]
        extras = {name: report(now) for name, report in self._extras.items()}
        return HealthReport(ok=not stale, stale=stale, details=details, notes=notes, extras=extras)


def _duration(name: str, limit: timedelta | float) -> timedelta:
    value = limit if isinstance(limit, timedelta) else timedelta(seconds=limit)
    if value <= timedelta(0):
        raise ValueError(f"threshold for {name!r} must be positive, got {limit!r}")
    return value
