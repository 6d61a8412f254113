"""tracker_bridge.foundation.retry: backoff, caps, what is retried, logging and the test switch."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from tracker_bridge.foundation import retry
from tracker_bridge.foundation.retry import RetryPolicy, backoff, retrying
from tracker_bridge.tracker.errors import (
    TrackerBadRequest,
    TrackerRateLimited,
    TrackerTransient,
    TrackerUnavailable,
)

POLICY = RetryPolicy(attempts=4, initial_wait=1.0, max_wait=5.0, jitter=0.5)


def test_backoff_doubles_up_to_the_cap() -> None:
    """Exponential from initial_wait, never above max_wait without jitter."""
    assert [backoff(POLICY, n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_adds_at_most_its_fraction() -> None:
    """rand in [0, 1) adds up to `jitter` of the wait."""
    assert backoff(POLICY, 2, rand=0.0) == 2.0
    assert backoff(POLICY, 2, rand=0.999) == pytest.approx(2.999)


def test_retry_after_is_a_floor() -> None:
    """A server's Retry-After is waited even past max_wait; a short one changes nothing."""
    assert backoff(POLICY, 1, retry_after=30) == 30
    assert backoff(POLICY, 3, retry_after=0.5) == 4.0


def test_a_policy_needs_at_least_one_attempt() -> None:
    """Nonsense policies are refused at construction."""
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


class Flaky:
    """Fails with `error` the first `failures` times, then answers."""

    def __init__(self, error: Exception, failures: int) -> None:
        self.error, self.failures, self.calls = error, failures, 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, TrackerTransient)


async def test_transient_errors_are_retried_and_each_retry_logged() -> None:
    """Two outages then success: three calls, two retry.scheduled events."""
    call = Flaky(TrackerUnavailable("down"), failures=2)
    with capture_logs() as logs:
        assert await retrying(call, name="t", policy=POLICY, transient=_transient) == "ok"
    assert call.calls == 3
    events = [e for e in logs if e["event"] == "retry.scheduled"]
    assert [e["attempt"] for e in events] == [1, 2]
    assert all(e["call"] == "t" and e["error"] == "TrackerUnavailable" for e in events)


async def test_permanent_errors_are_not_retried() -> None:
    """A bad request is raised at once, unchanged."""
    call = Flaky(TrackerBadRequest("no"), failures=5)
    with pytest.raises(TrackerBadRequest):
        await retrying(call, name="t", policy=POLICY, transient=_transient)
    assert call.calls == 1


async def test_attempts_are_capped_and_the_last_error_raised() -> None:
    """After `attempts` failures the original exception comes out (not tenacity's)."""
    call = Flaky(TrackerUnavailable("down"), failures=10)
    with pytest.raises(TrackerUnavailable, match="down"):
        await retrying(call, name="t", policy=POLICY, transient=_transient)
    assert call.calls == 4


async def test_total_time_cap_stops_before_a_wait_that_would_pass_it() -> None:
    """A wait longer than total_seconds is not started: the error is raised instead."""
    call = Flaky(TrackerRateLimited("slow down", retry_after=100), failures=1)
    policy = RetryPolicy(total_seconds=10)
    with pytest.raises(TrackerRateLimited):
        await retrying(
            call,
            name="t",
            policy=policy,
            transient=_transient,
            retry_after=lambda e: e.retry_after if isinstance(e, TrackerRateLimited) else None,
        )
    assert call.calls == 1


async def test_the_test_switch_turns_sleeps_off() -> None:
    """With waits of an hour, testing mode still finishes at once."""
    call = Flaky(TrackerUnavailable("down"), failures=2)
    hour = RetryPolicy(initial_wait=3600, max_wait=3600, total_seconds=86400)
    assert retry.is_testing()
    assert await retrying(call, name="t", policy=hour, transient=_transient) == "ok"


def test_testing_context_restores_the_previous_setting() -> None:
    """retry.testing(False) inside the suite's testing(True) puts it back afterwards."""
    with retry.testing(False):
        assert not retry.is_testing()
    assert retry.is_testing()
