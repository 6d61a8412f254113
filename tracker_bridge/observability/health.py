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
(:func:`tracker_bridge.runtime.systemd.watchdog_loop`), beaten after *every* pass, failed or not
with
thresholds of a few loop periods: only a loop that stopped going round should get the process
restarted — restarting cannot fix a mail server that is down, and systemd's start limit would
leave the unit failed after a few tries.

A loop can also be *stuck*: it goes round but gets nothing done while work waits for it (a full
disk, Tracker down, a wrong SMTP password). After every pass the daemon reports each loop's
backlog (:meth:`Health.waiting`); a loop whose last success is older than its
:data:`STUCK_AFTER` threshold **and** whose work waits is unhealthy, with the reason (how many
items, the oldest's age). An outage a person must fix (:mod:`tracker_bridge.observability.outages`:
a revoked
token, a wrong password) makes the check fail at once, naming the system and the error.

Beats arrive from the event loop and checks from the HTTP server's thread, hence the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from tracker_bridge.foundation.failures import Failure
from tracker_bridge.observability.outages import Outages

__all__ = ["DEFAULT_THRESHOLDS", "STUCK_AFTER", "Health", "HealthReport", "LoopHealth"]

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

# How long a loop may go without success while work waits for it before /healthz fails.
STUCK_AFTER: Mapping[str, timedelta] = MappingProxyType(
    {
        "intake": timedelta(minutes=2),
        "tracker_sync": timedelta(minutes=5),
        "rules": timedelta(minutes=5),
        "outbox": timedelta(minutes=5),
    }
)


@dataclass(frozen=True)
class LoopHealth:
    """One loop at the moment of a check."""

    last_beat: datetime | None
    age: timedelta
    threshold: timedelta
    waiting: int = 0
    oldest_age: timedelta | None = None
    stuck_after: timedelta | None = None

    @property
    def stale(self) -> bool:
        return self.age > self.threshold

    @property
    def stuck(self) -> bool:
        """No success for longer than ``stuck_after`` while work waits."""
        return self.stuck_after is not None and self.waiting > 0 and self.age > self.stuck_after

    def reason(self, name: str) -> str:
        since = f"last success {_ago(self.age)} ago"
        oldest = "" if self.oldest_age is None else f", the oldest for {_ago(self.oldest_age)}"
        work = f"{self.waiting} waiting{oldest}; " if self.waiting else ""
        if self.stuck and not self.stale:
            return f"{name}: stuck — {work}{since}"
        return f"{name}: stale — {work}{since} (threshold {_ago(self.threshold)})"

    def to_json(self) -> dict[str, Any]:
        oldest = None if self.oldest_age is None else round(self.oldest_age.total_seconds(), 3)
        return {
            "last_success": None if self.last_beat is None else self.last_beat.isoformat(),
            "age_seconds": round(self.age.total_seconds(), 3),
            "threshold_seconds": self.threshold.total_seconds(),
            "stale": self.stale,
            "waiting": self.waiting,
            "oldest_waiting_seconds": oldest,
            "stuck": self.stuck,
        }


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


@dataclass(frozen=True)
class HealthReport:
    """The answer of one check: ``ok`` unless some loop is ``stale``."""

    ok: bool
    stale: list[str]
    details: dict[str, LoopHealth] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # things to do soon; never a failure
    # informative parts that do not decide ``ok`` (the webhook's record)
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)
    stuck: list[str] = field(default_factory=list)
    outages: dict[str, dict[str, Any]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``/healthz`` body."""
        status = "ok"
        if not self.ok:
            status = "stale" if self.stale else "stuck" if self.stuck else "outage"
        return {
            "status": status,
            "stale": list(self.stale),
            "stuck": list(self.stuck),
            "reasons": list(self.reasons),
            "outages": dict(self.outages),
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
        stuck_after: Mapping[str, timedelta] = STUCK_AFTER,
        *,
        outages: Outages | None = None,
    ) -> None:
        if not thresholds:
            raise ValueError("Health needs at least one loop to watch")
        self._started_at = started_at
        self._thresholds = {name: _duration(name, limit) for name, limit in thresholds.items()}
        self._beats: dict[str, datetime] = {}
        self._notes: dict[str, str] = {}
        self._waiting: dict[str, tuple[int, datetime | None]] = {}
        self._stuck_after = dict(stuck_after)
        self._lock = threading.Lock()
        self._extras: dict[str, Callable[[datetime], dict[str, Any]]] = {}
        self.outages = outages

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

    def waiting(self, loop: str, count: int, oldest: datetime | None) -> None:
        """After a pass: ``count`` items wait for ``loop``, the oldest since ``oldest``."""
        with self._lock:
            self._waiting[loop] = (count, oldest)

    def check(self, now: datetime) -> HealthReport:
        """Which loops have gone longer than their threshold without success (or are stuck with
        work waiting), and which outages need a person, as of ``now``."""
        with self._lock:
            beats, waiting = dict(self._beats), dict(self._waiting)
            notes = dict(self._notes)
        details = {}
        for name, threshold in self._thresholds.items():
            count, oldest = waiting.get(name, (0, None))
            details[name] = LoopHealth(
                last_beat=beats.get(name),
                age=now - beats.get(name, self._started_at),
                threshold=threshold,
                waiting=count,
                oldest_age=None if oldest is None else now - oldest,
                stuck_after=self._stuck_after.get(name),
            )
        stale = [name for name, loop in details.items() if loop.stale]
        extras = {name: report(now) for name, report in self._extras.items()}
        stuck = [name for name, loop in details.items() if loop.stuck and not loop.stale]
        reasons = [details[name].reason(name) for name in (*stale, *stuck)]
        down = self.outages.down() if self.outages is not None else {}
        outages = {system: outage.to_json(now) for system, outage in down.items()}
        for system, outage in down.items():
            if outage.kind is Failure.OPERATOR:
                reasons.append(f"{system}: needs an operator — {outage.reason}")
        return HealthReport(
            ok=not reasons, stale=stale, details=details, stuck=stuck, outages=outages,
            reasons=reasons, notes=notes, extras=extras,
        )  # fmt: skip


def _duration(name: str, limit: timedelta | float) -> timedelta:
    value = limit if isinstance(limit, timedelta) else timedelta(seconds=limit)
    if value <= timedelta(0):
        raise ValueError(f"threshold for {name!r} must be positive, got {limit!r}")
    return value
