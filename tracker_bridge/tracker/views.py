"""Tracker snapshot + changelog + comments + what the store knows → :class:`IssueView`. Pure.

Decisions (each one a place where Tracker leaves room):

- **Unknown statuses raise.** A Tracker status key that the :class:`StatusMap` does not map —
  now or anywhere in the history — raises :class:`UnknownStatusError` naming the key. The clocks
  cannot be computed for a status whose category is unknown, and guessing one (say, "active")
  would silently start or stop SLA clocks. ``tracker-bridge check`` reports unmapped workflow
  statuses before the daemon starts; extra keys can be mapped with ``StatusMap.aliases``.
- **Status history** comes from the changelog's ``status`` diffs, oldest first, starting with
  the status the issue was created in (the first diff's ``from``; the current status if none).
- **Priority history**: every ``priority`` diff; ``by_support`` unless the bridge's own robot
  user made it (the bridge writes only the customer's priority, R9).
- **Comments**: ``by_customer`` when the bridge wrote it from a customer's email (the store
  kept its id as such, or its marker's kind is ``customer``, :mod:`.markers`) or Tracker
  received it by mail (``type: incoming``); see :func:`comment_kind` for the order of trust.
  ``internal`` (never mailed to the requester, R8) when support starts the text with one of
  :data:`INTERNAL_PREFIXES` (``#внутр``, ``[internal]``, …; any case), or when it is a note the
  bridge wrote itself (marker kind ``bridge``: the requester already gets that news by its own
  notification). Tracker has no internal/public comment flag in the API (its ``type`` only
  tells mail from the UI, TRACKER-API.md §2.3), hence a text convention. The marker is removed
  from the text the view shows.
- **Deadlines** are the precise local fields (``slaDeadline``: execution, ``reactionDeadline``:
  take into work), not Tracker's ``deadline``, which is a date only; ``mailReceivedAt`` is the
  mail's arrival the clocks start at (R10 "с момента появления").
- **Who moved the status**: a change made by the bridge's robot is the bridge's own automatic
  move (``by_person=False``: a customer's answer, the auto-close) — unless a support person
  commanded it from Telegram (/take, /info), which the store's done keys show
  (``transition:KEY:<status>:tg…``): that counts as the person's move (R10's reaction clock).
  Each such command accounts for one robot move into its status, the earliest one (the keys
  carry no time; a command is the first thing to move a request there).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from tracker_bridge.regulation.model import (
    FIELD_NAMES,
    Comment,
    IssueView,
    PriorityChange,
    StatusChange,
)
from tracker_bridge.regulation.statuses import StatusMap
from tracker_bridge.tracker.markers import find_marker, strip_marker
from tracker_bridge.tracker.parse import parse_time
from tracker_bridge.tracker.snapshots import ChangelogEntry, CommentInfo, IssueSnapshot

__all__ = [
    "INTERNAL_PREFIXES",
    "StoreFacts",
    "ViewSettings",
    "build_view",
    "comment_kind",
    "compact_view",
    "is_internal_text",
]

INTERNAL_PREFIXES: tuple[str, ...] = ("#внутр", "#internal", "[internal]", "[внутр", "!internal")


@dataclass(frozen=True)
class StoreFacts:
    """What the bridge's store knows about the issue and Tracker does not."""

    customer: str
    requester: str = ""
    tracked_since: datetime | None = None
    done: frozenset[str] = frozenset()
    links: tuple[str, ...] = ()
    # ids of the comments the bridge posted → "customer" (an email's words) or "bridge"
    own_comments: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ViewSettings:
    """How to read a queue: statuses, the bridge's robot uid, and local field names."""

    status_map: StatusMap
    robot_uid: str | None
    field_ids: Mapping[str, str] = field(default_factory=dict)
    internal_prefixes: tuple[str, ...] = INTERNAL_PREFIXES


