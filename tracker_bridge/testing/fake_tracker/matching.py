"""Which issues a query or a JSON filter selects, and in which order (docs
search-issues.md, user/query-filter.md; TRACKER-API.md §4).

Zone-less date literals are read in ``settings.query_tz`` (default UTC) because the real zone is
unverified (TRACKER-API.md §4 "Time zone trap"); tests can pin either behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from tracker_bridge.testing.fake_tracker import catalog
from tracker_bridge.testing.fake_tracker.query import And, Condition, Literal, Node, Or, Term
from tracker_bridge.testing.fake_tracker.records import IssueRecord
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState

__all__ = ["check_query", "filter_matches", "matches", "sort_issues"]

_DATES = {
    "updated": "updated_at",
    "updatedat": "updated_at",
    "created": "created_at",
    "createdat": "created_at",
    "resolved": "resolved_at",
    "resolvedat": "resolved_at",
    "last comment": "last_comment_updated_at",
    "lastcommentupdatedat": "last_comment_updated_at",
    "status start time": "status_start_time",
    "statusstarttime": "status_start_time",
    "deadline": "deadline",
}
_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def _names(state: TrackerState, issue: IssueRecord, field: str) -> list[str] | None:
    """The comparable texts of a non-date field (key and display name), None if unknown."""

    def entry_names(entries: tuple[catalog.Entry, ...], key: str | None) -> list[str]:
        return [n for e in entries if e.key == key for n in (e.key, e.name, str(e.id))]

    def users(uids: list[str | None]) -> list[str]:
        found = [state.users[u] for u in uids if u]
        return [n for u in found for n in (u.uid, u.login, u.display)]

    status = state.status(issue.status)
    table: dict[str, Callable[[], list[str]]] = {
        "queue": lambda: [issue.queue, state.queues[issue.queue].name],
        "key": lambda: [issue.key, issue.id],
        "issue": lambda: [issue.key, issue.id],
        "status": lambda: [status.key, status.name, str(status.id)],
        "resolution": lambda: entry_names(catalog.RESOLUTIONS, issue.resolution),
        "priority": lambda: entry_names(catalog.PRIORITIES, issue.priority),
        "type": lambda: entry_names(catalog.ISSUE_TYPES, issue.type),
        "assignee": lambda: users([issue.assignee]),
        "author": lambda: users([issue.created_by]),
        "createdby": lambda: users([issue.created_by]),
        "updatedby": lambda: users([issue.updated_by]),
        "resolvedby": lambda: users([issue.resolved_by]),
        "followers": lambda: users(list(issue.followers)),
        "tags": lambda: list(issue.tags),
        "components": lambda: list(issue.components),
        "summary": lambda: [issue.summary],
        "description": lambda: [issue.description or ""],
        "unique": lambda: [issue.unique] if issue.unique else [],
        "emailfrom": lambda: [issue.email_from] if issue.email_from else [],
    }
    if field.casefold() in table:
        return [n for n in table[field.casefold()]() if n]
    queue = state.queues[issue.queue]
    local = queue.local_field(field.split(".", 1)[1] if "." in field else field)
    if local is None:
        return None
    value = issue.local.get(local.id)
    return [] if value is None else [str(value)]


_TEXT_FIELDS = frozenset(
    {
        "queue",
        "key",
        "issue",
        "status",
        "resolution",
        "priority",
        "type",
        "assignee",
        "author",
        "createdby",
        "updatedby",
        "resolvedby",
        "followers",
        "tags",
        "components",
        "summary",
        "description",
        "unique",
        "emailfrom",
    }
)


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
            for lit in (term.value, term.upper):
                if lit is not None and lit.function not in ("empty", "notempty"):
                    _interval(state, lit)
        return
    bare = node.field.split(".", 1)[1] if "." in node.field else node.field
    local = any(q.local_field(bare) for q in state.queues.values())
    if field not in _TEXT_FIELDS and not local:
        raise ApiError(400, f"Ошибка в запросе: неизвестное поле {node.field!r}")


def matches(state: TrackerState, issue: IssueRecord, node: Node) -> bool:
    if isinstance(node, And):
        return all(matches(state, issue, part) for part in node.parts)
    if isinstance(node, Or):
        return any(matches(state, issue, part) for part in node.parts)
    return _condition(state, issue, node)


def _condition(state: TrackerState, issue: IssueRecord, cond: Condition) -> bool:
    field = cond.field.casefold()
    if field in _DATES:
        moment = _moment(issue, field)
        return _combine([(t.op == "!", _date_term(state, moment, t)) for t in cond.terms])
    names = _names(state, issue, cond.field)
    if names is None:
        raise ApiError(400, f"Ошибка в запросе: неизвестное поле {cond.field!r}")
    wanted = [(t.op == "!", _text_term(state, names, field, t)) for t in cond.terms]
    return _combine(wanted)


def _combine(results: list[tuple[bool, bool]]) -> bool:
    """Positive terms are OR-ed; a negated term (``!x``) must hold for every negation."""
    positive = [hit for negated, hit in results if not negated]
    negative = [hit for negated, hit in results if negated]
    return (not positive or any(positive)) and all(negative)


def _text_term(state: TrackerState, names: list[str], field: str, term: Term) -> bool:
    if term.op not in ("=", "!"):
        raise ApiError(400, f"Ошибка в запросе: сравнение {term.op} для поля {field}")
    lit = term.value
    if lit.function in ("empty", "unresolved"):
        hit = not names
    elif lit.function == "notempty":
        hit = bool(names)
    elif lit.function == "me":
        hit = state.token_user in names
    elif lit.function is not None:
        raise ApiError(400, f"Ошибка в запросе: функция {lit.text}() не поддерживается")
    elif field in ("summary", "description"):
        hit = any(lit.text.casefold() in n.casefold() for n in names)
    else:
        wanted = lit.text.removesuffix("@").casefold()
        hit = any(wanted == n.casefold() for n in names)
    return hit != (term.op == "!")


def _moment(issue: IssueRecord, field: str) -> datetime | None:
    value = getattr(issue, _DATES[field])
    if isinstance(value, str):  # deadline: a date, compared as that day's midnight UTC
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None


def _date_term(state: TrackerState, moment: datetime | None, term: Term) -> bool:
    fn = term.value.function
    if fn in ("empty", "notempty"):
        return (moment is None) == (fn == "empty") != (term.op == "!")
    if moment is None:
        return term.op == "!"
    start, end = _interval(state, term.value)
    if term.op == "..":
        assert term.upper is not None
        hit = start <= moment < _interval(state, term.upper)[1]
    else:
        hit = {
            "=": start <= moment < end,
            "!": not start <= moment < end,
            ">": moment >= end,
            ">=": moment >= start,
            "<": moment < start,
            "<=": moment < end,
        }[term.op]
    return hit


def _interval(state: TrackerState, lit: Literal) -> tuple[datetime, datetime]:
    """The instant or day a date literal names, as [start, end)."""
    zone = state.settings.query_tz
    if lit.function in ("now", "today"):
        now = state.now().astimezone(zone)
        base = (
            now if lit.function == "now" else now.replace(hour=0, minute=0, second=0, microsecond=0)
        )
        base += _offset(lit.offset)
        return (
            (base, base + timedelta(milliseconds=1))
            if lit.function == "now"
            else (base, base + timedelta(days=1))
        )
    if lit.function is not None:
        raise ApiError(400, f"Ошибка в запросе: функция {lit.text}() не поддерживается")
    return _parse_date(lit.text, zone)


def _offset(text: str) -> timedelta:
    if not text:
        return timedelta()
    sign = -1 if text[0] == "-" else 1
    parts = re.findall(r"(\d+)\s*([wdhms])", text[1:])
    if not parts:
        raise ApiError(400, f"Ошибка в запросе: смещение {text!r}")
    total = sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta())
    return sign * total


def _parse_date(text: str, zone: Any) -> tuple[datetime, datetime]:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed, parsed + timedelta(milliseconds=1)
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
        whole_day = "%H" not in fmt
        return parsed, parsed + (timedelta(days=1) if whole_day else timedelta(seconds=1))
    raise ApiError(400, f"Ошибка в запросе: неверная дата {text!r}")


def filter_matches(state: TrackerState, issue: IssueRecord, spec: Mapping[str, Any]) -> bool:
    """The JSON ``filter``: equality on keys/ids, lists mean OR, ``{"from","to"}`` ranges,
    ``"empty()"``/``"notEmpty()"``; keys whose value is null are ignored (the client sends
    nulls for everything unset)."""
    return all(_filter_one(state, issue, k, v) for k, v in spec.items() if v is not None)


def _filter_one(state: TrackerState, issue: IssueRecord, key: str, value: Any) -> bool:
    field = key.casefold()
    if isinstance(value, dict):
        if field not in _DATES:
            raise ApiError(400, f"Диапазон недопустим для поля {key}")
        moment = _moment(issue, field)
        lower = value.get("from")
        upper = value.get("to")
        zone = state.settings.query_tz
        return moment is not None and (
            (lower is None or moment >= _parse_date(str(lower), zone)[0])
            and (upper is None or moment < _parse_date(str(upper), zone)[1])
        )
    options = value if isinstance(value, list) else [value]
    terms = tuple(Term("=", _filter_literal(str(option))) for option in options)
    return _condition(state, issue, Condition(key, terms))


def _filter_literal(text: str) -> Literal:
    if text.endswith("()"):
        return Literal(text[:-2], function=text[:-2].casefold())
    return Literal(text)


def sort_issues(issues: list[IssueRecord], order: list[tuple[str, bool]]) -> list[IssueRecord]:
    """Stable multi-key sort; without an order, by queue and key number."""
    result = sorted(issues, key=lambda i: (i.queue, int(i.key.rsplit("-", 1)[1])))
    for name, ascending in reversed(order):
        result.sort(key=partial(_sort_value, name=name), reverse=not ascending)
    return result


def _sort_value(issue: IssueRecord, name: str) -> tuple[int, Any]:
    field = name.casefold().lstrip("+-")
    if field in _DATES:
        moment = _moment(issue, field)
        return (0, "") if moment is None else (1, moment.timestamp())
    if field == "key":
        return (1, (issue.queue, int(issue.key.rsplit("-", 1)[1])))
    if field == "priority":
        return (1, next(p.id for p in catalog.PRIORITIES if p.key == issue.priority))
    if field in ("status", "summary", "type", "queue"):
        return (1, str(getattr(issue, field)))
    raise ApiError(400, f"Сортировка по полю {name!r} не поддерживается")
