"""The logical statuses of the regulation (R13) and what each means for the clocks (R14, R16).

Tracker queues name their statuses freely; config maps each logical status below to the key a
queue really uses (:class:`StatusMap`). The core only ever speaks in logical statuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "DEFAULT_TRACKER_KEYS",
    "PAUSED_STATUSES",
    "TERMINAL_STATUSES",
    "Category",
    "Status",
    "StatusMap",
    "UnknownStatusError",
]


class Category(StrEnum):
    """What a status means for the regulation's clocks."""

    ACTIVE = "active"  # support's turn: clocks run
    PAUSED = "paused"  # waiting for the customer (R14): clocks stop, the silence clock runs (R19)
    TERMINAL = "terminal"  # done (R16): every clock ends; replies are ignored (R20)


class Status(StrEnum):
    """Every status the regulation names (R13), with its Russian title and category."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    REOPENED = "reopened"
    AWAITING_TESTING = "awaiting_testing"
    VERIFIED = "verified"
    ERROR_FOUND = "error_found"
    TRANSFER_TO_PRODUCTION = "transfer_to_production"
    INFO_REQUESTED = "info_requested"
    CLOSED = "closed"
    COMPLETED = "completed"
    DUPLICATE = "duplicate"
    INFEASIBLE = "infeasible"
    CANCELLED = "cancelled"
    CLOSED_NO_RESPONSE = "closed_no_response"

    @property
    def title_ru(self) -> str:
        """The name the regulation gives this status."""
        return _TITLES[self]

    @property
    def category(self) -> Category:
        return _CATEGORIES[self]

    @property
    def is_paused(self) -> bool:
        return self.category is Category.PAUSED

    @property
    def is_terminal(self) -> bool:
        return self.category is Category.TERMINAL

    @property
    def is_active(self) -> bool:
        return self.category is Category.ACTIVE


_TITLES: dict[Status, str] = {
    Status.OPEN: "Открыто",
    Status.IN_PROGRESS: "В работе",
    Status.REOPENED: "Открыто повторно",
    Status.AWAITING_TESTING: "Ожидание тестирования клиентом",
    Status.VERIFIED: "Проверено, ошибок нет",
    Status.ERROR_FOUND: "Найдена ошибка",
    Status.TRANSFER_TO_PRODUCTION: "Перенос на основную среду",
    Status.INFO_REQUESTED: "Запрошена дополнительная информация",
    Status.CLOSED: "Закрыто",
    Status.COMPLETED: "Завершено",
    Status.DUPLICATE: "Дубликат",
    Status.INFEASIBLE: "Невыполнимо",
    Status.CANCELLED: "Отменено в связи с невозможностью выполнения",
    Status.CLOSED_NO_RESPONSE: "Закрыто из-за отсутствия ответа",
}

_PAUSED = {Status.AWAITING_TESTING, Status.INFO_REQUESTED}
_TERMINAL = {
    Status.CLOSED,
    Status.COMPLETED,
    Status.DUPLICATE,
    Status.INFEASIBLE,
    Status.CANCELLED,
    Status.CLOSED_NO_RESPONSE,
}
PAUSED_STATUSES: frozenset[Status] = frozenset(_PAUSED)
TERMINAL_STATUSES: frozenset[Status] = frozenset(_TERMINAL)

_CATEGORIES: dict[Status, Category] = {
    s: Category.PAUSED if s in _PAUSED else Category.TERMINAL if s in _TERMINAL else Category.ACTIVE
    for s in Status
}

# Tracker's own keys for the statuses it ships, and invented camelCase keys for the rest; a queue
# set up with these needs no mapping in config.
DEFAULT_TRACKER_KEYS: Mapping[Status, str] = {
    Status.OPEN: "open",
    Status.IN_PROGRESS: "inProgress",
    Status.REOPENED: "reopened",
    Status.AWAITING_TESTING: "awaitingTesting",
    Status.VERIFIED: "verifiedNoErrors",
    Status.ERROR_FOUND: "errorFound",
    Status.TRANSFER_TO_PRODUCTION: "transferToProduction",
    Status.INFO_REQUESTED: "needInfo",
    Status.CLOSED: "closed",
    Status.COMPLETED: "resolved",
    Status.DUPLICATE: "duplicate",
    Status.INFEASIBLE: "infeasible",
    Status.CANCELLED: "cancelled",
    Status.CLOSED_NO_RESPONSE: "closedNoResponse",
}


class UnknownStatusError(ValueError):
    """A Tracker status key that no logical status is mapped to."""

    def __init__(self, tracker_key: str) -> None:
        super().__init__(
            f"Tracker status {tracker_key!r} is not mapped to any regulation status; "
            "add it under [statuses] in the config"
        )
        self.tracker_key = tracker_key


@dataclass(frozen=True)
class StatusMap:
    """Logical status ↔ Tracker status key, both ways.

    Several Tracker keys may map to one logical status (``aliases``), so a queue with an extra
    "closed" status of its own can still be read; the first key is the one the bridge writes.
    """

    to_tracker: Mapping[Status, str] = field(default_factory=lambda: dict(DEFAULT_TRACKER_KEYS))
    aliases: Mapping[str, Status] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [s.value for s in Status if s not in self.to_tracker]
        if missing:
            raise ValueError(f"statuses without a Tracker key: {', '.join(missing)}")
        seen: dict[str, Status] = {}
        for status, key in self.to_tracker.items():
            if key in seen:
                raise ValueError(
                    f"Tracker status {key!r} is mapped to both {seen[key].value!r} "
                    f"and {status.value!r}"
                )
            seen[key] = status

    def tracker_key(self, status: Status) -> str:
        return self.to_tracker[status]

    def logical(self, tracker_key: str) -> Status:
        """The logical status for a Tracker key; :class:`UnknownStatusError` if unmapped."""
        for status, key in self.to_tracker.items():
            if key == tracker_key:
                return status
        try:
            return self.aliases[tracker_key]
        except KeyError:
            raise UnknownStatusError(tracker_key) from None
