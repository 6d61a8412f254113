"""Transitions and comments (docs new-transition.md, add-comment.md, edit-comment.md,
delete-comment.md). Call with ``state.lock`` held."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tracker_bridge.testing.fake_tracker import catalog
from tracker_bridge.testing.fake_tracker.catalog import TransitionDef
from tracker_bridge.testing.fake_tracker.fields import apply_fields
from tracker_bridge.testing.fake_tracker.issue_ops import (
    attach_files,
    log_change,
    snapshot,
    touch,
)
from tracker_bridge.testing.fake_tracker.records import CommentRecord, FieldChange, IssueRecord
from tracker_bridge.testing.fake_tracker.render import field_value
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState, entry

__all__ = [
    "add_comment",
    "delete_comment",
    "execute_transition",
    "find_comment",
    "required_fields",
    "stored_text",
]

_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def stored_text(state: TrackerState, text: str) -> str:
    """A comment's text as Tracker keeps it: verbatim, or without HTML comments when the
    ``marker_rendering`` switch says Tracker strips them (TRACKER-API.md §2.3: unverified)."""
    if state.settings.marker_rendering == "strip":
        return _HTML_COMMENT.sub("", text).rstrip()
    return text


_WORKFLOW_FIELDS = ("status", "previousStatus", "statusStartTime", "resolution")
_FINAL_TYPES = frozenset({"done", "cancelled"})


def execute_transition(
    state: TrackerState, issue: IssueRecord, transition_id: str, body: Mapping[str, Any], by: str
) -> list[TransitionDef]:
    """POST …/transitions/{id}/_execute: move the issue; the answer lists the transitions
    available from the new status (docs new-transition.md).

    A transition the workflow does not offer from the current status is refused with
    ``settings.transition_error_status`` (409 by default; the docs list 409 and 422 without
    saying which applies). A done/cancelled target needs a resolution (422 otherwise).
    """
    flow = state.queues[issue.queue].workflow
    transition = next((t for t in flow.transitions if t.id == transition_id), None)
    if transition is None:
        raise ApiError(404, f"Переход {transition_id} не существует")
    if issue.status not in transition.sources:
        raise ApiError(
            state.settings.transition_error_status,
            f"Переход {transition_id} недоступен из статуса {issue.status}",
        )
    extra = {k: v for k, v in body.items() if k not in ("comment", "resolution")}
    before = snapshot(state, issue, [*_WORKFLOW_FIELDS, *extra])
    resolution = _resolution(state, transition, body.get("resolution"))
    _check_required(state, transition, body)
    comment_text = body.get("comment")
    if comment_text is not None and not isinstance(comment_text, str):
        raise ApiError(422, "Комментарий должен быть строкой", errors={"comment": "invalid"})
    apply_fields(state, issue, extra)
    _move(state, issue, transition, resolution, by)
    comments: list[int] = []
    if comment_text:
        comments.append(
            add_comment(state, issue, {"text": comment_text}, by, in_transition=True).id
        )
    touch(state, issue, by)
    changes = [
        FieldChange(name, old, new)
        for name, old in before.items()
        if (new := field_value(state, issue, name)) != old
    ]
    log_change(state, issue, "IssueWorkflow", by, fields=changes, comments_added=comments)
    return flow.available(issue.status)


def required_fields(state: TrackerState, transition: TransitionDef) -> tuple[str, ...]:
    """The fields the transition's screen makes mandatory (resolution for a done target)."""
    return transition.screen(state.status(transition.to).type)


def _resolution(state: TrackerState, transition: TransitionDef, given: Any) -> str | None:
    if state.status(transition.to).type not in _FINAL_TYPES:
        return None
    chosen = given if given is not None else transition.resolution
    if chosen is None:
        raise ApiError(422, "Не заполнено поле «Резолюция»", errors={"resolution": "required"})
    return entry(catalog.RESOLUTIONS, chosen, "resolution").key


def _check_required(
    state: TrackerState, transition: TransitionDef, body: Mapping[str, Any]
) -> None:
    missing = [
        f
        for f in required_fields(state, transition)
        if f != "resolution" and body.get(f) in (None, "", [])
    ]
    if missing:
        raise ApiError(
            422,
            f"Не заполнены обязательные поля: {', '.join(missing)}",
            errors=dict.fromkeys(missing, "required"),
        )


def _move(
    state: TrackerState,
    issue: IssueRecord,
    transition: TransitionDef,
    resolution: str | None,
    by: str,
) -> None:
    now = state.now()
    issue.previous_status, issue.status = issue.status, transition.to
    issue.status_start_time = now
    issue.resolution = resolution
    # Reopening clears the resolution and who/when resolved (TRACKER-API.md §8.4).
    issue.resolved_at = now if resolution else None
    issue.resolved_by = by if resolution else None


def add_comment(
    state: TrackerState,
    issue: IssueRecord,
    body: Mapping[str, Any],
    by: str,
    *,
    kind: str = "standard",
    transport: str = "internal",
    in_transition: bool = False,
) -> CommentRecord:
    """POST …/comments: 201 + comment (docs add-comment.md).

    With the undocumented ``email`` object the comment is an outgoing email (TRACKER-API.md §6.2).
    Whether a comment moves the issue's ``updatedAt`` is unknown for the real API, so it is the
    switch ``settings.comment_bumps_updated``; ``lastCommentUpdatedAt`` always moves. The comment
    of a transition (``in_transition``) is logged with the transition instead.
    """
    text = body.get("text")
    email = body.get("email")
    if not isinstance(text, str) and not isinstance(email, dict):
        raise ApiError(422, "Не заполнен текст комментария", errors={"text": "required"})
    if isinstance(email, dict):
        kind, transport = "outcoming", "email"
        text = text if isinstance(text, str) else str(email.get("text", ""))
    files = [str(i) for i in body.get("attachmentIds") or []]
    for file_id in files:
        found = state.attachments.get(file_id)
        if found is None or found.issue is not None:
            raise ApiError(422, f"Вложение {file_id} не найдено", errors={"attachmentIds": file_id})
    now = state.now()
    number = state.next_id()
    comment = CommentRecord(
        id=number,
        long_id=f"{number:024x}",
        issue=issue.key,
        text=stored_text(state, str(text)),
        created_at=now,
        created_by=by,
        updated_at=now,
        updated_by=by,
        type=kind,
        transport=transport,
        summonees=[state.user(u).uid for u in body.get("summonees") or []],
        maillist_summonees=[str(m) for m in body.get("maillistSummonees") or []],
        attachment_ids=files,
        markup_type=body.get("markupType"),
        email=email if isinstance(email, dict) else None,
    )
    attach_files(state, issue, files, by=by, comment=comment.id)
    state.comments[issue.key].append(comment)
    issue.last_comment_updated_at = now
    if not in_transition:
        if state.settings.comment_bumps_updated:
            touch(state, issue, by)
        log_change(state, issue, "IssueCommentAdded", by, comments_added=[comment.id])
    return comment


def find_comment(state: TrackerState, issue: IssueRecord, ref: str) -> CommentRecord:
    for comment in state.comments[issue.key]:
        if not comment.deleted and ref in (str(comment.id), comment.long_id):
            return comment
    raise ApiError(404, f"Комментарий {ref} не найден")


def delete_comment(
    state: TrackerState, issue: IssueRecord, comment: CommentRecord, by: str
) -> None:
    """DELETE …/comments/{id}: 204 (docs delete-comment.md); the record stays, marked deleted."""
    comment.deleted = True
    log_change(state, issue, "IssueCommentRemoved", by, comments_removed=[comment.id])
