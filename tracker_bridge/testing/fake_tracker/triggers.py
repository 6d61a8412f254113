"""Triggers in the fake Tracker: stored per queue, and run on issue events as Tracker runs them.

What each part follows:

* the trigger object, its ``conditions`` and ``actions`` — docs concepts/queues/create-trigger.md,
  get-trigger.md, change-trigger.md (``PATCH …?version=``), change-trigger-conditions.md and
  change-trigger-actions.md (the ``Webhook`` action: ``endpoint``, ``method``, ``contentType``,
  ``headers``, ``authContext``, ``body``);
* when a trigger fires — docs user/trigger.md: on issue events, triggers of the issue's queue in
  list order; events ``Event.create``, ``Event.update``, ``Event.comment-create``
  (change-trigger-conditions.md "Events"), the condition tree of ``And``/``Or`` objects (an array
  at the top means all of them, change-trigger.md "Trigger conditions");
* the HTTP request — docs user/set-action.md "HTTP request": the method, the full URL, the
  authorisation (NoAuth, Basic with login and password, OAuth 2.0 with header, token type and
  token, sent in their own headers), the body with ``{{issue.<field>}}`` variables (user/vars.md)
  filled from the issue, and the headers;
* the secrets of ``authContext`` on read-back — not documented (set-action.md only says saved
  *variables* are hidden): the switch ``secrets_readable`` offers both, hidden by default;
* delivery timing and loss — not documented: a switch for the delay (uniform in
  ``delay``, real seconds, as Tracker calls from its own servers) and one for the share of calls
  lost (``loss``), plus :meth:`TriggerRunner.lose_next` for a test that needs one lost for sure.

A condition type the fake does not evaluate is refused when the trigger is saved (422), so a
test cannot believe a trigger works that the fake would never fire.
"""

from __future__ import annotations

import base64
import contextlib
import heapq
import json
import random
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from tracker_bridge.testing.fake_tracker.records import ChangelogRecord
from tracker_bridge.testing.fake_tracker.render import field_value, issue_json, queue_ref
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState

__all__ = ["HIDDEN", "TriggerCall", "TriggerRecord", "TriggerRunner", "validate"]

HIDDEN = "********"
EVENTS = {"IssueCreated": "Event.create", "IssueCommentAdded": "Event.comment-create"}
_EVENT_TYPES = frozenset({"Event.create", "Event.update", "Event.comment-create"})
_FIELD_TYPES = frozenset({"FieldChangedCondition", "FieldEquals", "FieldBecameEqual"})
_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})
_AUTH_TYPES = frozenset({"noauth", "basic", "oauth"})
_SECRET_KEYS = ("password", "accessToken")
_VARIABLE = re.compile(r"\{\{\s*issue\.([A-Za-z0-9_]+)\s*\}\}")


@dataclass
class TriggerRecord:
    id: int
    queue: str
    name: str
    actions: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    active: bool = True
    version: int = 1
    order: str = "0.0001"

    def to_json(self, state: TrackerState, *, secrets_readable: bool) -> dict[str, Any]:
        """docs get-trigger.md; actions carry their ``id`` (1, 2, …)."""
        actions = []
        for number, action in enumerate(self.actions, start=1):
            shown = {**action, "id": number}
            auth = action.get("authContext")
            if isinstance(auth, dict) and not secrets_readable:
                shown["authContext"] = {
                    k: HIDDEN if k in _SECRET_KEYS else v for k, v in auth.items()
                }
            actions.append(shown)
        return {
            "id": self.id,
            "self": f"{state.base_url}/v2/queues/{self.queue}/triggers/{self.id}",
            "queue": queue_ref(state, state.queues[self.queue]),
            "name": self.name,
            "order": self.order,
            "actions": actions,
            "conditions": self.conditions,
            "version": self.version,
            "active": self.active,
        }


@dataclass(frozen=True)
class TriggerCall:
    """One HTTP request a trigger made (or would have made, when ``lost``)."""

    trigger: int
    issue: str
    event: str
    url: str
    at: datetime  # the fake's clock when the event happened
    sent_after: float  # real seconds between the event and the request
    status: int | None = None  # the receiver's answer; None when lost or unreachable
    lost: bool = False
    error: str = ""


