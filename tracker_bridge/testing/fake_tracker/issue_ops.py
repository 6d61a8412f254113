"""Creating and editing issues, and writing their changelog (docs create-issue.md,
patch-issue.md, get-changelog.md). Call with ``state.lock`` held."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker_bridge.testing.fake_tracker.fields import apply_fields
from tracker_bridge.testing.fake_tracker.records import ChangelogRecord, FieldChange, IssueRecord
from tracker_bridge.testing.fake_tracker.render import field_value
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState

__all__ = ["attach_files", "create_issue", "log_change", "snapshot", "touch", "update_issue"]

_CREATE_ONLY = {"queue", "unique", "author", "createdBy", "attachmentIds", "attachments"}


def create_issue(state: TrackerState, body: Mapping[str, Any], by: str) -> IssueRecord:
    """POST /v2/issues/: a new issue in the queue's initial status, version 1.

    A repeated ``unique`` is a 409 and creates nothing (docs create-issue.md); uniques are
    organisation-wide (the docs do not say; TRACKER-API.md §3).
    """
    if not body.get("queue") or not body.get("summary"):
        missing = [k for k in ("queue", "summary") if not body.get(k)]
        raise ApiError(
            422, "Не заполнены обязательные поля", errors=dict.fromkeys(missing, "required")
        )
    unique = body.get("unique")
    if unique is not None and str(unique) in state.uniques:
        raise ApiError(
            409, f"Задача с unique {unique!r} уже существует: {state.uniques[str(unique)]}"
        )
    queue = state.queue(body["queue"])
    author = body.get("author") or body.get("createdBy")
    creator = state.user(author).uid if author else state.token_user
    now = state.now()
    issue = IssueRecord(
        key=f"{queue.key}-{queue.next_number}",
        id=f"{state.next_id():024x}",
        queue=queue.key,
        summary="",
        status=queue.workflow.initial,
        type=queue.default_type,
        priority=queue.default_priority,
        created_at=now,
        created_by=creator,
        updated_at=now,
        updated_by=creator,
        status_start_time=now,
        unique=None if unique is None else str(unique),
    )
    apply_fields(state, issue, {k: v for k, v in body.items() if k not in _CREATE_ONLY})
    files = _file_ids(body)
    _check_free(state, files)
    queue.next_number += 1
    state.issues[issue.key] = issue
    state.comments[issue.key] = []
    state.changelog[issue.key] = []
    if issue.unique is not None:
        state.uniques[issue.unique] = issue.key
    log_change(state, issue, "IssueCreated", creator)
    attach_files(state, issue, files, by=creator)
    return issue


def update_issue(
    state: TrackerState,
    issue: IssueRecord,
    body: Mapping[str, Any],
    by: str,
    expected_version: str | None = None,
) -> IssueRecord:
    """PATCH /v2/issues/{key}: check the version, apply fields, bump version, log the diff."""
    if expected_version is not None and expected_version != str(issue.version):
        raise ApiError(
            state.settings.version_conflict_status,
            f"Версия задачи изменилась: ожидалась {expected_version}, текущая {issue.version}",
        )
    files = _file_ids(body)
    _check_free(state, files)
    fields = {k: v for k, v in body.items() if k not in ("attachmentIds", "attachments")}
    before = snapshot(state, issue, fields)
    written = apply_fields(state, issue, fields)
    changes = _diff(state, issue, before, written)
    if changes:
        touch(state, issue, by)
        log_change(state, issue, "IssueUpdated", by, fields=changes)
    attach_files(state, issue, files, by=by)
    return issue


def touch(state: TrackerState, issue: IssueRecord, by: str) -> None:
    issue.version += 1
    issue.updated_at = state.now()
    issue.updated_by = by


def snapshot(
    state: TrackerState, issue: IssueRecord, names: Mapping[str, Any] | list[str]
) -> dict[str, Any]:
    return {name: field_value(state, issue, name) for name in names}


def _diff(
    state: TrackerState, issue: IssueRecord, before: dict[str, Any], written: list[str]
) -> list[FieldChange]:
    changes = []
    for name, field_id in zip(before, written, strict=True):
        after = field_value(state, issue, name)
        if after != before[name]:
            changes.append(FieldChange(field_id, before[name], after))
    return changes


def log_change(
    state: TrackerState, issue: IssueRecord, kind: str, by: str, **lists: Any
) -> ChangelogRecord:
    record = ChangelogRecord(
        id=f"{state.next_id():024x}",
        issue=issue.key,
        type=kind,
        updated_at=state.now(),
        updated_by=by,
        **lists,
    )
    state.changelog[issue.key].append(record)
    for listener in state.listeners:  # the queue's triggers (triggers.py)
        listener(record)
    return record


def _file_ids(body: Mapping[str, Any]) -> list[str]:
    return [str(i) for i in body.get("attachmentIds") or []]


def _check_free(state: TrackerState, ids: list[str]) -> None:
    for file_id in ids:
        found = state.attachments.get(file_id)
        if found is None or found.issue is not None:
            raise ApiError(422, f"Вложение {file_id} не найдено", errors={"attachmentIds": file_id})


def attach_files(
    state: TrackerState, issue: IssueRecord, ids: list[str], by: str, comment: int | None = None
) -> None:
    """Move temporary uploads into the issue (docs temp-attachment.md: ``attachmentIds``)."""
    for file_id in ids:
        state.attachments[file_id].issue = issue.key
        state.attachments[file_id].comment = comment
    if ids and comment is None:
        log_change(state, issue, "IssueAttachmentAdded", by, attachments_added=list(ids))
