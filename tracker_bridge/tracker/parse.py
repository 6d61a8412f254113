"""Tracker JSON (as plain dicts) → :mod:`.snapshots` values. Pure; shapes per TRACKER-API.md §2.3.

Tracker's dates look like ``2017-06-11T05:16:01.339+0000``; a reference is
``{self, id, key?, display}`` and is reduced here to its key (or its id when it has none, as
user references do). Local fields arrive as ``<queue hex id>--<key>`` and are kept by bare key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tracker_bridge.tracker.snapshots import (
    AttachmentInfo,
    ChangelogEntry,
    CommentInfo,
    FieldDiff,
    FieldInfo,
    IssueSnapshot,
    LinkInfo,
    NamedEntry,
    QueueInfo,
    TransitionInfo,
    UserInfo,
    WorkflowInfo,
)

__all__ = [
    "attachment",
    "changelog_entry",
    "comment",
    "field_info",
    "issue",
    "link",
    "named",
    "parse_time",
    "queue",
    "ref_key",
    "transition",
    "user",
    "workflow",
]

Json = Mapping[str, Any]


def parse_time(text: str) -> datetime:
    """Tracker's ``YYYY-MM-DDThh:mm:ss.sss±hhmm`` (and plain ISO 8601) as an aware datetime."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"Tracker time without an offset: {text!r}")
    return value


def _time_or_none(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None


def ref_key(value: Any) -> str | None:
    """A reference's key, else its id; plain values as text; None stays None."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        found = value.get("key") or value.get("id")
        return None if found is None else str(found)
    return str(value)


def _display(value: Any) -> str | None:
    return str(value.get("display", "")) if isinstance(value, Mapping) else None


def _texts(values: Any) -> tuple[str, ...]:
    return tuple(t for v in values or () if (t := ref_key(v)) is not None)


def issue(raw: Json) -> IssueSnapshot:
    local = {
        name.split("--", 1)[1]: str(value)
        for name, value in raw.items()
        if "--" in name and value is not None
    }
    return IssueSnapshot(
        key=str(raw["key"]),
        id=str(raw.get("id", "")),
        queue=ref_key(raw.get("queue")) or str(raw["key"]).rsplit("-", 1)[0],
        version=str(raw.get("version", "")),
        summary=str(raw.get("summary") or ""),
        status=ref_key(raw.get("status")) or "",
        created_at=parse_time(raw["createdAt"]),
        updated_at=parse_time(raw["updatedAt"]),
        created_by=ref_key(raw.get("createdBy")),
        description=str(raw.get("description") or ""),
        priority=ref_key(raw.get("priority")),
        issue_type=ref_key(raw.get("type")),
        resolution=ref_key(raw.get("resolution")),
        assignee=ref_key(raw.get("assignee")),
        assignee_display=_display(raw.get("assignee")),
        tags=_texts(raw.get("tags")),
        components=tuple(_display(c) or ref_key(c) or "" for c in raw.get("components") or ()),
        deadline=raw.get("deadline"),
        unique=raw.get("unique"),
        email_from=raw.get("emailFrom"),
        last_comment_updated_at=_time_or_none(raw.get("lastCommentUpdatedAt")),
        status_start_time=_time_or_none(raw.get("statusStartTime")),
        local=local,
    )


def attachment(raw: Json) -> AttachmentInfo:
    size = raw.get("size")
    return AttachmentInfo(
        id=str(raw["id"]),
        name=str(raw.get("name") or raw.get("display") or ""),
        content_url=str(raw.get("content") or ""),
        mimetype=str(raw.get("mimetype") or "application/octet-stream"),
        size=int(size) if size is not None else 0,
    )


def comment(raw: Json) -> CommentInfo:
    return CommentInfo(
        id=str(raw["id"]),
        text=str(raw.get("text") or ""),
        created_at=parse_time(raw["createdAt"]),
        updated_at=parse_time(raw.get("updatedAt") or raw["createdAt"]),
        created_by=ref_key(raw.get("createdBy")),
        type=str(raw.get("type") or "standard"),
        transport=str(raw.get("transport") or "internal"),
        attachments=tuple(attachment(a) for a in raw.get("attachments") or ()),
    )


def changelog_entry(raw: Json) -> ChangelogEntry:
    diffs = tuple(
        FieldDiff(
            field=str(ref_key(change.get("field")) or ""),
            before=ref_key(change.get("from")),
            after=ref_key(change.get("to")),
        )
        for change in raw.get("fields") or ()
    )
    return ChangelogEntry(
        id=str(raw["id"]),
        at=parse_time(raw["updatedAt"]),
        by=ref_key(raw.get("updatedBy")),
        type=str(raw.get("type") or ""),
        fields=diffs,
    )


def transition(raw: Json) -> TransitionInfo:
    return TransitionInfo(
        id=str(raw["id"]), display=str(raw.get("display") or ""), to=ref_key(raw.get("to")) or ""
    )


def link(raw: Json) -> LinkInfo:
    return LinkInfo(
        id=str(raw["id"]),
        type=ref_key(raw.get("type")) or "",
        direction=str(raw.get("direction") or ""),
        other=ref_key(raw.get("object")) or "",
    )


def user(raw: Json) -> UserInfo:
    return UserInfo(
        uid=str(raw.get("uid") or raw.get("id") or ""),
        login=str(raw.get("login") or ""),
        display=str(raw.get("display") or ""),
        email=str(raw.get("email") or ""),
    )


def named(raw: Json) -> NamedEntry:
    return NamedEntry(
        key=str(raw.get("key") or raw.get("id")),
        name=str(raw.get("name") or raw.get("display") or ""),
        type=str(raw.get("type") or ""),
    )


def field_info(raw: Json) -> FieldInfo:
    ident = str(raw["id"])
    schema = raw.get("schema") or {}
    return FieldInfo(
        id=ident,
        key=str(raw.get("key") or ident.rsplit("--", maxsplit=1)[-1]),
        name=str(raw.get("name") or ""),
        type=str(schema.get("type") or ""),
    )


def queue(raw: Json, workflows: Mapping[str, Any] | None = None) -> QueueInfo:
    return QueueInfo(
        key=str(raw["key"]), name=str(raw.get("name") or ""), workflows=tuple(workflows or ())
    )


def workflow(raw: Json) -> WorkflowInfo:
    """The v3 workflow body (steps, each a status with the actions leaving it)."""
    statuses: list[str] = []
    edges: list[tuple[str, str, str]] = []
    required: dict[str, tuple[str, ...]] = {}
    for step in raw.get("steps") or ():
        source = ref_key(step.get("status")) or ""
        statuses.append(source)
        for action in step.get("actions") or ():
            edges.append((source, str(action["id"]), ref_key(action.get("target")) or ""))
            required[str(action["id"])] = _required_fields(action.get("screen"))
    initial = raw.get("initialAction") or {}
    return WorkflowInfo(
        id=str(raw["id"]),
        name=str(raw.get("name") or ""),
        statuses=tuple(statuses),
        transitions=tuple(edges),
        initial=ref_key(initial.get("target")),
        required=required,
    )


def _required_fields(screen: Any) -> tuple[str, ...]:
    """The mandatory fields of a transition's screen (``elements``, each a field reference
    with ``required``); an absent or unreadable screen asks for nothing we can tell."""
    if not isinstance(screen, Mapping):
        return ()
    found = []
    for element in screen.get("elements") or ():
        if isinstance(element, Mapping) and element.get("required"):
            name = ref_key(element.get("field"))
            if name:
                found.append(name)
    return tuple(found)
