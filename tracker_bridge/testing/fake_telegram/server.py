"""One Bot API request of FakeTelegram: token, method, parameters, faults, limits, log."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tracker_bridge.testing.fake_telegram.api import ApiError, decode_params, resolve_method
from tracker_bridge.testing.fake_telegram.faults import LIMITED_METHODS, FaultScript, RateLimiter
from tracker_bridge.testing.fake_telegram.http import LOST, parse_request
from tracker_bridge.testing.fake_telegram.methods import HANDLERS
from tracker_bridge.testing.fake_telegram.state import ApiCall, World

__all__ = ["BotApi", "is_token"]

JSON = dict[str, Any]
_ANY_TOKEN = re.compile(r"\d+:\S+")


def is_token(token: str) -> bool:
    """Shaped like a bot token: ``<bot id>:<secret>``."""
    return _ANY_TOKEN.fullmatch(token) is not None


class BotApi:
    """Answers requests against a :class:`World`; every call lands in ``world.requests``."""

    def __init__(self, world: World, token: str | None, *, strict: bool) -> None:
        self.world = world
        self.token = token
        self.strict = strict
        self.faults = FaultScript()
        self.limiter: RateLimiter | None = None
        # (method, chat id or None for any) → answers still to lose after carrying it out
        self.lost: dict[tuple[str, int | None], int] = {}
        # told of every call carried out, before its answer is written (a test's kill switch)
        self.on_answer: Callable[[ApiCall], None] | None = None

    def answer(self, path: str, content_type: str, body: bytes) -> tuple[int, JSON]:
        method, params = path, {}
        try:
            route, raw = parse_request(path, content_type, body)
            method = route.method
            self._authorize(route.token)
            method = resolve_method(route.method)
            params = decode_params(method, raw, strict=self.strict)
            result = self._dispatch(method, params)
        except ApiError as error:
            self._record(ApiCall(method, params, False, None, error.code, error.description))
            return error.code, error.payload()
        call = ApiCall(method, params, True, result)
        self._record(call)
        if self.on_answer is not None:
            self.on_answer(call)
        with self.world.lock:
            for key in ((method, params.get("chat_id")), (method, None)):
                if self.lost.get(key, 0) > 0:
                    self.lost[key] -= 1
                    return LOST, {}
        return 200, {"ok": True, "result": result}

    def _authorize(self, token: str) -> None:
        # The API answers 404 for a malformed token and 401 for a well-formed wrong one.
        if not is_token(token):
            raise ApiError(404, "Not Found")
        if self.token is not None and token != self.token:
            raise ApiError(401, "Unauthorized")

    def _dispatch(self, method: str, params: JSON) -> Any:
        with self.world.lock:
            fault = self.faults.take(method)
            if fault is not None:
                raise fault
            if self.limiter is not None and method in LIMITED_METHODS and "chat_id" in params:
                self.limiter.admit(params["chat_id"], self.world.clock.now())
            return HANDLERS[method](self.world, params)

    def _record(self, call: ApiCall) -> None:
        with self.world.lock:
            self.world.requests.append(call)
            self.world.changed.notify_all()