def build_view(
    issue: IssueSnapshot,
    changelog: Iterable[ChangelogEntry],
    comments: Iterable[CommentInfo],
    facts: StoreFacts,
    settings: ViewSettings,
) -> IssueView:
    entries = sorted(changelog, key=lambda e: (e.at, e.id))
    ordered = sorted(comments, key=lambda c: (c.created_at, c.id))
    read = [_comment(c, settings, facts.own_comments) for c in ordered]
    customer_times = [c.at for c in read if c.by_customer]
    return IssueView(
        key=issue.key,
        customer=facts.customer,
        requester=facts.requester or _local(issue, settings, "requester") or issue.email_from or "",
        created_at=issue.created_at,
        status=settings.status_map.logical(issue.status),
        priority=issue.priority or "normal",
        summary=issue.summary,
        issue_type=issue.issue_type or "task",
        status_history=_status_history(issue, entries, settings, facts.done),
        priority_history=_priority_history(entries, settings.robot_uid),
        comments=tuple(read),
        last_customer_reply_at=max(customer_times, default=None),
        deadline=_time_field(issue, settings, "deadline"),
        reaction_deadline=_time_field(issue, settings, "reaction_deadline"),
        arrived_at=_time_field(issue, settings, "arrived_at"),
        tags=frozenset(issue.tags),
        links=facts.links,
        assignee=issue.assignee_display or issue.assignee,
        resolution=issue.resolution,
        fields={n: v for n in FIELD_NAMES if (v := _local(issue, settings, n)) is not None},
        updated_at=issue.last_activity,
        tracked_since=facts.tracked_since,
        done=facts.done,
    )


def _status_history(
    issue: IssueSnapshot,
    entries: list[ChangelogEntry],
    settings: ViewSettings,
    done: frozenset[str],
) -> tuple[StatusChange, ...]:
    status_map, robot = settings.status_map, settings.robot_uid
    moves = [(e, d) for e in entries if (d := e.diff("status")) is not None and d.after]
    first = moves[0][1].before if moves and moves[0][1].before else issue.status
    history = [StatusChange(issue.created_at, status_map.logical(first))]
    # each Telegram command accounts for one robot move into its status, the earliest first
    commanded = Counter(k.split(":")[2] for k in done if _COMMANDED.match(k))
    for entry, diff in moves:
        status = status_map.logical(str(diff.after))
        person = robot is None or entry.by != robot
        if not person and commanded[status.value] > 0:
            commanded[status.value] -= 1
            person = True
        history.append(StatusChange(entry.at, status, by_person=person))
    return tuple(history)


# A transition a support person commanded from Telegram (its event id is "tg:…" or "tgcb:…").
_COMMANDED = re.compile(r"^transition:[^:]+:[a-z_]+:tg")


def _priority_history(
    entries: list[ChangelogEntry], robot_uid: str | None
) -> tuple[PriorityChange, ...]:
    return tuple(
        PriorityChange(e.at, d.before, d.after, by_support=e.by != robot_uid)
        for e in entries
        if (d := e.diff("priority")) is not None and d.after is not None
    )


def is_internal_text(text: str, prefixes: tuple[str, ...] = INTERNAL_PREFIXES) -> bool:
    """Whether support marked the comment as internal by how it starts."""
    head = text.lstrip().casefold()
    return any(head.startswith(p.casefold()) for p in prefixes)


def comment_kind(info: CommentInfo, robot_uid: str | None, own: Mapping[str, str]) -> str | None:
    """``customer`` or ``bridge`` for a comment the bridge posted, else None (support's).

    In order of trust: the ids the store kept of the comments the bridge created; the marker
    in the text (which Tracker may strip or show: unverified, TRACKER-API.md §2.3); and, for a
    comment neither names, its author — whatever the bridge's robot user wrote is never
    support's, so it is never mailed to a customer as support's answer (issue 11.6).
    """
    if info.id in own:
        return own[info.id]
    marker = find_marker(info.text)
    if marker is not None:
        return marker[0]
    if robot_uid is not None and info.created_by == robot_uid and info.type != "incoming":
        return "bridge"
    return None


