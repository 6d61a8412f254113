"""The Tracker adapter's errors: the only exceptions that leave :mod:`tracker_bridge.tracker`.

::

    TrackerError                            (its kind in :mod:`tracker_bridge.foundation.failures`)
    ├── TrackerTransient            transient: the request may not have been served
    │   ├── TrackerRateLimited      429 (``retry_after`` seconds, when Tracker said so)
    │   └── TrackerUnavailable      5xx, connection refused/reset/dropped, timeout, non-JSON 2xx
    ├── TrackerAuthError            operator: 401/403 — a bad or expired token, a wrong
    │                               organisation, no rights (an outage of its own kind)
    └── TrackerPermanent            retrying the same request cannot help
        ├── TrackerNotFound         404
        ├── TrackerConflict         409/412: version conflict, or a ``unique`` that finds nothing
        └── TrackerBadRequest       operator: 400/422/428 and any other 4xx — a missing field or
            │                       resolution, a value the queue does not accept
            └── NoTransitionError   operator: the workflow offers no transition to that status

The gateway raises each of these ``from`` the client's own exception, so the original stays in
``__cause__``. Only :class:`TrackerTransient` is retried inside one call
(:mod:`tracker_bridge.foundation.retry`); operator-fixable errors wait on the daemon's schedule
instead.
"""

from __future__ import annotations

import re

from tracker_bridge.foundation.failures import (
    Failure,
    NeedsOperator,
    Permanent,
    Transient,
    classify,
)

__all__ = [
    "NoTransitionError",
    "TrackerAuthError",
    "TrackerBadRequest",
    "TrackerConflict",
    "TrackerError",
    "TrackerNotFound",
    "TrackerPermanent",
    "TrackerRateLimited",
    "TrackerTransient",
    "TrackerUnavailable",
    "fixable_verdict",
    "from_status",
]


class TrackerError(Exception):
    """Anything that went wrong talking to Tracker; ``status`` is the HTTP code if there was one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TrackerTransient(TrackerError, Transient):
    """The request may succeed if sent again later."""


class TrackerRateLimited(TrackerTransient):
    """429: too many requests; wait at least ``retry_after`` seconds when it is given."""

    def __init__(
        self, message: str, *, status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class TrackerUnavailable(TrackerTransient):
    """5xx, a dropped or refused connection, a timeout, or a proxy page instead of JSON.

    ``timed_out``: no answer within the client's timeout, so Tracker may still be working on the
    request; a retry waits at least that long before re-reading state.
    """

    def __init__(self, message: str, *, status: int | None = None, timed_out: bool = False):
        super().__init__(message, status=status)
        self.timed_out = timed_out


class TrackerPermanent(TrackerError, Permanent):
    """Sending the same request again gives the same answer."""


class TrackerNotFound(TrackerPermanent):
    """404: no such issue, comment, queue, …"""


class TrackerConflict(TrackerPermanent):
    """409/412: the issue changed under us (re-read and decide again)."""


class TrackerAuthError(TrackerError, NeedsOperator):
    """401/403: the token is wrong or expired, the organisation id is wrong, or no rights.

    Not a verdict on the request: the daemon stops writing, keeps the work, alerts, and goes on
    by itself once the credential (re-read on every attempt) works again."""


class TrackerBadRequest(NeedsOperator, TrackerPermanent):
    """400/422 and other 4xx: the request itself is wrong (a bug or a config mistake)."""


class NoTransitionError(TrackerBadRequest):
    """The issue's workflow has no transition from its current status to the wanted one."""

    def __init__(self, key: str, current: str, target: str, available: list[str]) -> None:
        offered = ", ".join(available) or "none"
        super().__init__(
            f"{key}: no transition from status {current!r} to {target!r} "
            f"(transitions offered: {offered}); check the queue's workflow"
        )
        self.key, self.current, self.target = key, current, target


_BY_STATUS: dict[int, type[TrackerError]] = {
    401: TrackerAuthError,
    403: TrackerAuthError,
    404: TrackerNotFound,
    409: TrackerConflict,
    412: TrackerConflict,
}


def from_status(status: int, message: str, retry_after: float | None = None) -> TrackerError:
    """The error for an HTTP status (the caller chains it ``from`` the client's exception)."""
    text = f"Tracker answered {status}: {message}" if message else f"Tracker answered {status}"
    if status == 429:
        return TrackerRateLimited(text, retry_after=retry_after)
    if status >= 500:
        return TrackerUnavailable(text, status=status)
    return _BY_STATUS.get(status, TrackerBadRequest)(text, status=status)


_ANSWERED = re.compile(r"\bTracker answered (\d{3})\b")
_NO_TRANSITION = "no transition from status"


def fixable_verdict(error: str) -> bool:
    """Does a failure recorded as ``error`` (a journal entry's text) read, by today's taxonomy,
    as one a person can fix — a refused token (401/403), a missing field or resolution
    (400/422), a workflow without the transition? Older versions settled such actions as failed
    for good; today they are an outage, so such an entry is tried again once the fix is in."""
    if _NO_TRANSITION in error:
        return True
    found = _ANSWERED.search(error)
    if found is None:
        return False
    status = int(found.group(1))
    return 400 <= status < 500 and classify(from_status(status, "")) is Failure.OPERATOR
