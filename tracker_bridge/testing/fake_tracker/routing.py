"""Request/response values, the route table, and the paging helpers routes share."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState

__all__ = ["ROUTER", "Request", "Response", "Router", "cursor_page"]

T = TypeVar("T")


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    user: str = ""

    @property
    def params(self) -> dict[str, str]:
        return {k: v[-1] for k, v in self.query.items()}

    def json(self) -> dict[str, Any]:
        """The JSON body; absent or empty counts as ``{}`` (``_findByUnique`` sends none)."""
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except ValueError:
            raise ApiError(400, "Тело запроса не является JSON") from None
        if not isinstance(value, dict):
            raise ApiError(400, "Ожидался JSON-объект")
        return value

    def if_match(self, honour_header: bool = True) -> str | None:
        """The expected version from ``?version=`` (docs patch-issue.md) or, when honoured
        (the ``if_match`` switch: unverified, TRACKER-API.md §3), ``If-Match: "<v>"``."""
        if "version" in self.params:
            return self.params["version"]
        header = next((v for k, v in self.headers.items() if k.lower() == "if-match"), None)
        if header is not None and honour_header:
            return header.strip().removeprefix("W/").strip('"')
        return None


@dataclass(slots=True)
class Response:
    status: int = 200
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json; charset=UTF-8"

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.payload is None:
            return b""
        return json.dumps(self.payload, ensure_ascii=False).encode("utf-8")


Handler = Callable[..., Response]


class Router:
    """``(method, path regex) → handler``; both ``/v2`` and ``/v3`` and an optional trailing
    slash match (TRACKER-API.md §8.1)."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(
        self, method: str, pattern: str, versions: str = "23"
    ) -> Callable[[Handler], Handler]:
        """``versions``: the API versions the docs put this path under ("3" for the v3-only
        workflow pages; any other version is a 404 there)."""
        regex = re.compile(rf"/v[{versions}]" + pattern + r"/?")

        def register(handler: Handler) -> Handler:
            self.routes.append((method, regex, handler))
            return handler

        return register

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        allowed = False
        for route_method, regex, handler in self.routes:
            match = regex.fullmatch(path)
            if match:
                if route_method == method:
                    return handler, match.groupdict()
                allowed = True
        if allowed:
            raise ApiError(405, f"Метод {method} не поддерживается для {path}")
        raise ApiError(404, f"Ресурс {path} не найден")


def _per_page(params: Mapping[str, str], default: int = 50) -> int:
    try:
        value = int(params.get("perPage", default))
    except ValueError:
        raise ApiError(400, "Неверное значение perPage") from None
    if not 1 <= value <= 1000:
        raise ApiError(400, "perPage вне диапазона 1..1000")
    return value


def cursor_page(
    state: TrackerState,
    items: Sequence[T],
    id_of: Callable[[T], str],
    params: Mapping[str, str],
    path: str,
) -> tuple[list[T], dict[str, str]]:
    """Cursor paging: ``id`` = the last id seen, ``perPage`` (default 50); ``Link`` has
    ``rel="first"`` and, while more remain, ``rel="next"`` (docs get-changelog.md)."""
    per_page = _per_page(params)
    start = 0
    if "id" in params:
        ids = [id_of(i) for i in items]
        if params["id"] not in ids:
            raise ApiError(400, f"Неизвестный id курсора {params['id']!r}")
        start = ids.index(params["id"]) + 1
    page = list(items[start : start + per_page])
    rest = {k: v for k, v in params.items() if k not in ("id", "perPage")}
    first = urlencode({**rest, "perPage": per_page})
    links = [f'<{state.base_url}{path}?{first}>; rel="first"']
    if start + per_page < len(items) and page:
        after = urlencode({**rest, "id": id_of(page[-1]), "perPage": per_page})
        links.append(f'<{state.base_url}{path}?{after}>; rel="next"')
    return page, {"Link": ", ".join(links)}


# The one route table; the routes_* modules register on it when imported.
ROUTER = Router()
