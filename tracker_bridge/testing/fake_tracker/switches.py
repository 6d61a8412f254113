"""The FakeTracker's switches: each behaviour TRACKER-API.md leaves unknown, with every candidate.

The gateway's tests run once per :data:`PROFILES` entry (the defaults, then each switch moved to
each of its other values), so every candidate meets every gateway test; ``docs/tracker.md``
lists the same switches (tests/tracker/test_fake_switches.py keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from tracker_bridge.testing.fake_tracker.state import Settings

__all__ = ["PROFILES", "SWITCHES", "Switch", "apply_profile"]

MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass(frozen=True)
class Switch:
    """One unknown behaviour: the :class:`Settings` field, its candidates (the default first),
    and where TRACKER-API.md discusses it."""

    name: str
    values: tuple[Any, ...]
    source: str
    what: str


SWITCHES: tuple[Switch, ...] = (
    Switch(
        "query_tz",
        (UTC, MOSCOW),
        "TRACKER-API.md §4 (time zone trap); docs user/query-filter.md",
        "the zone a zone-less date literal in a query is read in",
    ),
    Switch(
        "marker_rendering",
        ("keep", "strip", "show"),
        "TRACKER-API.md §2.3 (comment text/textHtml); docs add-comment.md",
        "what Tracker does with an HTML comment in a comment's text",
    ),
    Switch(
        "if_match",
        ("honoured", "ignored"),
        "TRACKER-API.md §3 (optimistic locking); docs patch-issue.md",
        "whether the client's If-Match header is checked (?version= always is)",
    ),
    Switch(
        "last_comment_query",
        ("supported", "rejected"),
        "TRACKER-API.md §4 (comments); docs user/query-filter.md",
        'whether "Last comment" may be used in a query (rejected: 400)',
    ),
    Switch(
        "comment_bumps_updated",
        (False, True),
        "TRACKER-API.md §4 (comments)",
        "whether a new comment moves the issue's updatedAt",
    ),
    Switch(
        "repeated_param",
        ("last", "first", "error"),
        "TRACKER-API.md §2.2; docs get-changelog.md (field is one string)",
        "how a single-valued query parameter given twice is read",
    ),
    Switch(
        "version_conflict_status",
        (412, 409),
        "TRACKER-API.md §3; docs error-codes.md (409 and 412 both listed)",
        "the status of a version conflict",
    ),
    Switch(
        "transition_error_status",
        (409, 422),
        "TRACKER-API.md §8.4; docs new-transition.md",
        "the status of a transition not offered from the current status",
    ),
)

# (id, changes): the defaults, then one switch moved at a time to each of its other values.
PROFILES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("defaults", {}),
    *((f"{s.name}={getattr(v, 'key', v)}", {s.name: v}) for s in SWITCHES for v in s.values[1:]),
)


def apply_profile(settings: Settings, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if not hasattr(settings, name):
            raise AttributeError(f"FakeTracker has no switch {name!r}")
        setattr(settings, name, value)
