"""Fault knobs of FakeTelegram: scripted errors and the Bot API's flood limits.

Both read time only from the injected clock, so a test moves past a ``retry_after`` with
``ManualClock.advance`` instead of sleeping.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker_bridge.testing.fake_telegram.api import ApiError

__all__ = ["FaultScript", "RateLimiter"]

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
# Methods that post or change messages: the ones Telegram's flood control counts.
LIMITED_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})


def flood_error(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


@dataclass
class _Fault:
    method: str
    error_code: int
    description: str | None
    retry_after: int | None
    remaining: int

    def error(self) -> ApiError:
        if self.error_code == 429:
            retry_after = 1 if self.retry_after is None else self.retry_after
            return ApiError(
                429, self.description or flood_error(retry_after).description, retry_after
            )
        description = self.description or _DEFAULT_DESCRIPTIONS.get(self.error_code, "Error")
        return ApiError(self.error_code, description, self.retry_after)


class FaultScript:
    """Errors queued per method (``"*"`` matches any), answered in the order they were queued."""

    def __init__(self) -> None:
        self._faults: list[_Fault] = []

    def add(
        self,
        method: str,
        error_code: int,
        description: str | None,
        retry_after: int | None,
        times: int,
    ) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        self._faults.append(_Fault(method.lower(), error_code, description, retry_after, times))

    def take(self, method: str) -> ApiError | None:
        for fault in self._faults:
            if fault.method in ("*", method.lower()):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault.error()
        return None

    @property
    def pending(self) -> int:
        return sum(fault.remaining for fault in self._faults)


class _Window:
    """At most ``limit`` events in any ``span``; remembers the accepted ones."""

    def __init__(self, limit: int, span: timedelta) -> None:
        self.limit = limit
        self.span = span
        self.events: deque[datetime] = deque()

    def wait(self, now: datetime) -> int:
        """Seconds until one more event fits (0 when it fits now)."""
        while self.events and self.events[0] <= now - self.span:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0
        return max(1, math.ceil((self.events[0] + self.span - now).total_seconds()))


class RateLimiter:
    """Per-chat and global windows; a request over any of them is a 429 with retry_after."""

    def __init__(
        self,
        per_chat_per_minute: int | None,
        global_per_second: int | None,
        per_chat_per_second: int | None,
    ) -> None:
        self._global = _window(global_per_second, timedelta(seconds=1))
        self._chat_limits = [
            (limit, span)
            for limit, span in (
                (per_chat_per_minute, timedelta(minutes=1)),
                (per_chat_per_second, timedelta(seconds=1)),
            )
            if limit is not None
        ]
        self._chats: dict[int | str, list[_Window]] = {}

    def admit(self, chat_id: int | str, now: datetime) -> None:
        """Count one request, or raise the 429 the API would answer (not counting it)."""
        if chat_id not in self._chats:
            self._chats[chat_id] = [_Window(limit, span) for limit, span in self._chat_limits]
        windows = [*self._chats[chat_id], *([self._global] if self._global else [])]
        retry_after = max((window.wait(now) for window in windows), default=0)
        if retry_after:
            raise flood_error(retry_after)
        for window in windows:
            window.events.append(now)


def _window(limit: int | None, span: timedelta) -> _Window | None:
    return None if limit is None else _Window(limit, span)
