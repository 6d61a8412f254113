"""The project's one backoff: :class:`RetryPolicy` and its :func:`backoff` formula, on tenacity.

Every wait between two tries in the bridge comes from :func:`backoff` — an adapter's retries of
one call (:func:`retrying`: Tracker), the IMAP source's reconnects, the daemon's loops after a
failed pass and its schedule for mail that met an outage, the outbox's resends. Each use has its
own :class:`RetryPolicy` (how many tries, how long, the first and the longest wait); the formula
is the same. Which errors are worth a retry is :mod:`tracker_bridge.foundation.failures`' answer.

:func:`retrying` waits on the sleep it is given — the injected clock's, so a test moves a
``ManualClock`` past a minute of backoff in no time and production waits in real time. Waits grow
exponentially with random jitter, never shorter than a ``Retry-After``; retrying stops after
``attempts`` tries or when the next wait would pass ``total_seconds`` since the first try,
whichever comes first, and then the last error is raised as it was. Each retry is one structlog
event, ``retry.scheduled``.

Global state (like stamina's ``set_testing``): :func:`set_testing` turns the *sleeps* off for
callers that gave no clock of their own (the unit tests of one adapter). The waits are still
computed and logged, so a test can check that a ``Retry-After`` was honoured without waiting.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

__all__ = [
    "RetryPolicy",
    "Sleep",
    "backoff",
    "is_testing",
    "retrying",
    "set_testing",
    "testing",
]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
log = structlog.get_logger(__name__)

_testing = False  # the only global state here: tests switch the sleeps off


def set_testing(on: bool) -> None:
    """Skip the sleeps between attempts (the waits are still computed and logged)."""
    global _testing  # noqa: PLW0603  (stamina-style switch, documented above)
    _testing = on


def is_testing() -> bool:
    return _testing


@contextmanager
def testing(on: bool = True) -> Iterator[None]:
    """:func:`set_testing` for a block, restoring the previous setting after it."""
    before = _testing
    set_testing(on)
    try:
        yield
    finally:
        set_testing(before)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` in all (1 = no retry), within ``total_seconds``."""

    attempts: int = 6
    total_seconds: float = 30.0
    initial_wait: float = 0.5
    # the longest wait (plus jitter: 6 s × 1.25 = 7.5 s): a call that meets an outage is tried
    # again within seconds of the dependency coming back
    max_wait: float = 6.0
    jitter: float = 0.25  # up to this fraction of the wait is added at random
    # told the call's name before each retry (the daemon counts them in its metrics)
    on_retry: Callable[[str], None] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.total_seconds <= 0 or self.initial_wait < 0:
            raise ValueError("RetryPolicy needs attempts >= 1, total_seconds > 0, waits >= 0")


def backoff(
    policy: RetryPolicy, attempt: int, retry_after: float | None = None, rand: float = 0.0
) -> float:
    """The wait after failed try number ``attempt`` (1-based); ``rand`` in [0, 1) is the jitter.

    Exponential from ``initial_wait``, capped at ``max_wait``, plus jitter; a server's
    ``Retry-After`` is a floor, even above ``max_wait`` (the total cap then decides).
    """
    base = min(policy.max_wait, policy.initial_wait * 2.0 ** (attempt - 1))
    wait: float = base * (1 + policy.jitter * rand)
    return wait if retry_after is None else max(wait, retry_after)


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    name: str,
    policy: RetryPolicy,
    transient: Callable[[BaseException], bool],
    retry_after: Callable[[BaseException], float | None] = lambda _exc: None,
    sleep: Sleep | None = None,
) -> T:
    """Await ``call()`` until it succeeds, retrying only errors ``transient`` accepts; the waits
    go through ``sleep`` (an injected clock's), else real time (off in :func:`testing`)."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        hint = retry_after(error) if error is not None else None
        return backoff(policy, state.attempt_number, hint, random.random())  # noqa: S311

    def announce(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "retry.scheduled",
            call=name,
            attempt=state.attempt_number,
            wait=round(state.upcoming_sleep, 3),
            error=type(error).__name__,
            detail=str(error)[:200],
        )
        if policy.on_retry is not None:
            policy.on_retry(name)

    retryer = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts) | stop_before_delay(policy.total_seconds),
        wait=wait,
        retry=retry_if_exception(transient),
        before_sleep=announce,
        sleep=sleep or _sleep,
        reraise=True,
    )

    async def attempt() -> T:  # a coroutine function: tenacity awaits only those
        return await call()

    return await retryer(attempt)


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(0 if _testing else seconds)
