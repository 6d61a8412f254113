"""``_search`` and ``_count``: selection, paging and scroll (docs search-issues.md,
count-issues.md, common-format.md "Paginated result output", search-release.md).

Paged mode is recomputed per request (no snapshot) and capped at ``settings.max_search_results``
(10,000; yandex_tracker_client#13); the ``Link`` header carries ``first``, ``next`` (while more
remain) and ``seek`` with both ``X-Total-*`` headers, which the client turns into a
``SeekablePaginatedList``. Scroll mode freezes the result at the first call.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from tracker_bridge.testing.fake_tracker.matching import check_query, matches, sort_issues
from tracker_bridge.testing.fake_tracker.query import parse_query
from tracker_bridge.testing.fake_tracker.records import IssueRecord, ScrollRecord
from tracker_bridge.testing.fake_tracker.render import issue_json
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState

__all__ = ["Page", "count", "search"]

Page = tuple[list[dict[str, Any]], dict[str, str]]
# what the bridge never sends (docs/tracker.md): a 400, not a guess at what Tracker would do
_UNSUPPORTED = ("queue", "filter", "filterId", "order")


def select(state: TrackerState, body: Mapping[str, Any]) -> list[IssueRecord]:
    """The issues a search body names (``keys`` or ``query``), in the order Tracker returns them."""
    for name in _UNSUPPORTED:
        if body.get(name) is not None:
            raise ApiError(400, f"{name} is not supported by the fake Tracker: send a query")
    if body.get("keys") is not None and body.get("query") is not None:
        raise ApiError(400, "You can only use keys, a queue, or a search query")
    issues = list(state.issues.values())
    if body.get("keys") is not None:
        keys = body["keys"] if isinstance(body["keys"], list) else [body["keys"]]
        return [state.issues[k] for k in map(str, keys) if k in state.issues]
    parsed = parse_query(str(body.get("query") or ""))
    where = parsed.where
    if where is not None:
        check_query(state, where)
    chosen = [i for i in issues if where is None or matches(state, i, where)]
    return sort_issues(chosen, list(parsed.sort))


def count(state: TrackerState, body: Mapping[str, Any]) -> int:
    """POST /v2/issues/_count: a bare integer, not capped (docs count-issues.md)."""
    return len(select(state, body))


def search(state: TrackerState, body: Mapping[str, Any], params: Mapping[str, str]) -> Page:
    """POST /v2/issues/_search, paged or scrolled."""
    if "scrollId" in params:
        return _scroll_next(state, params)
    if "scrollType" in params:
        if body.get("keys") is not None:
            raise ApiError(400, "Scroll is not supported for queue or keys")
        return _scroll_start(state, body, params)
    return _paged(state, select(state, body), params)


def _int(params: Mapping[str, str], name: str, default: int, top: int) -> int:
    try:
        value = int(params.get(name, default))
    except ValueError:
        raise ApiError(400, f"Неверное значение параметра {name}") from None
    if not 1 <= value <= top:
        raise ApiError(400, f"Параметр {name} вне диапазона 1..{top}")
    return value


def _link(state: TrackerState, params: Mapping[str, str], **changes: Any) -> str:
    query = {**params, **{k: str(v) for k, v in changes.items()}}
    return f"{state.base_url}/v2/issues/_search?{urlencode(query)}"


def _paged(state: TrackerState, found: list[IssueRecord], params: Mapping[str, str]) -> Page:
    per_page = _int(params, "perPage", 50, 10_000)
    page = _int(params, "page", 1, 1_000_000)
    total = min(len(found), state.settings.max_search_results)
    pages = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    items = found[start : min(start + per_page, total)]
    expand = params.get("expand", "")
    rest = {k: v for k, v in params.items() if k not in ("page", "perPage")}
    rest_query = urlencode(rest)
    seek = f"{state.base_url}/v2/issues/_search?perPage={per_page}{{&page}}"
    if rest_query:
        seek = f"{state.base_url}/v2/issues/_search?perPage={per_page}&{rest_query}{{&page}}"
    links = [f'<{_link(state, rest, perPage=per_page, page=1)}>; rel="first"']
    if page < pages:
        links.append(f'<{_link(state, rest, perPage=per_page, page=page + 1)}>; rel="next"')
    links.append(f'<{seek}>; rel="seek"')
    headers = {
        "X-Total-Count": str(total),
        "X-Total-Pages": str(pages),
        "Link": ", ".join(links),
    }
    return [issue_json(state, i, expand) for i in items], headers


def _scroll_start(state: TrackerState, body: Mapping[str, Any], params: Mapping[str, str]) -> Page:
    if params["scrollType"] not in ("sorted", "unsorted"):
        raise ApiError(400, "scrollType must be sorted or unsorted")
    found = select(state, body)
    ttl = _int(params, "scrollTTLMillis", 60_000, 24 * 3600 * 1000)
    record = ScrollRecord(
        id=secrets.token_hex(12),
        token=secrets.token_hex(16),
        items=[issue_json(state, i, params.get("expand", "")) for i in found],
        per_scroll=_int(params, "perScroll", 100, 1000),
        position=0,
        expires_at=state.now() + timedelta(milliseconds=ttl),
        ttl_ms=ttl,
    )
    state.scrolls[record.id] = record
    return _scroll_page(state, record, params)


def _scroll_next(state: TrackerState, params: Mapping[str, str]) -> Page:
    record = state.scrolls.get(params["scrollId"])
    if record is None or record.expires_at < state.now():
        state.scrolls.pop(params["scrollId"], None)
        raise ApiError(404, "Scroll context not found or expired")
    if params.get("scrollToken") not in (None, record.token):
        raise ApiError(400, "Invalid scrollToken")
    return _scroll_page(state, record, params)


def _scroll_page(state: TrackerState, record: ScrollRecord, params: Mapping[str, str]) -> Page:
    items = record.items[record.position : record.position + record.per_scroll]
    record.position += len(items)
    record.expires_at = state.now() + timedelta(milliseconds=record.ttl_ms)
    headers = {
        "X-Scroll-Id": record.id,
        "X-Scroll-Token": record.token,
        "X-Total-Count": str(len(record.items)),
    }
    keep = {k: v for k, v in params.items() if k in ("expand", "perScroll", "scrollTTLMillis")}
    links = [f'<{_link(state, keep, scrollType="sorted")}>; rel="first"']
    if record.position < len(record.items):
        after = _link(state, keep, scrollId=record.id, scrollToken=record.token)
        links.append(f'<{after}>; rel="next"')
    headers["Link"] = ", ".join(links)
    return items, headers
