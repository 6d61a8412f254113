"""HTTP side of FakeTelegram: the request handler, routes and body formats of the Bot API.

Requests are ``/bot<token>/<method>`` with parameters in the query string and/or a body that is
JSON, ``application/x-www-form-urlencoded`` (what python-telegram-bot sends) or
``multipart/form-data`` (its uploads). Every answer is JSON, errors included.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tracker_bridge.testing.fake_telegram.api import ApiError, bad_request

__all__ = ["Route", "handler_class", "parse_request"]

_ROUTE = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)/?")
Answer = Callable[[str, str, bytes], tuple[int, dict[str, Any]]]


class Route:
    """The token and method a request path names (404 for anything else, like the API)."""

    def __init__(self, path: str) -> None:
        parts = urlsplit(path)
        match = _ROUTE.fullmatch(parts.path)
        if match is None:
            raise ApiError(404, "Not Found")
        self.token = match["token"]
        self.method = match["method"]
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))


def parse_request(path: str, content_type: str, body: bytes) -> tuple[Route, dict[str, object]]:
    route = Route(path)
    return route, {**route.query, **_body_params(content_type, body)}


def _body_params(content_type: str, body: bytes) -> dict[str, object]:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if media_type == "application/json":
        return _json_object(body)
    if media_type == "multipart/form-data":
        return _multipart(content_type, body)
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _json_object(body: bytes) -> dict[str, object]:
    try:
        value = json.loads(body)
    except ValueError:
        raise bad_request("can't parse JSON object") from None
    if not isinstance(value, dict):
        raise bad_request("can't parse JSON object")
    return value


def _multipart(content_type: str, body: bytes) -> dict[str, object]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, object] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        # Files are not kept: the fake implements no upload methods.
        if isinstance(name, str) and isinstance(payload, bytes) and part.get_filename() is None:
            fields[name] = payload.decode("utf-8")
    return fields


LOST = 0  # the status of an answer that is never sent (FakeTelegram.lose_answer)


def handler_class(answer: Answer) -> type[BaseHTTPRequestHandler]:
    """A handler class that passes ``(path, content type, body)`` to ``answer``."""

    class BotApiHandler(BaseHTTPRequestHandler):
        server_version = "FakeTelegram/1.0"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = answer(self.path, self.headers.get("Content-Type", ""), body)
            if status == LOST:  # carried out, and the connection cut before the answer
                self.close_connection = True
                return
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away, e.g. a long poll cancelled at shutdown

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request stderr line; tests read ``FakeTelegram.requests``."""

    return BotApiHandler
