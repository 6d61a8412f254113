"""Routes for attachments and links."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from urllib.parse import unquote

from tracker_bridge.testing.fake_tracker.file_link_ops import (
    add_link,
    issue_attachment,
    links_of,
    upload,
)
from tracker_bridge.testing.fake_tracker.records import AttachmentRecord, IssueRecord
from tracker_bridge.testing.fake_tracker.render import attachment_json, link_json
from tracker_bridge.testing.fake_tracker.routing import ROUTER, Request, Response
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState

__all__: list[str] = []

_KEY = r"/issues/(?P<key>[^/]+)"


def _file_part(req: Request) -> tuple[str, bytes]:
    """The ``file`` part of a multipart body and the name from ``?filename=`` (the client sends
    the literal part filename "file"; the real name travels only in the query — client
    Attachments._create_from_file)."""
    content_type = next((v for k, v in req.headers.items() if k.lower() == "content-type"), "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(400, "Ожидался multipart/form-data")
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + req.body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            data = part.get_payload(decode=True)
            name = req.params.get("filename") or part.get_filename() or "file"
            return name, data if isinstance(data, bytes) else b""
    raise ApiError(400, "В запросе нет части file")


@ROUTER.route("POST", "/attachments")
def post_temp_attachment(state: TrackerState, req: Request) -> Response:
    """Upload a temporary file: 201 (docs concepts/issues/temp-attachment.md)."""
    name, data = _file_part(req)
    return Response(201, attachment_json(state, upload(state, name, data, req.user)))


def _temp(state: TrackerState, file_id: str) -> AttachmentRecord:
    found = state.attachments.get(file_id)
    if found is None:
        raise ApiError(404, f"Вложение {file_id} не найдено")
    return found


@ROUTER.route("GET", r"/attachments/(?P<fid>[^/]+)")
def get_temp_attachment(state: TrackerState, req: Request, fid: str) -> Response:
    """Metadata of an uploaded file (docs concepts/issues/temp-attachment.md)."""
    return Response(200, attachment_json(state, _temp(state, fid)))


@ROUTER.route("GET", r"/attachments/(?P<fid>[^/]+)/(?P<name>[^/]+)")
def download_temp_attachment(state: TrackerState, req: Request, fid: str, name: str) -> Response:
    """The bytes of an uploaded file (docs concepts/issues/get-attachment.md)."""
    return _download(_temp(state, fid), name)


def _download(record: AttachmentRecord, name: str) -> Response:
    if unquote(name) != record.name:
        raise ApiError(404, f"Файл {name} не найден")
    return Response(200, raw=record.content, content_type=record.mimetype)


@ROUTER.route("POST", _KEY + "/attachments")
def post_issue_attachment(state: TrackerState, req: Request, key: str) -> Response:
    """Attach a file to an issue: 201 (docs concepts/issues/post-attachment.md)."""
    issue = state.issue(key)
    name, data = _file_part(req)
    return Response(201, attachment_json(state, upload(state, name, data, req.user, issue)))


@ROUTER.route("GET", _KEY + "/attachments")
def get_issue_attachments(state: TrackerState, req: Request, key: str) -> Response:
    """The issue's files (docs concepts/issues/get-attachments-list.md)."""
    issue = state.issue(key)
    return Response(200, [attachment_json(state, a) for a in _files(state, issue)])


def _files(state: TrackerState, issue: IssueRecord) -> list[AttachmentRecord]:
    return [a for a in state.attachments.values() if a.issue == issue.key]


@ROUTER.route("GET", _KEY + r"/attachments/(?P<fid>[^/]+)")
def get_issue_attachment(state: TrackerState, req: Request, key: str, fid: str) -> Response:
    """One file's metadata (docs concepts/issues/get-attachments-list.md)."""
    return Response(200, attachment_json(state, issue_attachment(state, state.issue(key), fid)))


@ROUTER.route("GET", _KEY + r"/attachments/(?P<fid>[^/]+)/(?P<name>[^/]+)")
def download_issue_attachment(
    state: TrackerState, req: Request, key: str, fid: str, name: str
) -> Response:
    """Raw bytes with the file's Content-Type (docs concepts/issues/get-attachment.md)."""
    return _download(issue_attachment(state, state.issue(key), fid), name)


@ROUTER.route("GET", _KEY + "/links")
def get_links(state: TrackerState, req: Request, key: str) -> Response:
    """Links of an issue, each as this issue sees it (docs concepts/issues/get-links.md)."""
    issue = state.issue(key)
    return Response(200, [link_json(state, ln, issue.key) for ln in links_of(state, issue)])


@ROUTER.route("POST", _KEY + "/links")
def post_link(state: TrackerState, req: Request, key: str) -> Response:
    """Link two issues: 201; a linked pair → 422 (docs concepts/issues/link-issue.md)."""
    issue = state.issue(key)
    link = add_link(state, issue, req.json(), req.user)
    return Response(201, link_json(state, link, issue.key))


@ROUTER.route("GET", _KEY + r"/links/(?P<lid>[^/]+)")
def get_link(state: TrackerState, req: Request, key: str, lid: str) -> Response:
    """One link (docs concepts/issues/get-links.md)."""
    issue = state.issue(key)
    for link in links_of(state, issue):
        if str(link.id) == lid:
            return Response(200, link_json(state, link, issue.key))
    raise ApiError(404, f"Связь {lid} не найдена")
