"""Issue keys that webhook calls named, each waiting for one read.

A flood of calls for one issue costs one read: a key already waiting is not added again, and the
daemon waits :data:`DEBOUNCE` after the first call before it reads, so a burst lands in one batch.
A call that comes while its issue is being read adds the key again (the read may have started
before the change it announces). The number of waiting keys is bounded; past the bound a call
is dropped and polling finds the change.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

__all__ = ["DEBOUNCE", "MAX_PENDING", "Hints"]

DEBOUNCE = 0.05  # seconds: Tracker may fire several triggers for one edit
MAX_PENDING = 10_000


class Hints:
    """Pending keys with the time of the first call that named each."""

    def __init__(self, limit: int = MAX_PENDING) -> None:
        self._pending: dict[str, datetime] = {}
        self._limit = limit
        self._event = asyncio.Event()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, key: str, at: datetime) -> bool:
        """Ask for a read of ``key``; ``False`` when one is already waiting (or no room)."""
        if key in self._pending or len(self._pending) >= self._limit:
            return False
        self._pending[key] = at
        self._event.set()
        return True

    async def wait(self) -> None:
        """Return once a key is waiting."""
        await self._event.wait()

    def take(self) -> dict[str, datetime]:
        """Every waiting key (oldest first) with its first call's time; none waits after."""
        taken, self._pending = self._pending, {}
        self._event.clear()
        return taken

    def restore(self, taken: dict[str, datetime]) -> None:
        """Put back keys whose read failed, keeping their first call's time."""
        for key, at in taken.items():
            known = self._pending.get(key)
            self._pending[key] = at if known is None or at < known else known
        if self._pending:
            self._event.set()
