"""Routes for issues, search, transitions, comments and changelog."""

from __future__ import annotations

from typing import Any

from tracker_bridge.testing.fake_tracker import catalog
from tracker_bridge.testing.fake_tracker.issue_ops import create_issue, update_issue
from tracker_bridge.testing.fake_tracker.records import ChangelogRecord, CommentRecord
from tracker_bridge.testing.fake_tracker.render import (
    comment_json,
    issue_json,
    issue_ref,
    transition_json,
    user_ref,
)
from tracker_bridge.testing.fake_tracker.routing import ROUTER, Request, Response, cursor_page
from tracker_bridge.testing.fake_tracker.search import count, search
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState, tracker_time
from tracker_bridge.testing.fake_tracker.workflow_ops import (
    add_comment,
    delete_comment,
    execute_transition,
    find_comment,
)

__all__: list[str] = []

_KEY = r"/issues/(?P<key>[^/]+)"
_FIELD_NAMES = {f.id: f.name for f in catalog.GLOBAL_FIELDS}


@ROUTER.route("POST", "/issues")
def post_issue(state: TrackerState, req: Request) -> Response:
    """Create an issue: 201 (docs concepts/issues/create-issue.md); repeated ``unique`` → 409."""
    issue = create_issue(state, req.json(), req.user)
    return Response(201, issue_json(state, issue))


@ROUTER.route("POST", "/issues/_findByUnique")
def find_by_unique(state: TrackerState, req: Request) -> Response:
    """The client's lookup after a 409 on create (client Issues.create; not in the public docs)."""
    key = state.uniques.get(req.params.get("unique", ""))
    if key is None:
        raise ApiError(404, "Issue does not exist.")
    return Response(200, issue_json(state, state.issues[key]))


@ROUTER.route("POST", "/issues/_search")
def post_search(state: TrackerState, req: Request) -> Response:
    """Search (docs concepts/issues/search-issues.md, common-format.md paging, scroll)."""
    items, headers = search(state, req.json(), req.params)
    return Response(200, items, headers)


@ROUTER.route("POST", "/issues/_count")
def post_count(state: TrackerState, req: Request) -> Response:
    """Count matching issues: a bare integer (docs concepts/issues/count-issues.md)."""
    return Response(200, count(state, req.json()))


@ROUTER.route("GET", _KEY)
def get_issue(state: TrackerState, req: Request, key: str) -> Response:
    """One issue by key or id; 404 "Issue does not exist." (docs concepts/issues/get-issue.md)."""
    return Response(200, issue_json(state, state.issue(key), req.params.get("expand", "")))


@ROUTER.route("PATCH", _KEY)
def patch_issue(state: TrackerState, req: Request, key: str) -> Response:
    """Edit fields; If-Match or ``?version`` must match (docs concepts/issues/patch-issue.md)."""
    honour = state.settings.if_match == "honoured"
    issue = update_issue(state, state.issue(key), req.json(), req.user, req.if_match(honour))
    return Response(200, issue_json(state, issue))


@ROUTER.route("GET", _KEY + "/transitions")
def get_transitions(state: TrackerState, req: Request, key: str) -> Response:
    """Transitions available from the current status (docs concepts/issues/get-transitions.md)."""
    issue = state.issue(key)
    available = state.queues[issue.queue].workflow.available(issue.status)
    return Response(200, [transition_json(state, issue, t) for t in available])


@ROUTER.route("GET", _KEY + "/transitions/(?P<tid>[^/]+)")
def get_transition(state: TrackerState, req: Request, key: str, tid: str) -> Response:
    """One available transition; an unknown or unavailable one is 404 (docs get-transitions.md;
    the code is our choice, TRACKER-API.md §8.2 row 13)."""
    issue = state.issue(key)
    for transition in state.queues[issue.queue].workflow.available(issue.status):
        if transition.id == tid:
            return Response(200, transition_json(state, issue, transition))
    raise ApiError(404, f"Переход {tid} недоступен")


@ROUTER.route("POST", _KEY + "/transitions/(?P<tid>[^/]+)/_execute")
def post_execute(state: TrackerState, req: Request, key: str, tid: str) -> Response:
    """Execute a transition; 200 + transitions from the new status (docs
    concepts/issues/new-transition.md)."""
    issue = state.issue(key)
    available = execute_transition(state, issue, tid, req.json(), req.user)
    return Response(200, [transition_json(state, issue, t) for t in available])


