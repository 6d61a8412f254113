"""Records → Tracker JSON (docs answer-issue.md, get-comments.md, get-changelog.md, …).

Every entity and embedded reference carries ``self`` = fake base URL + canonical path: the client
turns only such objects into attribute-accessible resources (TRACKER-API.md §2.1). Empty fields
are left out, as Tracker does; the client fills them from ``/v2/fields``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from tracker_bridge.testing.fake_tracker import catalog
from tracker_bridge.testing.fake_tracker.catalog import Entry, TransitionDef
from tracker_bridge.testing.fake_tracker.records import (
    AttachmentRecord,
    CommentRecord,
    IssueRecord,
    LinkRecord,
    QueueRecord,
)
from tracker_bridge.testing.fake_tracker.state import TrackerState, entry, tracker_time

__all__ = [
    "attachment_json",
    "comment_json",
    "entry_ref",
    "field_value",
    "issue_json",
    "issue_ref",
    "link_json",
    "queue_ref",
    "screen_json",
    "status_ref",
    "transition_json",
    "user_ref",
]


def _self(state: TrackerState, path: str) -> str:
    return f"{state.base_url}{path}"


def user_ref(state: TrackerState, uid: str) -> dict[str, Any]:
    user = state.users[uid]
    return {
        "self": _self(state, f"/v2/users/{uid}"),
        "id": uid,
        "display": user.display,
        "passportUid": int(uid),
    }


def _ref(state: TrackerState, path: str, id_: object, key: str, display: str) -> dict[str, Any]:
    """A reference as Tracker embeds one object in another (the client loads ``self`` lazily)."""
    return {"self": _self(state, path), "id": str(id_), "key": key, "display": display}


def status_ref(state: TrackerState, key: str) -> dict[str, Any]:
    status = state.status(key)
    return _ref(state, f"/v2/statuses/{status.id}", status.id, status.key, status.name)


def entry_ref(state: TrackerState, collection: str, item: Entry) -> dict[str, Any]:
    return _ref(state, f"/v2/{collection}/{item.id}", item.id, item.key, item.name)


def queue_ref(state: TrackerState, queue: QueueRecord) -> dict[str, Any]:
    return _ref(state, f"/v2/queues/{queue.key}", queue.id, queue.key, queue.name)


def issue_ref(state: TrackerState, issue: IssueRecord) -> dict[str, Any]:
    return _ref(state, f"/v2/issues/{issue.key}", issue.id, issue.key, issue.summary)


def _entry_value(collection: str, entries: tuple[Entry, ...], what: str) -> Callable[..., Any]:
    def render(state: TrackerState, value: str) -> dict[str, Any]:
        return entry_ref(state, collection, entry(entries, value, what))

    return render


def _same(_state: TrackerState, value: Any) -> Any:
    return value


def _time(_state: TrackerState, value: Any) -> str:
    return tracker_time(value)


def _users(state: TrackerState, value: list[str]) -> list[dict[str, Any]]:
    return [user_ref(state, uid) for uid in value]


def _parent(state: TrackerState, value: str) -> dict[str, Any]:
    return issue_ref(state, state.issue(value))


# field id → (record attribute, renderer). The same table drives issue JSON and changelog diffs.
_FIELDS: dict[str, tuple[str, Callable[..., Any]]] = {
    "summary": ("summary", _same),
    "description": ("description", _same),
    "type": ("type", _entry_value("issuetypes", catalog.ISSUE_TYPES, "type")),
    "priority": ("priority", _entry_value("priorities", catalog.PRIORITIES, "priority")),
    "status": ("status", status_ref),
    "previousStatus": ("previous_status", status_ref),
    "statusStartTime": ("status_start_time", _time),
    "resolution": ("resolution", _entry_value("resolutions", catalog.RESOLUTIONS, "resolution")),
    "resolvedAt": ("resolved_at", _time),
    "resolvedBy": ("resolved_by", user_ref),
    "createdAt": ("created_at", _time),
    "createdBy": ("created_by", user_ref),
    "updatedAt": ("updated_at", _time),
    "updatedBy": ("updated_by", user_ref),
    "assignee": ("assignee", user_ref),
    "followers": ("followers", _users),
    "tags": ("tags", _same),
    "components": ("components", _same),
    "deadline": ("deadline", _same),
    "parent": ("parent", _parent),
    "unique": ("unique", _same),
    "lastCommentUpdatedAt": ("last_comment_updated_at", _time),
    "emailFrom": ("email_from", _same),
    "emailTo": ("email_to", _same),
    "emailCc": ("email_cc", _same),
    "emailCreatedBy": ("email_created_by", _same),
}


def field_value(state: TrackerState, issue: IssueRecord, field_id: str) -> Any:
    """The JSON value of one field of an issue, or None when it is empty."""
    if field_id in _FIELDS:
        attribute, render = _FIELDS[field_id]
        value = getattr(issue, attribute)
        return None if value is None or value == [] else render(state, value)
    queue = state.queues[issue.queue]
    local = queue.local_field(field_id)
    return None if local is None else issue.local.get(local.id)


def issue_json(state: TrackerState, issue: IssueRecord, expand: str = "") -> dict[str, Any]:
    """docs get-issue.md / answer-issue.md; ``expand`` may ask for transitions, attachments."""
    queue = state.queues[issue.queue]
    body: dict[str, Any] = {
        "self": _self(state, f"/v2/issues/{issue.key}"),
        "id": issue.id,
        "key": issue.key,
        "version": issue.version,
        "queue": queue_ref(state, queue),
        "votes": 0,
        "favorite": False,
    }
    for field_id in _FIELDS:
        value = field_value(state, issue, field_id)
        if value is not None:
            body[field_id] = value
    for local, value in issue.local.items():
        if value is not None:
            body[f"{queue.hex_id}--{local}"] = value
    if "transitions" in expand or "all" in expand:
        available = queue.workflow.available(issue.status)
        body["transitions"] = [transition_json(state, issue, t) for t in available]
    if "attachments" in expand or "all" in expand:
        files = [a for a in state.attachments.values() if a.issue == issue.key]
        body["attachments"] = [attachment_json(state, a) for a in files]
    return body


def transition_json(state: TrackerState, issue: IssueRecord, tr: TransitionDef) -> dict[str, Any]:
    """docs get-transitions.md; ``screen`` (a reference) when the transition asks for fields."""
    body: dict[str, Any] = {
        "self": _self(state, f"/v2/issues/{issue.key}/transitions/{tr.id}"),
        "id": tr.id,
        "display": tr.display,
        "to": status_ref(state, tr.to),
    }
    if tr.screen(state.status(tr.to).type):
        body["screen"] = {"self": _self(state, f"/v2/screens/{tr.id}"), "id": tr.id}
    return body


def screen_json(state: TrackerState, tr: TransitionDef) -> dict[str, Any]:
    """A transition's screen as the v3 workflow action carries it: the fields, each with
    ``required`` (the element shape is [unverified]; docs api/queues/workflows/get-workflow.md
    names the screen, not its body)."""
    fields = tr.screen(state.status(tr.to).type)
    return {
        "id": tr.id,
        "elements": [{"field": {"id": f, "display": f}, "required": True} for f in fields],
    }


def _html(state: TrackerState, text: str) -> str:
    """The rendered text: an HTML comment is invisible (``keep``) or shown as text (``show``),
    the ``marker_rendering`` switch (unverified, TRACKER-API.md §2.3)."""
    if state.settings.marker_rendering == "show":
        return f"<p>{html.escape(text)}</p>"
    return f"<p>{re.sub(r'<!--.*?-->', '', text, flags=re.DOTALL)}</p>"


def comment_json(state: TrackerState, comment: CommentRecord, expand: str = "") -> dict[str, Any]:
    """docs add-comment.md / get-comments.md."""
    body: dict[str, Any] = {
        "self": _self(state, f"/v2/issues/{comment.issue}/comments/{comment.id}"),
        "id": comment.id,
        "longId": comment.long_id,
        "text": comment.text,
        "createdBy": user_ref(state, comment.created_by),
        "updatedBy": user_ref(state, comment.updated_by),
        "createdAt": tracker_time(comment.created_at),
        "updatedAt": tracker_time(comment.updated_at),
        "version": comment.version,
        "type": comment.type,
        "transport": comment.transport,
        "summonees": [user_ref(state, uid) for uid in comment.summonees],
        "maillistSummonees": list(comment.maillist_summonees),
    }
    if comment.email is not None:
        body["email"] = comment.email
    if "html" in expand or "all" in expand:
        body["textHtml"] = _html(state, comment.text)
    if comment.attachment_ids:
        files = [state.attachments[a] for a in comment.attachment_ids]
        body["attachments"] = [_attachment_ref(state, a) for a in files]
    return body


def _attachment_path(attachment: AttachmentRecord) -> str:
    if attachment.issue is None:
        return f"/v2/attachments/{attachment.id}"
    return f"/v2/issues/{attachment.issue}/attachments/{attachment.id}"


def _attachment_ref(state: TrackerState, attachment: AttachmentRecord) -> dict[str, Any]:
    return {
        "self": _self(state, _attachment_path(attachment)),
        "id": attachment.id,
        "display": attachment.name,
    }


def attachment_json(state: TrackerState, attachment: AttachmentRecord) -> dict[str, Any]:
    """docs temp-attachment.md / post-attachment.md; ``content`` is an absolute URL to the fake
    because the client streams it as given (client Attachments.read)."""
    path = _attachment_path(attachment)
    return {
        "self": _self(state, path),
        "id": attachment.id,
        "name": attachment.name,
        "content": _self(state, f"{path}/{quote(attachment.name)}"),
        "createdBy": user_ref(state, attachment.created_by),
        "createdAt": tracker_time(attachment.created_at),
        "mimetype": attachment.mimetype,
        "size": attachment.size,
        "metadata": {"size": str(attachment.size)},
    }


def link_json(state: TrackerState, link: LinkRecord, seen_from: str) -> dict[str, Any]:
    """docs link-issue.md / get-links.md: the link as ``seen_from`` (an issue key) sees it."""
    outward = seen_from == link.source
    other = state.issue(link.target if outward else link.source)
    direction = link.direction if outward else _opposite(link.direction)
    kind = next(t for t in catalog.LINK_TYPES if t.id == link.type)
    return {
        "self": _self(state, f"/v2/issues/{seen_from}/links/{link.id}"),
        "id": link.id,
        "type": {
            "self": _self(state, f"/v2/linktypes/{kind.id}"),
            "id": kind.id,
            "inward": kind.inward,
            "outward": kind.outward,
        },
        "direction": direction,
        "object": issue_ref(state, other),
        "createdBy": user_ref(state, link.created_by),
        "updatedBy": user_ref(state, link.created_by),
        "createdAt": tracker_time(link.created_at),
        "updatedAt": tracker_time(link.created_at),
        "status": status_ref(state, other.status),
    }


def _opposite(direction: str) -> str:
    return "inward" if direction == "outward" else "outward"
