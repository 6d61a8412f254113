"""Writing issue fields from a request body (docs create-issue.md, patch-issue.md).

Values may name things by key, id or ``{"key"|"id"|"login": …}``; array fields take a plain value
or the operations ``{"add"|"remove"|"set"|"replace": …}``; ``null`` clears. Unknown fields and
read-only ones are rejected with 422 so that a typo in the daemon fails loudly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from tracker_bridge.testing.fake_tracker import catalog
from tracker_bridge.testing.fake_tracker.records import IssueRecord
from tracker_bridge.testing.fake_tracker.state import ApiError, TrackerState, entry

__all__ = ["READONLY", "apply_fields"]

READONLY = frozenset(f.id for f in catalog.GLOBAL_FIELDS if f.readonly) | {"self"}


def _text(_state: TrackerState, value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise ApiError(422, f"Ожидалась строка, получено {value!r}")
    return value


def _user(state: TrackerState, value: Any) -> str | None:
    return None if value is None else state.user(value).uid


def _issue(state: TrackerState, value: Any) -> str | None:
    if value is None:
        return None
    ref = value.get("key") or value.get("id") if isinstance(value, dict) else value
    try:
        return state.issue(str(ref)).key
    except ApiError:
        raise ApiError(
            422, f"Задача {ref!r} не существует", errors={"parent": "not found"}
        ) from None


def _date(_state: TrackerState, value: Any) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ApiError(422, f"Неверная дата {value!r}", errors={"deadline": "YYYY-MM-DD"}) from None


def _entry(entries: tuple[catalog.Entry, ...], what: str) -> Callable[[TrackerState, Any], Any]:
    def convert(_state: TrackerState, value: Any) -> str:
        return entry(entries, value, what).key

    return convert


# field id → (record attribute, converter of one value, is an array)
_WRITABLE: dict[str, tuple[str, Callable[[TrackerState, Any], Any], bool]] = {
    "summary": ("summary", _text, False),
    "description": ("description", _text, False),
    "type": ("type", _entry(catalog.ISSUE_TYPES, "type"), False),
    "priority": ("priority", _entry(catalog.PRIORITIES, "priority"), False),
    "assignee": ("assignee", _user, False),
    "followers": ("followers", _user, True),
    "tags": ("tags", _text, True),
    "components": ("components", _text, True),
    "deadline": ("deadline", _date, False),
    "parent": ("parent", _issue, False),
    "emailFrom": ("email_from", _text, False),
    "emailTo": ("email_to", _text, True),
    "emailCc": ("email_cc", _text, True),
    "emailCreatedBy": ("email_created_by", _text, False),
}


def apply_fields(state: TrackerState, issue: IssueRecord, body: Mapping[str, Any]) -> list[str]:
    """Set every field in ``body`` on ``issue``; returns the field ids written.

    Validates everything before writing anything, so a rejected request changes nothing.
    """
    planned: list[tuple[str, str | None, Any]] = []
    for name, value in body.items():
        planned.append(_plan(state, issue, name, value))
    for field_id, attribute, value in planned:
        if attribute is None:
            issue.local[field_id] = value
        else:
            setattr(issue, attribute, value)
    return [field_id for field_id, _, _ in planned]


def _plan(
    state: TrackerState, issue: IssueRecord, name: str, value: Any
) -> tuple[str, str | None, Any]:
    if name == "status":
        raise ApiError(422, "Статус можно изменить только переходом", errors={"status": "readonly"})
    if name in READONLY:
        raise ApiError(422, f"Поле {name} только для чтения", errors={name: "readonly"})
    if name in _WRITABLE:
        attribute, convert, is_array = _WRITABLE[name]
        if is_array:
            return name, attribute, _array(state, getattr(issue, attribute), value, convert)
        return name, attribute, convert(state, value)
    local = state.queues[issue.queue].local_field(name)
    if local is None:
        raise ApiError(422, f"Поле {name} не существует", errors={name: "unknown field"})
    if value is not None and not isinstance(value, str | int | float):
        raise ApiError(422, f"Неверное значение поля {name}", errors={name: "invalid"})
    return local.id, None, value


def _array(
    state: TrackerState, current: list[Any], value: Any, convert: Callable[[TrackerState, Any], Any]
) -> list[Any]:
    def many(items: Any) -> list[Any]:
        items = items if isinstance(items, list) else [items]
        return [convert(state, item) for item in items]

    if value is None:
        return []
    if not isinstance(value, dict) or not ({"add", "remove", "set", "replace"} & value.keys()):
        return many(value)
    result = many(value["set"]) if "set" in value else list(current)
    for item in many(value.get("add", [])):
        if item not in result:
            result.append(item)
    removed = many(value.get("remove", []))
    result = [item for item in result if item not in removed]
    for pair in value.get("replace", []):
        target, replacement = convert(state, pair["target"]), convert(state, pair["replacement"])
        result = [replacement if item == target else item for item in result]
    return result