def _comment(info: CommentInfo, settings: ViewSettings, own: Mapping[str, str]) -> Comment:
    kind = comment_kind(info, settings.robot_uid, own)
    return Comment(
        id=info.id,
        at=info.created_at,
        text=strip_marker(info.text),
        by_customer=kind == "customer" or info.type == "incoming",
        internal=kind == "bridge" or is_internal_text(info.text, settings.internal_prefixes),
    )


def _local(issue: IssueSnapshot, settings: ViewSettings, logical: str) -> str | None:
    key = settings.field_ids.get(logical)
    return None if key is None else issue.local.get(key)


def _time_field(issue: IssueSnapshot, settings: ViewSettings, name: str) -> datetime | None:
    text = _local(issue, settings, name)
    return parse_time(text) if text else None


_NO_DONE: frozenset[str] = frozenset()


def compact_view(view: IssueView) -> IssueView:
    """What the daemon keeps of an open issue between evaluations, for the Telegram cards,
    commands and the digest: the same answers from them in a fraction of the memory.

    Kept: what the intake clock (:func:`~tracker_bridge.regulation.sla.intake_clock`) and the
    card read. Dropped: the done keys (each evaluation reads them afresh), the requester, links,
    times only the rules read, the fields but the department, a status history that is only the
    creation (``IssueView.history`` gives the same), every comment and priority change but the
    one the card's "latest event" could show (the latest public comment, the latest change; the
    first of equals, as ``max`` picks it). Values many issues share (customer, priority, type,
    tags, the department) are shared.
    """
    return replace(
        view,
        key=sys.intern(view.key),
        customer=sys.intern(view.customer),
        requester="",
        priority=sys.intern(view.priority),
        issue_type=sys.intern(view.issue_type),
        status_history=_history(view),
        priority_history=(_latest(view.priority_history),) if view.priority_history else (),
        comments=_latest_public(view),
        last_customer_reply_at=None,
        deadline=None,
        reaction_deadline=None,
        tags=_shared(_SHARED_TAGS, view.tags, view.tags),
        links=(),
        fields=_department(view.fields.get("department", "")),
        updated_at=None,
        tracked_since=None,
        done=_NO_DONE,
    )


def _history(view: IssueView) -> tuple[StatusChange, ...]:
    only_created = view.status_history == (StatusChange(view.created_at, view.status),)
    # a terminal card tells "closed at" only from a recorded history
    return () if only_created and not view.status.is_terminal else view.status_history


# The few distinct tag sets and department fields, each kept once for all the issues that have
# it; free text could make them many, so only the first _SHARE_AT of each are shared.
_SHARE_AT = 256
_SHARED_TAGS: dict[frozenset[str], frozenset[str]] = {}
_SHARED_FIELDS: dict[str, Mapping[str, str]] = {}
_K = TypeVar("_K")
_V = TypeVar("_V")


def _shared(cache: dict[_K, _V], key: _K, value: _V) -> _V:
    found = cache.get(key)
    if found is not None:
        return found
    if len(cache) < _SHARE_AT:
        cache[key] = value
    return value


def _department(department: str) -> Mapping[str, str]:
    fields = _SHARED_FIELDS.get(department)
    if fields is not None:
        return fields
    return _shared(_SHARED_FIELDS, department, {"department": department} if department else {})


def _latest(changes: tuple[PriorityChange, ...]) -> PriorityChange:
    latest = changes[0]
    for change in changes[1:]:
        if change.at > latest.at:
            latest = change
    return latest


def _latest_public(view: IssueView) -> tuple[Comment, ...]:
    latest: Comment | None = None
    for comment in view.comments:
        if not comment.internal and (latest is None or comment.at > latest.at):
            latest = comment
    return () if latest is None else (latest,)
