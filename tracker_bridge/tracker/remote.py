"""The blocking half of the gateway: one function per Tracker call, run in a worker thread.

Each takes an :class:`~.transport.Api` — a ``yandex_tracker_client.TrackerClient`` and the
``Connection`` it was built over, both public API of the library (only :mod:`.transport` imports
it) — and returns :mod:`.snapshots` values, never client objects: every page of a
``PaginatedList`` is walked and every ``Reference`` copied here, in the thread (TRACKER-API.md
§2.1). Paths and bodies are the ones the client itself sends (§2.2). The ``Connection``
(``api.http``) sends them directly where the high-level API reaches a sub-resource only through
its parent fetched first — ``client.issues[key].comments`` (changelog, attachments, links,
transitions alike) and ``client.queues[key].triggers`` each GET the issue or queue before the call
itself — which would double the requests of every sync cycle and every write's re-read.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tracker_bridge.regulation.model import Attachment
from tracker_bridge.tracker import parse
from tracker_bridge.tracker.snapshots import (
    AttachmentInfo,
    ChangelogEntry,
    CommentInfo,
    FieldInfo,
    IssueSnapshot,
    LinkInfo,
    NamedEntry,
    QueueInfo,
    TransitionInfo,
    UserInfo,
    WorkflowInfo,
)
from tracker_bridge.tracker.transport import Api

__all__ = [
    "attachments",
    "changelog",
    "comments",
    "count",
    "create_issue",
    "create_link",
    "delete_comment",
    "download",
    "execute_transition",
    "fields",
    "find_by_unique",
    "get_issue",
    "issue_with_transitions",
    "links",
    "local_fields",
    "myself",
    "named_list",
    "patch_if_match",
    "patch_issue",
    "post_comment",
    "queue",
    "queue_workflows",
    "rendered_comments",
    "search",
    "search_keys",
    "upload_to_issue",
    "workflow",
]

PAGE = 100  # perPage: reliable in the wild (TRACKER-API.md §7, zappbrannigan34)


def plain(value: Any) -> Any:
    """A client value as plain JSON, without network and without the client's hooks.

    A client object keeps its JSON in ``_value``; reading it through ``dict.items`` bypasses the
    local-field logging wrapper, whose ``__getitem__`` would warn and leave per-call state in
    the collection (``_pyClientLocalMapRead`` on the next request).
    """
    raw = getattr(value, "_value", None)
    if isinstance(raw, dict) and hasattr(value, "_path"):
        return {k: plain(v) for k, v in dict.items(raw)}
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _all(result: Any) -> list[dict[str, Any]]:
    """Every item of a list answer, following ``Link: next`` (iterating does that)."""
    return [] if result is None else [plain(item) for item in result]


def _issue_path(key: str, tail: str = "") -> str:
    return f"/v2/issues/{key}{tail}"


def get_issue(api: Api, key: str) -> IssueSnapshot:
    return parse.issue(plain(api.http.get(path=_issue_path(key))))


def issue_with_transitions(api: Api, key: str) -> tuple[IssueSnapshot, list[TransitionInfo]]:
    """The issue and the transitions offered from its status, in one request (``expand``)."""
    raw = plain(api.http.get(path=_issue_path(key), params={"expand": "transitions"}))
    return parse.issue(raw), [parse.transition(t) for t in raw.get("transitions") or ()]


def find_by_unique(api: Api, unique: str) -> IssueSnapshot:
    """POST /v2/issues/_findByUnique (undocumented; what the client itself uses, §3)."""
    path = "/v2/issues/_findByUnique"
    return parse.issue(plain(api.http.post(path=path, params={"unique": unique})))


def _temp_uploads(api: Api, files: Sequence[Attachment]) -> list[str]:
    """Temporary attachments (docs temp-attachment.md); unused ones expire on Tracker's side."""
    return [
        str(api.client.attachments.create(io.BytesIO(f.data), params={"filename": f.filename}).id)
        for f in files
    ]


def create_issue(api: Api, body: Mapping[str, Any], files: Sequence[Attachment]) -> IssueSnapshot:
    """``issues.create`` with our ``unique``: on 409 the client itself returns the existing
    issue via ``_findByUnique`` (one lookup; TRACKER-API.md §3)."""
    extra: dict[str, Any] = dict(body)
    if files:
        extra["attachmentIds"] = _temp_uploads(api, files)
    return parse.issue(plain(api.client.issues.create(**extra)))


def patch_issue(api: Api, key: str, body: Mapping[str, Any], version: str | None) -> IssueSnapshot:
    """PATCH; with a version, as the documented ``?version=`` parameter (docs patch-issue.md),
    not the client's ``If-Match`` header, which the API may ignore (TRACKER-API.md §3)."""
    params = None if version is None else {"version": version}
    answer = api.http.patch(path=_issue_path(key), data=dict(body), params=params)
    return parse.issue(plain(answer))


def comments(api: Api, key: str) -> list[CommentInfo]:
    params = {"perPage": PAGE, "expand": "attachments"}
    answer = api.http.get(path=_issue_path(key, "/comments/"), params=params)
    return [parse.comment(c) for c in _all(answer)]


def rendered_comments(api: Api, key: str) -> list[tuple[CommentInfo, str]]:
    """Each comment with the HTML Tracker renders it as (``expand=html``: ``textHtml``, docs
    get-comments.md); for the live probe's marker check."""
    params = {"perPage": PAGE, "expand": "html"}
    answer = api.http.get(path=_issue_path(key, "/comments/"), params=params)
    return [(parse.comment(c), str(c.get("textHtml") or "")) for c in _all(answer)]


