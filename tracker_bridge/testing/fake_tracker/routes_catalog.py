"""Routes for users, fields, dictionaries, queues and workflows: what the gateway reads, and the
single objects the client's lazy references load (``issue.status.name``, ``createdBy.login``).
Listings nothing reads (all users, all queues, link types, all workflows) are not served."""

from __future__ import annotations

from typing import Any

from tracker_bridge.testing.fake_tracker import catalog
from tracker_bridge.testing.fake_tracker.catalog import Entry
from tracker_bridge.testing.fake_tracker.render_catalog import (
    entry_json,
    field_json,
    queue_json,
    status_json,
    user_json,
    workflow_json,
)
from tracker_bridge.testing.fake_tracker.routing import ROUTER, Request, Response
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState

__all__: list[str] = []

_ID = r"/(?P<ref>[^/]+)"


@ROUTER.route("GET", "/myself")
def get_myself(state: TrackerState, req: Request) -> Response:
    """The token's user (docs api-ref/myself/get-user-info.md)."""
    return Response(200, user_json(state, state.users[req.user]))


@ROUTER.route("GET", "/users" + _ID)
def get_user(state: TrackerState, req: Request, ref: str) -> Response:
    """One user by uid or login; 404 if unknown (docs api-ref/users/get-user.md)."""
    user = state.find_user(ref)
    if user is None:
        raise ApiError(404, f"Пользователь {ref} не найден")
    return Response(200, user_json(state, user))


@ROUTER.route("GET", "/fields")
def get_fields(state: TrackerState, req: Request) -> Response:
    """Every global field with ``schema.type`` (docs concepts/issues/get-global-fields.md; the
    client loads this before the first attribute access on an issue)."""
    return Response(200, [field_json(state, f) for f in catalog.GLOBAL_FIELDS])


@ROUTER.route("GET", "/fields" + _ID)
def get_field(state: TrackerState, req: Request, ref: str) -> Response:
    """One global field (docs concepts/issues/get-global-field.md)."""
    for item in catalog.GLOBAL_FIELDS:
        if item.id == ref:
            return Response(200, field_json(state, item))
    raise ApiError(404, f"Поле {ref} не найдено")


@ROUTER.route("GET", "/statuses")
def get_statuses(state: TrackerState, req: Request) -> Response:
    """All statuses with ``type`` (docs concepts/issues/get-statuses.md)."""
    return Response(200, [status_json(state, key) for key in state.statuses])


@ROUTER.route("GET", "/statuses" + _ID)
def get_status(state: TrackerState, req: Request, ref: str) -> Response:
    """One status by id or key (client dereferences ``status.name`` here)."""
    for status in state.statuses.values():
        if ref in (str(status.id), status.key):
            return Response(200, status_json(state, status.key))
    raise ApiError(404, f"Статус {ref} не найден")


def _dictionary(collection: str, entries: tuple[Entry, ...], doc: str) -> None:
    def get_all(state: TrackerState, req: Request) -> Response:
        return Response(200, [entry_json(state, collection, e) for e in entries])

    def get_one(state: TrackerState, req: Request, ref: str) -> Response:
        for item in entries:
            if ref in (str(item.id), item.key):
                return Response(200, entry_json(state, collection, item))
        raise ApiError(404, f"{collection}/{ref} не найден")

    get_all.__doc__ = get_one.__doc__ = f"All {collection} / one by id or key (docs {doc})."
    ROUTER.route("GET", f"/{collection}")(get_all)
    ROUTER.route("GET", f"/{collection}" + _ID)(get_one)


_dictionary("priorities", catalog.PRIORITIES, "concepts/issues/get-priorities.md")
_dictionary("resolutions", catalog.RESOLUTIONS, "concepts/issues/get-resolutions.md")
_dictionary("issuetypes", catalog.ISSUE_TYPES, "concepts/issues/get-issue-types.md")


@ROUTER.route("GET", "/queues" + _ID)
def get_queue(state: TrackerState, req: Request, ref: str) -> Response:
    """One queue; ``expand=workflows|issueTypesConfig|all`` (docs concepts/queues/get-queue.md)."""
    queue = _queue(state, ref)
    return Response(200, queue_json(state, queue, req.params.get("expand", "")))


def _queue(state: TrackerState, ref: str) -> Any:
    try:
        return state.queue(ref)
    except ApiError:
        raise ApiError(404, f"Очередь {ref} не существует") from None


@ROUTER.route("GET", "/queues" + _ID + "/localFields")
def get_local_fields(state: TrackerState, req: Request, ref: str) -> Response:
    """The queue's local fields (docs concepts/queues/get-local-fields.md)."""
    queue = _queue(state, ref)
    return Response(200, [field_json(state, f, queue) for f in queue.local_fields])


@ROUTER.route("GET", "/queues" + _ID + "/workflows", versions="3")
def get_queue_workflows(state: TrackerState, req: Request, ref: str) -> Response:
    """Workflow id → issue types (docs api/queues/workflows/get-queue-workflows.md): under
    ``/v3`` only, as the docs put it; ``/v2/…/workflows`` is a 404."""
    queue = _queue(state, ref)
    types = [entry_json(state, "issuetypes", t) for t in catalog.ISSUE_TYPES]
    return Response(200, {queue.workflow.id: types})


@ROUTER.route("GET", "/workflows" + _ID, versions="3")
def get_workflow(state: TrackerState, req: Request, ref: str) -> Response:
    """One workflow: statuses with the transitions leaving each (docs
    api/queues/workflows/get-workflow.md, v3)."""
    for queue in state.queues.values():
        if queue.workflow.id == ref:
            return Response(200, workflow_json(state, queue))
    raise ApiError(404, f"Рабочий процесс {ref} не найден")
