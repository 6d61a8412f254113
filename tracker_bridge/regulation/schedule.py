"""When to look at each request again: the periodic pass only compares these with ``now``.

Deadlines are computed when an issue changes (:func:`tracker_bridge.regulation.rules.evaluate`
returns ``next_check_at``); an idle pass over 10,000 unchanged issues is then a heap peek instead
of 10,000 recomputations. Plain in-memory data, no I/O.
"""

from __future__ import annotations

import heapq
from datetime import datetime

__all__ = ["WakeupSchedule"]

_SLACK = 16  # superseded entries tolerated beyond the live ones before a rebuild


class WakeupSchedule:
    """Issue key → the next moment its evaluation can change. Superseded entries are lazily
    dropped when they reach the top of the heap, and the heap is rebuilt when they outnumber
    the live ones, so its size follows the scheduled issues, not every change ever made."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, str]] = []
        self._when: dict[str, datetime] = {}

    def __len__(self) -> int:
        return len(self._when)

    def set(self, key: str, when: datetime | None) -> None:
        """Look at ``key`` again at ``when``; ``None`` means only when it changes."""
        if when is None:
            self._when.pop(key, None)
        elif self._when.get(key) != when:
            self._when[key] = when
            heapq.heappush(self._heap, (when, key))
        if len(self._heap) > 2 * len(self._when) + _SLACK:
            self._heap = [(at, k) for k, at in self._when.items()]
            heapq.heapify(self._heap)

    @property
    def entries(self) -> int:
        """How many entries the heap holds, live or superseded (for the memory bound)."""
        return len(self._heap)

    def when(self, key: str) -> datetime | None:
        return self._when.get(key)

    def next_due(self) -> datetime | None:
        """The earliest scheduled moment, for the loop's sleep."""
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def waiting(self, now: datetime) -> tuple[int, datetime | None]:
        """How many keys are due at ``now`` and the earliest moment among them (the backlog)."""
        due = [at for at in self._when.values() if at <= now]
        return len(due), min(due, default=None)

    def due(self, now: datetime) -> list[str]:
        """Pop and return every key whose moment has come (each once)."""
        out: list[str] = []
        while True:
            self._drop_stale()
            if not self._heap or self._heap[0][0] > now:
                return out
            _, key = heapq.heappop(self._heap)
            del self._when[key]
            out.append(key)

    def _drop_stale(self) -> None:
        while self._heap and self._when.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)