def validate(body: dict[str, Any], *, partial: bool = False) -> None:
    """422 for a trigger the docs would not accept or the fake could not run."""
    if not partial and not str(body.get("name") or "").strip():
        raise ApiError(422, "Не задано имя триггера", errors={"name": "required"})
    actions = body.get("actions")
    if actions is not None or not partial:
        if not isinstance(actions, list) or not actions:
            raise ApiError(422, "Нужно хотя бы одно действие", errors={"actions": "required"})
        for action in actions:
            _validate_action(action)
    conditions = body.get("conditions")
    if conditions is not None:
        if not isinstance(conditions, list):
            raise ApiError(422, "conditions: ожидался массив", errors={"conditions": "array"})
        for condition in conditions:
            _validate_condition(condition)


def _validate_action(action: Any) -> None:
    if not isinstance(action, dict) or not action.get("type"):
        raise ApiError(422, "Действие без типа", errors={"actions": "type"})
    if action["type"] != "Webhook":
        return  # stored as given; the fake runs only HTTP requests
    if not str(action.get("endpoint") or "").startswith(("http://", "https://")):
        raise ApiError(422, "Webhook: неверный endpoint", errors={"endpoint": "url"})
    if str(action.get("method", "")).upper() not in _METHODS:
        raise ApiError(422, "Webhook: неверный method", errors={"method": "GET|POST|PUT|DELETE"})
    auth = action.get("authContext") or {"type": "noauth"}
    if not isinstance(auth, dict) or str(auth.get("type", "")).lower() not in _AUTH_TYPES:
        raise ApiError(422, "Webhook: неверный authContext", errors={"authContext": "type"})


def _validate_condition(condition: Any) -> None:
    if not isinstance(condition, dict):
        raise ApiError(422, "Условие должно быть объектом", errors={"conditions": "object"})
    kind = str(condition.get("type", ""))
    if kind.lower() in ("and", "or"):
        for inner in condition.get("conditions") or []:
            _validate_condition(inner)
    elif kind not in _EVENT_TYPES | _FIELD_TYPES:
        raise ApiError(
            422,
            f"Фейк не умеет проверять условие {kind!r}",
            errors={"conditions": f"{kind}: not evaluated by the fake"},
        )


def _event_of(record: ChangelogRecord) -> str:
    return EVENTS.get(record.type, "Event.update")


def _ref_text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("key") or value.get("id") or value.get("display") or "")
    return "" if value is None else str(value)


def _matches(condition: dict[str, Any], event: str, record: ChangelogRecord) -> bool:
    kind = str(condition.get("type", ""))
    if kind.lower() in ("and", "or"):
        inner = [_matches(c, event, record) for c in condition.get("conditions") or []]
        return any(inner) if kind.lower() == "or" else all(inner)
    if kind in _EVENT_TYPES:
        return kind == event
    changes = {c.field: c for c in record.fields}
    change = changes.get(str(condition.get("field", "")))
    if kind == "FieldChangedCondition":
        return change is not None
    if kind == "FieldBecameEqual":
        return change is not None and _ref_text(change.after) == str(condition.get("value"))
    return False  # FieldEquals needs the issue: not used by the bridge's trigger


def fires(trigger: TriggerRecord, record: ChangelogRecord) -> bool:
    """Whether ``trigger`` fires for the event behind ``record`` (top-level array: all)."""
    event = _event_of(record)
    return trigger.active and all(_matches(c, event, record) for c in trigger.conditions)


def fill(template: str, state: TrackerState, issue_key: str) -> str:
    """``{{issue.<field>}}`` replaced by the field's value (a reference by its key or id)."""
    issue = state.issues[issue_key]
    shown = issue_json(state, issue)  # every field as the API shows it: key, id, version, …

    def value(match: re.Match[str]) -> str:
        name = match[1]
        return _ref_text(shown[name] if name in shown else field_value(state, issue, name))

    return _VARIABLE.sub(value, template)


def _auth_headers(auth: dict[str, Any]) -> dict[str, str]:
    kind = str(auth.get("type", "noauth")).lower()
    if kind == "basic":
        pair = f"{auth.get('login', '')}:{auth.get('password', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    if kind == "oauth":
        header = str(auth.get("headerName") or "Authorization")
        return {header: f"{auth.get('tokenType') or 'Bearer'} {auth.get('accessToken', '')}"}
    return {}


@dataclass(order=True)
class _Pending:
    due: float
    seq: int
    trigger: int = field(compare=False)
    queue: str = field(compare=False)
    issue: str = field(compare=False)
    event: str = field(compare=False)
    at: datetime = field(compare=False)
    created: float = field(compare=False)
    lost: bool = field(compare=False)


