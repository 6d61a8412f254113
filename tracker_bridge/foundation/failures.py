"""One error taxonomy for every adapter: what a failure means for the work that met it.

::

    Failure.TRANSIENT   the world is down for a while (5xx, a dropped connection, a busy store,
                        a rate limit): keep the work, retry it on the backoff schedule
    Failure.OPERATOR    a person can fix it (a revoked token, a wrong password, a queue without
                        the field, resolution or transition the action needs, an SMTP relay that
                        refuses us, a full or read-only state disk): keep the work, alert, retry
                        on the schedule — never settle it for good, so it runs by itself once
                        the fix is in
    Failure.PERMANENT   nothing anyone does makes this very request succeed (a deleted issue, a
                        recipient that does not exist): settle it as failed and say so

Each adapter's own errors derive from one of the three markers below (:class:`Transient`,
:class:`NeedsOperator`, :class:`Permanent`); the marker nearest in the class's MRO wins, so a
subclass re-marks its kind by naming its marker first (``class X(NeedsOperator, Base)``).
:func:`classify` reads any exception, including the
library exceptions the store and the sockets raise, as one of the three. The daemon, the effects
and the outbox decide what to do from :func:`classify` alone, so "is this worth waiting for?"
has one answer everywhere.
"""

from __future__ import annotations

import errno
import sqlite3
from enum import StrEnum

__all__ = ["Failure", "NeedsOperator", "Permanent", "Transient", "classify", "waits"]


class Failure(StrEnum):
    TRANSIENT = "transient"
    OPERATOR = "operator"
    PERMANENT = "permanent"


class Transient(Exception):
    """Marker: retrying later may succeed without anyone doing anything."""


class NeedsOperator(Exception):
    """Marker: retrying succeeds once a person fixes a setting, a credential or a workflow."""


class Permanent(Exception):
    """Marker: this request can never succeed as it is."""


# SQLite's own messages for a store that cannot be written right now. A full or read-only disk
# (or one that fails writes) waits for a person to free space or remount it — an alert, not
# only a wait; a lock held elsewhere passes by itself. Either way the data is fine.
_STORE_NEEDS_OPERATOR = ("disk is full", "readonly database", "read-only", "disk i/o error")
_STORE_BUSY = ("locked",)
# the same for the files the daemon writes itself (a Maildir move, a side file)
_DISK_NEEDS_OPERATOR = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT})


_MARKERS: dict[type, Failure] = {
    Transient: Failure.TRANSIENT,
    NeedsOperator: Failure.OPERATOR,
    Permanent: Failure.PERMANENT,
}


def classify(exc: BaseException) -> Failure:
    """What ``exc`` means for the work that met it; an unknown error is a bug (permanent)."""
    for cls in type(exc).__mro__:  # the nearest marker wins: a subclass may re-mark its kind
        if cls in _MARKERS:
            return _MARKERS[cls]
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if any(s in text for s in _STORE_NEEDS_OPERATOR):
            return Failure.OPERATOR
        return Failure.TRANSIENT if any(s in text for s in _STORE_BUSY) else Failure.PERMANENT
    if isinstance(exc, OSError) and exc.errno in _DISK_NEEDS_OPERATOR:
        return Failure.OPERATOR
    if isinstance(exc, OSError | TimeoutError | ConnectionError):
        return Failure.TRANSIENT  # a refused or reset connection, a timeout
    return Failure.PERMANENT


def waits(exc: BaseException) -> bool:
    """Should the work that met ``exc`` be kept and tried again (transient or operator)?"""
    return classify(exc) is not Failure.PERMANENT
