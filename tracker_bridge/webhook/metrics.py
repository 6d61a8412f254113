"""The webhook's Prometheus metrics, on the daemon's registry (docs/operations.md names them)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from tracker_bridge.observability.metrics import MetricFamilies

__all__ = ["CALL_OUTCOMES", "READ_OUTCOMES", "WebhookMetrics"]

PREFIX = "tracker_bridge_webhook"
# what became of one HTTP call; they start at 0 so that rate() sees the first one
CALL_OUTCOMES = (
    "accepted",  # a read of the issue is scheduled
    "coalesced",  # a read of that issue was already waiting: this call costs nothing
    "unauthorized",
    "rate_limited",
    "too_large",
    "bad_request",
    "unknown_queue",
)
READ_OUTCOMES = ("changed", "unchanged", "failed")
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class WebhookMetrics:
    """Arrivals, their lag, the reads they cost, and the changes only polling found."""

    def __init__(self, registry: CollectorRegistry) -> None:
        m = MetricFamilies(registry, PREFIX)
        self.calls = m.counter(
            "calls", "Trigger webhook calls, by outcome.", "outcome", known=CALL_OUTCOMES
        )
        self.reads = m.counter(
            "reads",
            "Issue reads the webhook scheduled, by what they found.",
            "outcome",
            known=READ_OUTCOMES,
        )
        self.lag = m.histogram(
            "lag_seconds",
            "From the issue's change in Tracker to the webhook call about it.",
            LAG_BUCKETS,
        )
        self.last_call = m.gauge(
            "last_call_timestamp_seconds", "Unix time of the last authenticated webhook call."
        )
        self.missed = m.counter(
            "missed_changes",
            "Changes polling found that no webhook call announced (the trigger may be broken).",
        )
        self.healthy = m.gauge(
            "healthy",
            "1 while webhooks are healthy (polling then runs at webhook.healthy_poll_interval).",
        )
