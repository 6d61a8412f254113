"""Fault knobs: the next N requests to a route fail in a chosen way.

A route is ``"METHOD /path"``: the path is matched whole, without a trailing slash and with
``/v3/`` read as ``/v2/``; ``{name}`` stands for one path segment and ``*`` for anything, and the
method may be ``*``. So ``"POST /v2/issues"`` is issue creation and not ``_search``, and
``"POST /v2/issues/{key}/comments"`` is any comment creation.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

__all__ = ["Fault", "FaultPlan", "normalize_path"]


@dataclass(slots=True)
class Fault:
    """What to do instead of (or after) answering.

    ``kind``: ``fail`` (answer ``status`` without touching state), ``drop`` (close the socket
    with no answer), ``delay`` (wait ``seconds`` of real time, then answer normally),
    ``apply_then_fail`` (make the change, then answer ``status``), ``invalid_json`` (a 200 whose
    body is not JSON, as a proxy error page would be), ``hang`` (wait ``seconds``, then close
    the socket with no answer and no change: a request lost after the client gave up).
    """

    kind: str
    method: str
    pattern: re.Pattern[str]
    remaining: int
    status: int = 500
    retry_after: int | None = None
    seconds: float = 0.0


def normalize_path(path: str) -> str:
    path = path.split("?", 1)[0].rstrip("/") or "/"
    return "/v2/" + path[4:] if path.startswith("/v3/") else path


def _compile(path: str) -> re.Pattern[str]:
    parts = []
    for piece in re.split(r"(\{[^}/]+\}|\*)", normalize_path(path)):
        if piece == "*":
            parts.append(".*")
        elif piece.startswith("{") and piece.endswith("}"):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))


class FaultPlan:
    """Armed faults, consumed in the order they were armed. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def arm(self, kind: str, route: str, times: int = 1, **options: object) -> None:
        method, _, path = route.strip().partition(" ")
        if not path.startswith("/") or times < 1:
            raise ValueError(f"route must look like 'POST /v2/issues' and times >= 1: {route!r}")
        fault = Fault(kind, method.upper(), _compile(path), times)
        for name, value in options.items():
            setattr(fault, name, value)
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if one is armed; uses up one of its ``times``."""
        normal = normalize_path(path)
        with self._lock:
            for fault in self._faults:
                if fault.method in ("*", method) and fault.pattern.fullmatch(normal):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._faults)