@ROUTER.route("GET", _KEY + "/comments")
def get_comments(state: TrackerState, req: Request, key: str) -> Response:
    """Comments ascending by id, cursor-paged by ``id``/``perPage`` (docs
    concepts/issues/get-comments.md; the cursor scheme follows get-changelog.md)."""
    issue = state.issue(key)
    live = [c for c in state.comments[issue.key] if not c.deleted]
    page, headers = cursor_page(
        state, live, _comment_id, req.params, f"/v2/issues/{issue.key}/comments"
    )
    expand = req.params.get("expand", "")
    return Response(200, [comment_json(state, c, expand) for c in page], headers)


def _comment_id(comment: CommentRecord) -> str:
    return str(comment.id)


@ROUTER.route("POST", _KEY + "/comments")
def post_comment(state: TrackerState, req: Request, key: str) -> Response:
    """Add a comment: 201 (docs concepts/issues/add-comment.md)."""
    comment = add_comment(state, state.issue(key), req.json(), req.user)
    return Response(201, comment_json(state, comment))


@ROUTER.route("GET", _KEY + "/comments/(?P<cid>[^/]+)")
def get_comment(state: TrackerState, req: Request, key: str, cid: str) -> Response:
    """One comment (docs concepts/issues/get-comments.md)."""
    comment = find_comment(state, state.issue(key), cid)
    return Response(200, comment_json(state, comment, req.params.get("expand", "")))


@ROUTER.route("DELETE", _KEY + "/comments/(?P<cid>[^/]+)")
def delete_comment_route(state: TrackerState, req: Request, key: str, cid: str) -> Response:
    """Delete a comment: 204 (docs concepts/issues/delete-comment.md)."""
    issue = state.issue(key)
    delete_comment(state, issue, find_comment(state, issue, cid), req.user)
    return Response(204, None)


@ROUTER.route("GET", _KEY + "/changelog")
def get_changelog(state: TrackerState, req: Request, key: str) -> Response:
    """History, ascending, cursor-paged by ``id``/``perPage``; ``field`` and ``type`` filter,
    ``sort=updated.desc`` reverses (docs concepts/issues/get-changelog.md).

    The docs define ``field`` and ``type`` as one string each. A repeated one is read as the
    server frameworks read a single-valued parameter (``settings.repeated_param``): the last
    value (default), the first, or a 400.
    """
    issue = state.issue(key)
    entries = list(state.changelog[issue.key])
    kind = _single(state, req, "type")
    if kind:
        entries = [e for e in entries if e.type == kind]
    field = _single(state, req, "field")
    if field:
        entries = [e for e in entries if field in {f.field for f in e.fields}]
    if req.params.get("sort", "").endswith("desc"):
        entries.reverse()
    page, headers = cursor_page(
        state, entries, _entry_id, req.params, f"/v2/issues/{issue.key}/changelog"
    )
    return Response(200, [_changelog_json(state, e) for e in page], headers)


def _single(state: TrackerState, req: Request, name: str) -> str | None:
    values = req.query.get(name) or []
    if not values:
        return None
    if len(values) > 1:
        mode = state.settings.repeated_param
        if mode == "error":
            raise ApiError(400, f"Параметр {name} должен быть строкой")
        return values[0] if mode == "first" else values[-1]
    return values[0]


def _entry_id(record: ChangelogRecord) -> str:
    return record.id


def _changelog_json(state: TrackerState, record: ChangelogRecord) -> dict[str, Any]:
    base = state.base_url
    issue = state.issues[record.issue]
    body: dict[str, Any] = {
        "id": record.id,
        "self": f"{base}/v2/issues/{issue.key}/changelog/{record.id}",
        "issue": issue_ref(state, issue),
        "updatedAt": tracker_time(record.updated_at),
        "updatedBy": user_ref(state, record.updated_by),
        "type": record.type,
        "transport": "front",
        "fields": [
            {
                "field": {
                    "self": f"{base}/v2/fields/{f.field}",
                    "id": f.field,
                    "display": _FIELD_NAMES.get(f.field, f.field),
                },
                "from": f.before,
                "to": f.after,
            }
            for f in record.fields
        ],
    }
    comments = {
        "added": record.comments_added,
        "removed": record.comments_removed,
    }
    if any(comments.values()):
        body["comments"] = {
            kind: [_comment_ref(state, issue.key, cid) for cid in ids]
            for kind, ids in comments.items()
            if ids
        }
    if record.attachments_added:
        body["attachments"] = {"added": [{"id": a} for a in record.attachments_added]}
    if record.links_added:
        body["links"] = [{"id": i} for i in record.links_added]
    return body


def _comment_ref(state: TrackerState, key: str, cid: int) -> dict[str, Any]:
    return {"self": f"{state.base_url}/v2/issues/{key}/comments/{cid}", "id": cid, "display": ""}
