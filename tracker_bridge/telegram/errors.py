"""What can go wrong when the bridge talks to Telegram, as the caller's retry policy needs it.

::

    TelegramBridgeError
    ├── TelegramTransient       timeouts, 5xx, flood control still hit after the rate limiter's
    │                           retries: the same call may succeed later
    └── TelegramPermanent       400 Bad Request (bad HTML, too long, unknown chat), a rejected
        │                       token: retrying the same call will fail the same way
        └── ChatUnavailable     403: the bot was kicked from (or blocked in) the chat; further
                                calls for that chat are refused without a request until restored

Everything :mod:`tracker_bridge.telegram.mirror` raises is one of these, chained (``from``) to the
python-telegram-bot exception it translates. PTB's ``BadRequest`` subclasses ``NetworkError``;
it is permanent here, never retried as a network hiccup.
"""

from __future__ import annotations

from datetime import timedelta

from tracker_bridge.foundation.failures import Permanent, Transient

__all__ = ["ChatUnavailable", "TelegramBridgeError", "TelegramPermanent", "TelegramTransient"]


class TelegramBridgeError(Exception):
    """Base of every Telegram error; ``chat_id`` is the chat the call was for, if any."""

    def __init__(self, message: str, *, chat_id: int | None = None) -> None:
        super().__init__(message)
        self.chat_id = chat_id


class TelegramTransient(Transient, TelegramBridgeError):
    """Try again later; ``retry_after`` is Telegram's own hint when it gave one."""

    def __init__(
        self, message: str, *, chat_id: int | None = None, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(message, chat_id=chat_id)
        self.retry_after = retry_after


class TelegramPermanent(Permanent, TelegramBridgeError):
    """Telegram refused this call for good: do not retry it as it is."""


class ChatUnavailable(TelegramPermanent):
    """The bot can no longer write to ``chat_id`` (kicked, blocked, not a member)."""
