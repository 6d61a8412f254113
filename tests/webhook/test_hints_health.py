"""The webhook's pure parts: pending keys (one read per burst) and the health record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from tracker_bridge.webhook.health import WebhookHealth
from tracker_bridge.webhook.hints import Hints
from tracker_bridge.webhook.metrics import WebhookMetrics

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
S = timedelta(seconds=1)


def _health() -> WebhookHealth:
    return WebhookHealth(WebhookMetrics(CollectorRegistry()))


def _missed(health: WebhookHealth) -> float:
    return health.metrics.missed._value.get()  # type: ignore[attr-defined]


async def test_a_key_waits_once_whatever_the_number_of_calls() -> None:
    hints = Hints()
    assert hints.add("SUP-1", T0)
    assert not hints.add("SUP-1", T0 + S)
    assert hints.add("SUP-2", T0 + S)
    await hints.wait()
    assert hints.take() == {"SUP-1": T0, "SUP-2": T0 + S}
    assert len(hints) == 0


def test_a_failed_read_is_put_back_with_its_first_call_time() -> None:
    hints = Hints()
    hints.add("SUP-1", T0 + 5 * S)  # a call that came while the first read failed
    hints.restore({"SUP-1": T0})
    assert hints.take() == {"SUP-1": T0}


def test_the_number_of_waiting_keys_is_bounded() -> None:
    hints = Hints(limit=2)
    assert [hints.add(f"SUP-{n}", T0) for n in range(3)] == [True, True, False]


def test_webhooks_are_healthy_once_a_call_came_and_none_was_missed() -> None:
    health = _health()
    assert not health.healthy(T0)
    assert health.to_json(T0)["status"] == "waiting"
    health.called("SUP-1", T0)
    assert health.healthy(T0)
    assert health.to_json(T0)["status"] == "ok"


def test_a_change_polling_found_first_is_not_missed_when_its_call_comes_late() -> None:
    health = _health()
    health.called("SUP-1", T0)
    health.polled([("SUP-1", T0 + 60 * S)], T0 + 61 * S)
    assert not health.healthy(T0 + 61 * S)  # waiting for the call: polling keeps its pace
    health.called("SUP-1", T0 + 62 * S)
    assert health.expire(T0 + 10 * 60 * S) == 0
    assert health.healthy(T0 + 10 * 60 * S)


def test_a_change_no_call_announced_is_missed_after_the_grace() -> None:
    """The call for an earlier change of the same issue does not count for this one."""
    health = _health()
    health.called("SUP-1", T0)
    health.polled([("SUP-1", T0 + 60 * S)], T0 + 90 * S)
    assert health.expire(T0 + 90 * S + health.missed_grace) == 0
    assert health.expire(T0 + 91 * S + health.missed_grace) == 1
    assert _missed(health) == 1
    later = T0 + 92 * S + health.missed_grace
    assert not health.healthy(later)
    assert health.to_json(later)["status"] == "missing_changes"
    assert health.healthy(later + health.healthy_window)


def test_a_call_that_came_before_its_change_was_polled_covers_it() -> None:
    health = _health()
    health.called("SUP-1", T0 + 60 * S)
    health.polled([("SUP-1", T0 + 60 * S)], T0 + 90 * S)
    assert health.expire(T0 + 30 * 60 * S) == 0