def delete_comment(api: Api, key: str, comment_id: str) -> None:
    """DELETE /v2/issues/{key}/comments/{id} (docs delete-comment.md)."""
    api.http.delete(path=_issue_path(key, f"/comments/{comment_id}"))


def patch_if_match(api: Api, key: str, body: Mapping[str, Any], version: str) -> IssueSnapshot:
    """PATCH with the client's ``If-Match: "<version>"`` header (not in the docs; the live
    probe's question whether Tracker honours it)."""
    answer = api.http.patch(path=_issue_path(key), data=dict(body), version=version)
    return parse.issue(plain(answer))


def post_comment(api: Api, key: str, text: str, files: Sequence[Attachment]) -> CommentInfo:
    body: dict[str, Any] = {"text": text}
    if files:
        body["attachmentIds"] = _temp_uploads(api, files)
    answer = api.http.post(path=_issue_path(key, "/comments/"), data=body)
    return parse.comment(plain(answer))


def execute_transition(
    api: Api, key: str, transition_id: str, comment: str | None, resolution: str | None
) -> None:
    body: dict[str, Any] = {}
    if comment:
        body["comment"] = comment
    if resolution:
        body["resolution"] = resolution
    path = _issue_path(key, f"/transitions/{transition_id}/_execute")
    api.http.post(path=path, data=body)


def changelog(api: Api, key: str, fields: Iterable[str] = ()) -> list[ChangelogEntry]:
    """The history, oldest first; ``fields`` keeps only entries touching those fields.

    Read whole and filtered here: the docs (get-changelog.md) define ``field`` as one string,
    so ``field=status&field=priority`` is undocumented (a server keeping the last value would
    drop the status history), and one request per field would double the reads.
    """
    params: dict[str, Any] = {"perPage": PAGE}
    answer = api.http.get(path=_issue_path(key, "/changelog/"), params=params)
    entries = [parse.changelog_entry(e) for e in _all(answer)]
    wanted = set(fields)
    if not wanted:
        return entries
    return [e for e in entries if wanted & {f.field for f in e.fields}]


def attachments(api: Api, key: str) -> list[AttachmentInfo]:
    answer = api.http.get(path=_issue_path(key, "/attachments/"))
    return [parse.attachment(a) for a in _all(answer)]


def upload_to_issue(api: Api, key: str, file: Attachment) -> AttachmentInfo:
    """POST /v2/issues/{key}/attachments/?filename= (multipart field ``file``, as the client)."""
    answer = api.http.post(
        path=_issue_path(key, "/attachments/"),
        params={"filename": file.filename},
        files={"file": ("file", io.BytesIO(file.data), file.content_type)},
    )
    return parse.attachment(plain(answer))


def download(api: Api, content_url: str) -> bytes:
    """The bytes behind an attachment's absolute ``content`` URL (client ``Attachments.read``)."""
    return b"".join(api.http.stream(path=content_url))


def links(api: Api, key: str) -> list[LinkInfo]:
    return [parse.link(x) for x in _all(api.http.get(path=_issue_path(key, "/links/")))]


def create_link(api: Api, key: str, relationship: str, other: str) -> None:
    body = {"relationship": relationship, "issue": other}
    api.http.post(path=_issue_path(key, "/links/"), data=body)


def search(api: Api, query: str, scroll: bool = False) -> list[IssueSnapshot]:
    """Every issue the query finds: paged (``perPage``) or, for big sets, scrolled (a snapshot
    in pages of up to 1000; paged search stops at 10,000, §2.4)."""
    if scroll:
        options: dict[str, Any] = {"scrollType": "sorted", "perScroll": 1000}
        found = api.client.issues.find(query=query, **options)
    else:
        found = api.client.issues.find(query=query, per_page=PAGE)
    return [parse.issue(raw) for raw in _all(found)]


def search_keys(api: Api, keys: Sequence[str]) -> list[IssueSnapshot]:
    """The named issues (a ``keys`` search: one request per 100 keys)."""
    return [
        parse.issue(raw) for raw in _all(api.client.issues.find(keys=list(keys), per_page=PAGE))
    ]


def count(api: Api, query: str) -> int:
    return int(api.client.issues.find(query=query, count_only=True))


def myself(api: Api) -> UserInfo:
    return parse.user(plain(api.client.myself))


def queue(api: Api, key: str) -> QueueInfo:
    """GET /v2/queues/{key} (docs concepts/queues/get-queue.md), without its workflows."""
    return parse.queue(plain(api.http.get(path=f"/v2/queues/{key}")))


def queue_workflows(api: Api, key: str) -> tuple[str, ...]:
    """Workflow ids of a queue: GET /v3/queues/{key}/workflows, the only place the docs put
    them (api/queues/workflows/get-queue-workflows.md; the answer maps id → issue types)."""
    flows = plain(api.http.get(path=f"/v3/queues/{key}/workflows"))
    return tuple(flows) if isinstance(flows, Mapping) else ()


def workflow(api: Api, workflow_id: str) -> WorkflowInfo:
    """GET /v3/workflows/{id} (docs api/queues/workflows/get-workflow.md)."""
    return parse.workflow(plain(api.http.get(path=f"/v3/workflows/{workflow_id}")))


def local_fields(api: Api, queue_key: str) -> list[FieldInfo]:
    answer = api.http.get(path=f"/v2/queues/{queue_key}/localFields")
    return [parse.field_info(f) for f in _all(answer)]


def fields(api: Api) -> list[FieldInfo]:
    return [parse.field_info(f) for f in _all(api.http.get(path="/v2/fields/"))]


def named_list(api: Api, collection: str) -> list[NamedEntry]:
    """``statuses``, ``resolutions``, ``priorities`` or ``issuetypes``."""
    return [parse.named(x) for x in _all(api.http.get(path=f"/v2/{collection}/"))]
