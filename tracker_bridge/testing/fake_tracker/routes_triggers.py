"""Routes for a queue's triggers (list, create, read, update); the running is in triggers.py."""

from __future__ import annotations

from tracker_bridge.testing.fake_tracker.routing import ROUTER, Request, Response
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState
from tracker_bridge.testing.fake_tracker.triggers import TriggerRecord, validate

__all__: list[str] = []

_QUEUE = r"/queues/(?P<queue>[^/]+)/triggers"
_ONE = _QUEUE + r"/(?P<ref>[0-9]+)"


def _readable(state: TrackerState) -> bool:
    return state.settings.trigger_secrets_readable


def _book(state: TrackerState, queue_ref: str) -> tuple[str, list[TriggerRecord]]:
    queue = state.queue(queue_ref)  # 422 for an unknown queue, as the queue routes answer
    return queue.key, state.triggers.setdefault(queue.key, [])


def _find(state: TrackerState, queue_ref: str, ref: str) -> TriggerRecord:
    _, book = _book(state, queue_ref)
    found = next((t for t in book if str(t.id) == ref), None)
    if found is None:
        raise ApiError(404, "Триггер не найден")
    return found


@ROUTER.route("GET", _QUEUE)
def list_triggers(state: TrackerState, req: Request, queue: str) -> Response:
    """The queue's triggers in list order (the client's ``queue.triggers`` reads this path:
    collections.py ``Queues.triggers``; each item as docs get-trigger.md)."""
    _, book = _book(state, queue)
    readable = _readable(state)
    return Response(200, [t.to_json(state, secrets_readable=readable) for t in book])


@ROUTER.route("POST", _QUEUE)
def create_trigger(state: TrackerState, req: Request, queue: str) -> Response:
    """docs concepts/queues/create-trigger.md: ``name`` and ``actions`` required, ``conditions``
    and ``active`` optional; the answer is the trigger (the page names 200)."""
    body = req.json()
    validate(body)
    key, book = _book(state, queue)
    trigger = TriggerRecord(
        id=state.next_id(),
        queue=key,
        name=str(body["name"]),
        actions=list(body["actions"]),
        conditions=list(body.get("conditions") or []),
        active=bool(body.get("active", True)),
        order=f"{0.0001 * (len(book) + 1):.4f}",
    )
    book.append(trigger)
    return Response(200, trigger.to_json(state, secrets_readable=_readable(state)))


@ROUTER.route("GET", _ONE)
def get_trigger(state: TrackerState, req: Request, queue: str, ref: str) -> Response:
    """docs concepts/queues/get-trigger.md."""
    trigger = _find(state, queue, ref)
    return Response(200, trigger.to_json(state, secrets_readable=_readable(state)))


@ROUTER.route("PATCH", _ONE)
def update_trigger(state: TrackerState, req: Request, queue: str, ref: str) -> Response:
    """docs concepts/queues/change-trigger.md: ``?version=<current>`` required; a stale version
    is refused (409/412, the same switch as issues: docs list both)."""
    trigger = _find(state, queue, ref)
    expected = req.if_match()
    if expected is None:
        raise ApiError(400, "Не указана версия триггера", errors={"version": "required"})
    if expected != str(trigger.version):
        raise ApiError(state.settings.version_conflict_status, "Версия триггера изменилась")
    body = req.json()
    validate(body, partial=True)
    if "name" in body:
        trigger.name = str(body["name"])
    if "actions" in body:
        trigger.actions = list(body["actions"])
    if "conditions" in body:
        trigger.conditions = list(body["conditions"] or [])
    if "active" in body:
        trigger.active = bool(body["active"])
    trigger.version += 1
    return Response(200, trigger.to_json(state, secrets_readable=_readable(state)))