class TriggerRunner:
    """Fires the triggers of a fake's queues on its changelog entries, from its own thread."""

    def __init__(
        self,
        state: TrackerState,
        *,
        delay: tuple[float, float] = (0.02, 0.15),
        loss: float = 0.0,
        seed: int = 15,
        timeout: float = 5.0,
    ) -> None:
        self.state = state
        self.delay, self.loss, self.timeout = delay, loss, timeout
        self.calls: list[TriggerCall] = []
        self._random = random.Random(seed)  # noqa: S311 - test timing, not security
        self._lose_next = 0
        self._queue: list[_Pending] = []
        self._seq = 0
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    # --- the record and the switches ------------------------------------------------------------
    def lose_next(self, times: int = 1) -> None:
        """The next ``times`` calls are lost on the way (recorded with ``lost=True``)."""
        with self._cv:
            self._lose_next += times

    @property
    def in_flight(self) -> int:
        with self._cv:
            return len(self._queue)

    # --- from the routes and operations, under the state's lock ------------------------------
    def on_change(self, record: ChangelogRecord) -> None:
        issue = self.state.issues.get(record.issue)
        if issue is None:
            return
        book = self.state.triggers.get(issue.queue, [])
        fired = [t for t in book if fires(t, record) and _webhooks(t)]
        if not fired:
            return
        event, now = _event_of(record), time.monotonic()
        with self._cv:
            for trigger in fired:
                lost = self._lose_next > 0 or self._random.random() < self.loss
                self._lose_next = max(0, self._lose_next - 1)
                due = now + self._random.uniform(*self.delay)
                self._seq += 1
                item = _Pending(
                    due, self._seq, trigger.id, issue.queue, record.issue, event,
                    record.updated_at, now, lost,
                )  # fmt: skip
                heapq.heappush(self._queue, item)
            self._cv.notify()

    # --- the sending thread -----------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fake-triggers", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stopping and (
                    not self._queue or self._queue[0].due > time.monotonic()
                ):
                    wait = None if not self._queue else self._queue[0].due - time.monotonic()
                    self._cv.wait(timeout=wait)
                if self._stopping:
                    return
                item = heapq.heappop(self._queue)
            self._deliver(item)

    def _deliver(self, item: _Pending) -> None:
        with self.state.lock:
            trigger = next(
                (t for t in self.state.triggers.get(item.queue, []) if t.id == item.trigger), None
            )
            actions = [] if trigger is None else _webhooks(trigger)
            requests = [self._request(action, item) for action in actions]
        for url, method, headers, body in requests:
            sent_after = time.monotonic() - item.created
            call = TriggerCall(item.trigger, item.issue, item.event, url, item.at, sent_after)
            if item.lost:
                self._record(replace(call, lost=True))
                continue
            self._record(self._send(call, method, headers, body))

    def _request(
        self, action: dict[str, Any], item: _Pending
    ) -> tuple[str, str, dict[str, str], bytes | None]:
        url = fill(str(action["endpoint"]), self.state, item.issue)
        method = str(action.get("method", "POST")).upper()
        headers = {"Content-Type": str(action.get("contentType") or "application/json")}
        headers.update({str(k): fill(str(v), self.state, item.issue) for k, v in
                        (action.get("headers") or {}).items()})  # fmt: skip
        headers.update(_auth_headers(action.get("authContext") or {}))
        template = action.get("body")
        if template is None or method == "GET":
            return url, method, headers, None
        text = template if isinstance(template, str) else json.dumps(template, ensure_ascii=False)
        return url, method, headers, fill(text, self.state, item.issue).encode()

    def _send(
        self, call: TriggerCall, method: str, headers: dict[str, str], body: bytes | None
    ) -> TriggerCall:
        request = urllib.request.Request(call.url, data=body, method=method, headers=headers)  # noqa: S310 - a test fake calling the URL a test configured
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                answer.read()
                return replace(call, status=answer.status)
        except urllib.error.HTTPError as exc:
            with contextlib.suppress(Exception):
                exc.read()
            exc.close()
            return replace(call, status=exc.code)
        except OSError as exc:
            return replace(call, error=str(exc))

    def _record(self, call: TriggerCall) -> None:
        with self.state.lock:
            self.calls.append(call)


def _webhooks(trigger: TriggerRecord) -> list[dict[str, Any]]:
    return [a for a in trigger.actions if a.get("type") == "Webhook"]
