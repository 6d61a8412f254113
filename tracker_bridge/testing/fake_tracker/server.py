"""The HTTP side: auth, fault knobs, the request log, dispatch and Tracker-shaped answers.

One handler class per fake (it carries the fake's state as a class attribute); HTTP/1.1 with
keep-alive, because ``requests`` reuses connections and that is what the daemon will do.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

# Importing the route modules fills ROUTER.
from tracker_bridge.testing.fake_tracker import (
    routes_catalog,
    routes_files,
    routes_issues,
    routes_triggers,
)
from tracker_bridge.testing.fake_tracker.faults import Fault, FaultPlan, normalize_path
from tracker_bridge.testing.fake_tracker.routing import ROUTER, Request, Response
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState

__all__ = ["Credentials", "TrackerHandler", "close_connections", "handler_for"]

_ROUTE_MODULES = (routes_catalog, routes_files, routes_issues, routes_triggers)


class Credentials:
    """What a request must present: ``Authorization: OAuth <token>`` (or ``Bearer <iam_token>``)
    and ``X-Org-ID: <org_id>`` (or ``X-Cloud-Org-ID: <cloud_org_id>``) — docs
    concepts/access.md; messages from yandex_tracker_client#16 and evrone-erp PR #6."""

    def __init__(self, token: str, iam_token: str, org_id: str, cloud_org_id: str) -> None:
        self.token, self.iam_token = token, iam_token
        self.org_id, self.cloud_org_id = org_id, cloud_org_id

    def check(self, headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        valid = (scheme == "OAuth" and value == self.token) or (
            scheme == "Bearer" and value == self.iam_token
        )
        if not valid:
            raise ApiError(401, "bad oauth status: INVALID: token is not valid")
        cloud = headers.get("x-cloud-org-id")
        # The client always sends X-Org-Id, as "not provided" when a cloud org is used.
        ok = cloud == self.cloud_org_id if cloud else headers.get("x-org-id") == self.org_id
        if not ok:
            raise ApiError(403, "Organization is not available, not ready or not found")


class TrackerHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the client's delayed ACK
    # would add ~40 ms to every answer.
    disable_nagle_algorithm = True
    state: ClassVar[TrackerState]
    faults: ClassVar[FaultPlan]
    credentials: ClassVar[Credentials]
    connections: ClassVar[set[socket.socket]]
    connections_lock: ClassVar[threading.Lock]

    def setup(self) -> None:
        super().setup()
        with self.connections_lock:
            self.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.connections_lock:
                self.connections.discard(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        """Silence: the request log is ``fake.requests``."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        request = self._read()
        with self.state.lock:
            self.state.requests.append((request.method, normalize_path(request.path)))
            names = tuple(k for k, values in request.query.items() for _ in values)
            path = request.path.rstrip("/") or "/"
            self.state.sent.append((request.method, path, names))
            self.state.in_flight += 1
            self.state.peak_in_flight = max(self.state.peak_in_flight, self.state.in_flight)
        try:
            self._answer(request)
        finally:
            with self.state.lock:
                self.state.in_flight -= 1

    def _answer(self, request: Request) -> None:
        fault = self.faults.take(request.method, request.path)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)  # real time on purpose: the client's timeout is real
        if fault is not None and fault.kind == "hang":
            time.sleep(fault.seconds)
            self.close_connection = True
            return
        if fault is not None and fault.kind == "drop":
            self.close_connection = True  # the server closes the socket without an answer
            return
        if fault is not None and fault.kind in ("fail", "invalid_json"):
            self._send(_fault_response(fault))
            return
        response = self._dispatch(request)
        if fault is not None and fault.kind == "apply_then_fail":
            response = _fault_response(fault)
        self._send(response)

    def _read(self) -> Request:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        return Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )

    def _dispatch(self, request: Request) -> Response:
        try:
            self.credentials.check(dict(request.headers))
            handler, groups = ROUTER.find(request.method, request.path)
            with self.state.lock:
                request.user = self.state.token_user
                return handler(self.state, request, **groups)
        except ApiError as error:
            return Response(error.status, error.body(), error.headers)
        except Exception as bug:  # a fake bug must reach the test as a loud 500, not a hang
            crash = ApiError(500, f"fake tracker bug: {bug!r}")
            return Response(500, crash.body())

    def _send(self, response: Response) -> None:
        data = response.encode()
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its timeout fired)


def _fault_response(fault: Fault) -> Response:
    if fault.kind == "invalid_json":
        html = b"<html><body>502 Bad Gateway</body></html>"
        return Response(200, raw=html, content_type="text/html")
    error = ApiError(fault.status, _REASONS.get(fault.status, "Injected failure"))
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    return Response(fault.status, error.body(), headers)


# 429 is not in the Tracker docs (yandex-cloud/docs#807); the body follows the standard error
# format and Retry-After follows slavkluev/go-yandex-tracker (TRACKER-API.md §5).
_REASONS = {
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def handler_for(
    state: TrackerState, faults: FaultPlan, credentials: Credentials
) -> type[TrackerHandler]:
    """A handler class bound to one fake's state."""
    attributes = {
        "state": state,
        "faults": faults,
        "credentials": credentials,
        "connections": set(),
        "connections_lock": threading.Lock(),
    }
    return type("FakeTrackerHandler", (TrackerHandler,), attributes)


def close_connections(handler: type[TrackerHandler]) -> None:
    """Shut open keep-alive sockets so their handler threads end and nothing leaks."""
    with handler.connections_lock:
        open_sockets = list(handler.connections)
    for sock in open_sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
