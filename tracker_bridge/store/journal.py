"""The action journal's state machine, as pure functions both stores apply (so they agree).

::

    (none) ──begin──► pending ──done──► done          (done stays done: begin/failed change nothing)
                        │  ▲
                   failed  begin (attempts + 1)
                        ▼  │
                      failed ──(permanent)──► settled: begin changes nothing

Each function returns the entry as it should be stored; returning the very same object means
"nothing changes", and the store then writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from tracker_bridge.store.records import JournalEntry, check_json, utc

__all__ = ["COMMENT_KIND", "Change", "begin", "mark_done", "mark_failed", "own_comments", "queue"]

# The journal kind of an AddComment action (effects.py names kinds by the action's class).
COMMENT_KIND = "AddComment"

Change = Callable[[JournalEntry | None], JournalEntry]


def begin(
    entry: JournalEntry | None,
    key: str,
    *,
    kind: str,
    issue_key: str | None,
    payload: str,
    at: datetime,
) -> JournalEntry:
    """A new pending entry, or one more attempt of an unsettled one; a settled one unchanged."""
    at = utc(at)
    check_json(payload)
    if entry is None:
        return JournalEntry(key, kind, issue_key, payload, "pending", 1, at, at)
    if entry.settled:
        return entry
    return replace(entry, state="pending", attempts=entry.attempts + 1, updated_at=at)


def queue(
    entry: JournalEntry | None, key: str, *, issue_key: str | None, payload: str, at: datetime
) -> JournalEntry:
    """A notification handed to the outbox: queued once. One already queued (pending) or
    settled is left as it is; one whose last attempt failed for now is queued again."""
    if entry is not None and (entry.settled or entry.state == "pending"):
        return entry
    return begin(entry, key, kind="notify", issue_key=issue_key, payload=payload, at=at)


def mark_done(
    entry: JournalEntry | None, key: str, result: str | None, at: datetime
) -> JournalEntry:
    """The entry carried out, with what came of it; a done one keeps its first result."""
    return _finish(entry, key, at, state="done", result=result, permanent=False)


def mark_failed(
    entry: JournalEntry | None, key: str, error: str, permanent: bool, at: datetime
) -> JournalEntry:
    """The last attempt failed with ``error``; a done entry stays done."""
    return _finish(entry, key, at, state="failed", last_error=error, permanent=permanent)


def _finish(entry: JournalEntry | None, key: str, at: datetime, **changes: Any) -> JournalEntry:
    at = utc(at)
    if entry is None:
        raise KeyError(key)  # finishing what never began is the caller's bug
    if entry.state == "done":
        return entry
    return replace(entry, updated_at=at, **changes)


def own_comments(entries: Iterable[JournalEntry]) -> dict[str, str]:
    """Comment id → ``customer`` (a customer's email the bridge posted, R8) or ``bridge`` (its
    own note), from the done AddComment entries: the result of each is the id Tracker gave the
    comment. How the bridge tells its comments from support's without trusting Tracker to keep
    the text's marker (issue 11.6)."""
    found: dict[str, str] = {}
    for entry in entries:
        if entry.kind != COMMENT_KIND or entry.state != "done" or not entry.result:
            continue
        try:
            behalf = json.loads(entry.payload).get("on_behalf_of")
        except (ValueError, AttributeError):
            behalf = None
        found[entry.result] = "customer" if behalf else "bridge"
    return found
