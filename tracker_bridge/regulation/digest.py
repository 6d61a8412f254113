"""R21: the daily digest for support — open requests by priority, what is due today, breaches.

High-priority requests are taken daily, the rest may be deferred (R21); the digest is how support
sees both at the start of each working day. It goes out once per customer per working day, at the
opening or as soon after it as the daemon runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.sla import ClockKind, ClockState, execution_clock, reaction_clock

__all__ = ["Digest", "DigestLine", "TelegramDigest", "daily_digests"]


@dataclass(frozen=True)
class DigestLine:
    key: str
    summary: str
    priority: str
    status_title: str
    deadline: datetime | None
    clock: ClockKind = ClockKind.EXECUTION  # which deadline the line speaks of


@dataclass(frozen=True)
class Digest:
    customer: str
    day: date
    by_priority: Mapping[str, int]
    due_today: tuple[DigestLine, ...]
    breached: tuple[DigestLine, ...]

    @property
    def open_total(self) -> int:
        return sum(self.by_priority.values())


@dataclass(frozen=True)
class TelegramDigest:
    """Post one customer's digest of the day to its chat (R21)."""

    digest: Digest

    @property
    def key(self) -> str:
        return f"digest:{self.digest.customer}:{self.digest.day.isoformat()}"


def daily_digests(
    views: Iterable[IssueView],
    customers: Iterable[str],
    now: datetime,
    cal: WorkCalendar,
    policy: Policy,
) -> list[TelegramDigest]:
    """One digest per customer, on working days from the opening on; nothing on days off."""
    local = now.astimezone(cal.tz)
    hours = cal.opening_hours(local.date())
    if hours is None or now < hours[0]:
        return []
    by_customer: dict[str, list[IssueView]] = {name: [] for name in customers}
    for view in views:
        if not view.status.is_terminal and view.customer in by_customer:
            by_customer[view.customer].append(view)
    return [
        TelegramDigest(_digest(name, issues, now, cal, policy))
        for name, issues in by_customer.items()
    ]


def _digest(
    customer: str,
    issues: list[IssueView],
    now: datetime,
    cal: WorkCalendar,
    policy: Policy,
) -> Digest:
    day = now.astimezone(cal.tz).date()
    due: list[DigestLine] = []
    breached: list[DigestLine] = []
    for view in sorted(issues, key=lambda v: v.key):
        for clock in (reaction_clock, execution_clock):
            reading = clock(view, now, cal, policy)
            if reading is None or reading.ended_at is not None:
                continue  # met or stopped: nothing is owed on this clock
            line = DigestLine(
                view.key,
                view.summary,
                view.priority,
                view.status.title_ru,
                reading.deadline,
                reading.kind,
            )
            if reading.state is ClockState.BREACHED:
                breached.append(line)
            elif reading.deadline.astimezone(cal.tz).date() == day:
                due.append(line)
    counts = Counter(v.priority for v in issues)
    return Digest(customer, day, dict(sorted(counts.items())), tuple(due), tuple(breached))
