"""Attachments and issue links (docs temp-attachment.md, post-attachment.md, link-issue.md,
delete-link-issue.md). Call with ``state.lock`` held."""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from typing import Any

from tracker_bridge.testing.fake_tracker import catalog
from tracker_bridge.testing.fake_tracker.issue_ops import attach_files, log_change
from tracker_bridge.testing.fake_tracker.records import AttachmentRecord, IssueRecord, LinkRecord
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState

__all__ = ["add_link", "links_of", "upload"]


def upload(
    state: TrackerState, name: str, data: bytes, by: str, issue: IssueRecord | None = None
) -> AttachmentRecord:
    """Store a file; without ``issue`` it is a temporary upload waiting for ``attachmentIds``."""
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    record = AttachmentRecord(
        id=str(state.next_id()),
        name=name,
        content=data,
        mimetype=mimetype,
        created_at=state.now(),
        created_by=by,
    )
    state.attachments[record.id] = record
    if issue is not None:
        attach_files(state, issue, [record.id], by=by)
    return record


def issue_attachment(state: TrackerState, issue: IssueRecord, file_id: str) -> AttachmentRecord:
    found = state.attachments.get(file_id)
    if found is None or found.issue != issue.key:
        raise ApiError(404, f"Вложение {file_id} не найдено")
    return found


def links_of(state: TrackerState, issue: IssueRecord) -> list[LinkRecord]:
    return [ln for ln in state.links.values() if issue.key in (ln.source, ln.target)]


def add_link(
    state: TrackerState, issue: IssueRecord, body: Mapping[str, Any], by: str
) -> LinkRecord:
    """POST …/links: 201; the other issue sees the inverse relationship (docs link-issue.md).

    An already linked pair is a 422 with Tracker's message (aikts/yandex-tracker-mcp#53).
    """
    relationship = body.get("relationship")
    if relationship not in catalog.RELATIONSHIPS:
        raise ApiError(
            422, f"Неизвестный тип связи {relationship!r}", errors={"relationship": "invalid"}
        )
    other_ref = body.get("issue")
    if isinstance(other_ref, dict):
        other_ref = other_ref.get("key") or other_ref.get("id")
    other = state.issue(str(other_ref))
    pair = {issue.key, other.key}
    if other.key == issue.key or any({ln.source, ln.target} == pair for ln in state.links.values()):
        raise ApiError(422, f"Задачи {issue.key} и {other.key} уже связаны.")
    type_id, direction = catalog.RELATIONSHIPS[str(relationship)]
    link = LinkRecord(
        id=state.next_id(),
        type=type_id,
        source=issue.key,
        target=other.key,
        direction=direction,
        created_at=state.now(),
        created_by=by,
    )
    state.links[link.id] = link
    for side in (issue, other):
        log_change(state, side, "IssueLinked", by, links_added=[link.id])
    return link
