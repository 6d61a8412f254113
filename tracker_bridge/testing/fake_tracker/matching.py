"""Which issues a query selects, and in which order (docs search-issues.md,
user/query-filter.md; TRACKER-API.md §4).

Only the fields the bridge queries: ``Queue``, ``Key``, and the dates ``Updated``, ``Created``
and ``"Last comment"`` (docs/tracker.md); any other is a 400. Zone-less date literals are read in
``settings.query_tz`` (default UTC) because the real zone is unverified (TRACKER-API.md §4 "Time
zone trap"); tests can pin either behaviour.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from tracker_bridge.testing.fake_tracker.query import And, Condition, Node, Or, Term
from tracker_bridge.testing.fake_tracker.records import IssueRecord
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState

__all__ = ["check_query", "matches", "sort_issues"]

_DATES = {
    "updated": "updated_at",
    "created": "created_at",
    "last comment": "last_comment_updated_at",
}
_TEXTS = ("queue", "key")
# what the bridge writes ("YYYY-MM-DD HH:MM:SS", sla-report's "YYYY-MM-DD"); ISO with an offset
# is read by fromisoformat first
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def check_query(state: TrackerState, node: Node) -> None:
    """Reject unknown fields and bad dates up front, even when no issue would be tested."""
    if isinstance(node, And | Or):
        for part in node.parts:
            check_query(state, part)
        return
    field = node.field.casefold()
    if field == "last comment" and state.settings.last_comment_query == "rejected":
        raise ApiError(400, f"Ошибка в запросе: неизвестное поле {node.field!r}")
    if field in _DATES:
        for term in node.terms:
            for text in (term.value, term.upper):
                if text is not None:
                    _interval(state, text)
    elif field not in _TEXTS:
        raise ApiError(400, f"Ошибка в запросе: неизвестное поле {node.field!r}")


def matches(state: TrackerState, issue: IssueRecord, node: Node) -> bool:
    if isinstance(node, And):
        return all(matches(state, issue, part) for part in node.parts)
    if isinstance(node, Or):
        return any(matches(state, issue, part) for part in node.parts)
    return any(_term(state, issue, node, term) for term in node.terms)


def _term(state: TrackerState, issue: IssueRecord, cond: Condition, term: Term) -> bool:
    field = cond.field.casefold()
    if field in _DATES:
        moment = getattr(issue, _DATES[field])
        return moment is not None and _date_term(state, moment, term)
    if term.op != "=":
        raise ApiError(400, f"Ошибка в запросе: сравнение {term.op} для поля {cond.field}")
    names = [issue.queue, state.queues[issue.queue].name] if field == "queue" else [issue.key]
    return term.value.casefold() in (n.casefold() for n in names)


def _date_term(state: TrackerState, moment: datetime, term: Term) -> bool:
    start, end = _interval(state, term.value)
    if term.op == "..":
        assert term.upper is not None
        return start <= moment < _interval(state, term.upper)[1]
    return {
        "=": start <= moment < end,
        ">": moment >= end,
        ">=": moment >= start,
        "<": moment < start,
        "<=": moment < end,
    }[term.op]


def _interval(state: TrackerState, text: str) -> tuple[datetime, datetime]:
    """The instant or day a date literal names, as [start, end)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed, parsed + timedelta(milliseconds=1)
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).replace(tzinfo=state.settings.query_tz)
        except ValueError:
            continue
        whole_day = "%H" not in fmt
        return parsed, parsed + (timedelta(days=1) if whole_day else timedelta(seconds=1))
    raise ApiError(400, f"Ошибка в запросе: неверная дата {text!r}")


def sort_issues(issues: list[IssueRecord], order: list[tuple[str, bool]]) -> list[IssueRecord]:
    """Stable multi-key sort; without an order, by queue and key number."""
    result = sorted(issues, key=_key_order)
    for name, ascending in reversed(order):
        result.sort(key=partial(_sort_value, name=name), reverse=not ascending)
    return result


def _key_order(issue: IssueRecord) -> tuple[str, int]:
    return issue.queue, int(issue.key.rsplit("-", 1)[1])


def _sort_value(issue: IssueRecord, name: str) -> tuple[int, Any]:
    field = name.casefold()
    if field in _DATES:
        moment = getattr(issue, _DATES[field])
        return (0, "") if moment is None else (1, moment.timestamp())
    if field == "key":
        return (1, _key_order(issue))
    raise ApiError(400, f"Сортировка по полю {name!r} не поддерживается")
