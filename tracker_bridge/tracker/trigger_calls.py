"""The blocking half of the trigger calls (run in the gateway's threads, like remote.py).

Docs: concepts/queues/create-trigger.md (POST), get-trigger.md (GET one), change-trigger.md
(PATCH with ``?version=``); the list is the path the client's ``queue.triggers`` reads.
Triggers come back as plain JSON: only ``tracker-bridge check`` and ``webhook install`` read
them, through :mod:`tracker_bridge.webhook.trigger`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker_bridge.tracker.remote import plain
from tracker_bridge.tracker.transport import Api

__all__ = ["create_trigger", "list_triggers", "update_trigger"]


def _path(queue: str, trigger_id: int | None = None) -> str:
    tail = "" if trigger_id is None else f"/{trigger_id}"
    return f"/v2/queues/{queue}/triggers{tail}"


def list_triggers(api: Api, queue: str) -> list[dict[str, Any]]:
    answer = plain(api.http.get(path=_path(queue)))
    return [dict(t) for t in answer] if isinstance(answer, list) else []


def create_trigger(api: Api, queue: str, body: Mapping[str, Any]) -> dict[str, Any]:
    return dict(plain(api.http.post(path=_path(queue), data=dict(body))))


def update_trigger(
    api: Api, queue: str, trigger_id: int, version: int, body: Mapping[str, Any]
) -> dict[str, Any]:
    answer = api.http.patch(
        path=_path(queue, trigger_id), data=dict(body), params={"version": version}
    )
    return dict(plain(answer))
