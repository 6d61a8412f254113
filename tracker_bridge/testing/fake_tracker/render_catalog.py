"""Dictionaries and configuration → Tracker JSON: fields, local fields, queues, workflows."""

from __future__ import annotations

from typing import Any

from tracker_bridge.testing.fake_tracker import catalog
from tracker_bridge.testing.fake_tracker.catalog import Entry, FieldDef
from tracker_bridge.testing.fake_tracker.records import QueueRecord, UserRecord
from tracker_bridge.testing.fake_tracker.render import (
    entry_ref,
    queue_ref,
    screen_json,
    status_ref,
    user_ref,
)
from tracker_bridge.testing.fake_tracker.state import TrackerState, entry

__all__ = ["entry_json", "field_json", "queue_json", "status_json", "user_json", "workflow_json"]


def _self(state: TrackerState, path: str) -> str:
    return f"{state.base_url}{path}"


def field_json(
    state: TrackerState, item: FieldDef, queue: QueueRecord | None = None
) -> dict[str, Any]:
    """docs get-global-fields.md (and get-local-fields.md when ``queue`` is given)."""
    schema: dict[str, Any] = {"type": item.type, "required": False}
    if item.items:
        schema["items"] = item.items
    body: dict[str, Any] = {
        "id": item.id,
        "key": item.id,
        "name": item.name,
        "version": 1,
        "schema": schema,
        "readonly": item.readonly,
        "options": False,
        "suggest": False,
        "order": 1,
        "type": "standard",
    }
    if queue is None:
        body["self"] = _self(state, f"/v2/fields/{item.id}")
    else:
        body["self"] = _self(state, f"/v2/queues/{queue.key}/localFields/{item.id}")
        body["id"] = f"{queue.hex_id}--{item.id}"
        body["type"] = "local"
        body["queue"] = queue_ref(state, queue)
    return body


def queue_json(state: TrackerState, queue: QueueRecord, expand: str = "") -> dict[str, Any]:
    """docs get-queue.md; ``expand=workflows|issueTypesConfig|all`` adds the workflow binding."""
    types = [entry_ref(state, "issuetypes", t) for t in catalog.ISSUE_TYPES]
    workflow_ref = {
        "self": _self(state, f"/v3/workflows/{queue.workflow.id}"),
        "id": queue.workflow.id,
        "display": queue.workflow.name,
    }
    body: dict[str, Any] = {
        "self": _self(state, f"/v2/queues/{queue.key}"),
        "id": queue.id,
        "key": queue.key,
        "version": 1,
        "name": queue.name,
        "description": "",
        "lead": user_ref(state, queue.lead),
        "assignAuto": False,
        "allowExternals": True,
        "defaultType": entry_ref(
            state, "issuetypes", entry(catalog.ISSUE_TYPES, queue.default_type, "type")
        ),
        "defaultPriority": entry_ref(
            state, "priorities", entry(catalog.PRIORITIES, queue.default_priority, "priority")
        ),
        "teamUsers": [],
        "denyVoting": False,
    }
    if "workflows" in expand or "all" in expand:
        body["workflows"] = {queue.workflow.id: types}
    if "issueTypesConfig" in expand or "all" in expand:
        resolutions = [entry_ref(state, "resolutions", r) for r in catalog.RESOLUTIONS]
        body["issueTypesConfig"] = [
            {"issueType": t, "workflow": workflow_ref, "resolutions": resolutions} for t in types
        ]
    return body


def workflow_json(state: TrackerState, queue: QueueRecord) -> dict[str, Any]:
    """A workflow as steps: each status with the transitions leaving it.

    Served under ``/v3`` only (docs api/queues/workflows/get-workflow.md: steps,
    initialAction); each action carries its screen (:func:`.render.screen_json`) so
    ``tracker-bridge check`` can tell which fields a transition needs.
    """
    flow = queue.workflow
    steps = [
        {
            "status": status_ref(state, key),
            "actions": [
                {
                    "id": t.id,
                    "display": t.display,
                    "target": status_ref(state, t.to),
                    "screen": screen_json(state, t),
                }
                for t in flow.available(key)
            ],
        }
        for key in flow.statuses
    ]
    return {
        "self": _self(state, f"/v3/workflows/{flow.id}"),
        "id": flow.id,
        "version": 1,
        "name": flow.name,
        "initialAction": {"target": status_ref(state, flow.initial)},
        "steps": steps,
    }


def user_json(state: TrackerState, user: UserRecord) -> dict[str, Any]:
    """docs get-user-info.md."""
    return {
        "self": _self(state, f"/v2/users/{user.uid}"),
        "uid": int(user.uid),
        "login": user.login,
        "trackerUid": int(user.uid),
        "passportUid": int(user.uid),
        "firstName": user.first_name,
        "lastName": user.last_name,
        "display": user.display,
        "email": user.email,
        "external": False,
        "hasLicense": True,
        "dismissed": False,
        "useNewFilters": True,
        "disableNotifications": False,
    }


def status_json(state: TrackerState, key: str) -> dict[str, Any]:
    status = state.status(key)
    return {
        "self": _self(state, f"/v2/statuses/{status.id}"),
        "id": status.id,
        "version": 1,
        "key": status.key,
        "name": status.name,
        "description": "",
        "order": status.id,
        "type": status.type,
    }


def entry_json(state: TrackerState, collection: str, item: Entry) -> dict[str, Any]:
    return {
        "self": _self(state, f"/v2/{collection}/{item.id}"),
        "id": item.id,
        "key": item.key,
        "version": 1,
        "name": item.name,
        "description": "",
        "order": item.id,
    }
