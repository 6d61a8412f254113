"""The fake Tracker's fixed dictionaries, as data: statuses, the default workflow, priorities,
resolutions, issue types, link types, global and local fields, users.

The default queue's workflow mirrors the regulation (REGULATION.md R13): every logical status of
:class:`~tracker_bridge.regulation.statuses.Status` under its ``DEFAULT_TRACKER_KEYS`` key and its
Russian title, with the transitions a support team really uses. Transition ids are deliberately
not status keys, so code that confuses the two fails against the fake.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracker_bridge.regulation.statuses import DEFAULT_TRACKER_KEYS, Status
from tracker_bridge.tracker.defaults import DEFAULT_FIELD_IDS

__all__ = [
    "DEFAULT_LOCAL_FIELDS",
    "DEFAULT_TRANSITIONS",
    "DEFAULT_USERS",
    "GLOBAL_FIELDS",
    "ISSUE_TYPES",
    "LINK_TYPES",
    "PRIORITIES",
    "RELATIONSHIPS",
    "RESOLUTIONS",
    "STATUSES",
    "Entry",
    "FieldDef",
    "LinkType",
    "StatusDef",
    "TransitionDef",
    "UserDef",
    "Workflow",
    "default_workflow",
]


@dataclass(frozen=True, slots=True)
class Entry:
    """A dictionary entry (priority, resolution, issue type): numeric id, key, display name."""

    id: int
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class StatusDef:
    """A status; ``type`` is Tracker's category: new, inProgress, paused, done or cancelled."""

    id: int
    key: str
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class TransitionDef:
    """A workflow transition: available when the issue's status is in ``sources``.

    ``required``: the fields its screen makes mandatory (a 422 without them). Every transition
    to a done or cancelled status requires ``resolution`` (docs new-transition.md; the standard
    closing screens), whether listed or not. ``resolution`` is a value the workflow itself sets
    (a transition action in the workflow editor) when the caller gives none; the default
    workflow sets none, as a standard one does not.
    """

    id: str
    display: str
    to: str
    sources: frozenset[str]
    resolution: str | None = None
    required: tuple[str, ...] = ()

    def screen(self, target_type: str) -> tuple[str, ...]:
        """The mandatory fields, given the type of the target status."""
        if target_type in ("done", "cancelled") and "resolution" not in self.required:
            return ("resolution", *self.required)
        return self.required


@dataclass(frozen=True, slots=True)
class Workflow:
    """A queue's statuses (by key), its initial status and its transitions."""

    id: str
    name: str
    initial: str
    statuses: tuple[str, ...]
    transitions: tuple[TransitionDef, ...]

    def available(self, status: str) -> list[TransitionDef]:
        return [t for t in self.transitions if status in t.sources]


@dataclass(frozen=True, slots=True)
class FieldDef:
    """A field as ``/v2/fields`` (global) or ``/v2/queues/{key}/localFields`` (local) lists it."""

    id: str
    name: str
    type: str
    items: str | None = None
    readonly: bool = False


@dataclass(frozen=True, slots=True)
class LinkType:
    """A link type; the source issue sees ``outward``, the other one ``inward``."""

    id: str
    inward: str
    outward: str


@dataclass(frozen=True, slots=True)
class UserDef:
    uid: int
    login: str
    first_name: str
    last_name: str
    email: str = field(default="")


_K = DEFAULT_TRACKER_KEYS
_TYPES: dict[Status, str] = {
    Status.OPEN: "new",
    Status.IN_PROGRESS: "inProgress",
    Status.REOPENED: "new",
    Status.AWAITING_TESTING: "paused",
    Status.VERIFIED: "inProgress",
    Status.ERROR_FOUND: "inProgress",
    Status.TRANSFER_TO_PRODUCTION: "inProgress",
    Status.INFO_REQUESTED: "paused",
    Status.CLOSED: "done",
    Status.COMPLETED: "done",
    Status.DUPLICATE: "cancelled",
    Status.INFEASIBLE: "cancelled",
    Status.CANCELLED: "cancelled",
    Status.CLOSED_NO_RESPONSE: "done",
}

STATUSES: tuple[StatusDef, ...] = tuple(
    StatusDef(i, _K[s], s.title_ru, _TYPES[s]) for i, s in enumerate(Status, start=1)
)

_OPEN_LIKE = frozenset({_K[Status.OPEN], _K[Status.IN_PROGRESS], _K[Status.REOPENED]})
_NOT_TERMINAL = frozenset(_K[s] for s in Status if not s.is_terminal)
_TERMINAL = frozenset(_K[s] for s in Status if s.is_terminal)
_NEED_INFO = _K[Status.INFO_REQUESTED]
_TESTING = _K[Status.AWAITING_TESTING]
_ERROR = _K[Status.ERROR_FOUND]
_VERIFIED = _K[Status.VERIFIED]
_PROD = _K[Status.TRANSFER_TO_PRODUCTION]

# The default workflow (SUP). Read a row as: transition `id` moves an issue from any of `sources`
# to `to`.
DEFAULT_TRANSITIONS: tuple[TransitionDef, ...] = (
    TransitionDef(
        "start_progress",
        "Взять в работу",
        _K[Status.IN_PROGRESS],
        frozenset({_K[Status.OPEN], _K[Status.REOPENED], _ERROR, _NEED_INFO, _TESTING}),
    ),
    TransitionDef("request_info", "Запросить информацию", _NEED_INFO, _OPEN_LIKE | {_ERROR}),
    TransitionDef(
        "send_to_testing",
        "Передать на тестирование клиенту",
        _TESTING,
        frozenset({_K[Status.IN_PROGRESS], _ERROR}),
    ),
    TransitionDef("verified", "Проверено, ошибок нет", _VERIFIED, frozenset({_TESTING})),
    TransitionDef("error_found", "Найдена ошибка", _ERROR, frozenset({_TESTING, _VERIFIED, _PROD})),
    TransitionDef(
        "transfer_to_production", "Перенести на основную среду", _PROD, frozenset({_VERIFIED})
    ),
    TransitionDef(
        "complete",
        "Завершить",
        _K[Status.COMPLETED],
        frozenset({_PROD, _VERIFIED, _K[Status.IN_PROGRESS]}),
    ),
    TransitionDef("close", "Закрыть", _K[Status.CLOSED], _NOT_TERMINAL),
    TransitionDef(
        "close_no_response",
        "Закрыть из-за отсутствия ответа",
        _K[Status.CLOSED_NO_RESPONSE],
        frozenset({_NEED_INFO, _TESTING}),
    ),
    TransitionDef(
        "mark_duplicate",
        "Дубликат",
        _K[Status.DUPLICATE],
        _OPEN_LIKE | {_NEED_INFO},
    ),
    TransitionDef(
        "mark_infeasible",
        "Невыполнимо",
        _K[Status.INFEASIBLE],
        _OPEN_LIKE | {_NEED_INFO, _ERROR},
    ),
    TransitionDef(
        "cancel",
        "Отменить в связи с невозможностью выполнения",
        _K[Status.CANCELLED],
        _OPEN_LIKE | {_NEED_INFO, _TESTING, _ERROR},
    ),
    TransitionDef("reopen", "Открыть повторно", _K[Status.REOPENED], _TERMINAL),
)

PRIORITIES: tuple[Entry, ...] = (
    Entry(1, "trivial", "Незначительный"),
    Entry(2, "minor", "Низкий"),
    Entry(3, "normal", "Средний"),
    Entry(4, "critical", "Критичный"),
    Entry(5, "blocker", "Блокер"),
)

RESOLUTIONS: tuple[Entry, ...] = (
    Entry(1, "fixed", "Решён"),
    Entry(2, "wontFix", "Не будет исправлено"),
    Entry(3, "duplicate", "Дубликат"),
    Entry(4, "infeasible", "Невыполнимо"),
    Entry(5, "noResponse", "Нет ответа"),
    Entry(6, "infrastructure", "Проблема инфраструктуры"),
    Entry(7, "cantReproduce", "Не воспроизводится"),
)

ISSUE_TYPES: tuple[Entry, ...] = (
    Entry(1, "bug", "Ошибка"),
    Entry(2, "task", "Задача"),
    Entry(3, "newFeature", "Новая возможность"),
    Entry(4, "improvement", "Улучшение"),
)

LINK_TYPES: tuple[LinkType, ...] = (
    LinkType("relates", "relates", "relates"),
    LinkType("depends", "is dependent by", "depends on"),
    LinkType("subtask", "is subtask for", "is parent task for"),
    LinkType("duplicates", "is duplicated by", "duplicates"),
    LinkType("epic", "has epic", "is epic of"),
)

# `relationship` in POST …/links → (link type id, direction as seen from the source issue).
RELATIONSHIPS: dict[str, tuple[str, str]] = {
    **{t.outward: (t.id, "outward") for t in LINK_TYPES},
    **{t.inward: (t.id, "inward") for t in LINK_TYPES},
}

# Every standard field the client may read (docs get-global-fields.md; client Issues.fields builds
# its defaults from this list, so a missing id makes `issue.<id>` raise AttributeError).
GLOBAL_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("key", "Ключ", "string", readonly=True),
    FieldDef("id", "ID", "string", readonly=True),
    FieldDef("version", "Версия", "integer", readonly=True),
    FieldDef("summary", "Задача", "string"),
    FieldDef("description", "Описание", "string"),
    FieldDef("unique", "Уникальный ключ", "string", readonly=True),
    FieldDef("queue", "Очередь", "queue", readonly=True),
    FieldDef("type", "Тип", "issuetype"),
    FieldDef("status", "Статус", "status", readonly=True),
    FieldDef("previousStatus", "Предыдущий статус", "status", readonly=True),
    FieldDef("statusStartTime", "Начало статуса", "datetime", readonly=True),
    FieldDef("resolution", "Резолюция", "resolution", readonly=True),
    FieldDef("resolvedAt", "Дата решения", "datetime", readonly=True),
    FieldDef("resolvedBy", "Решил", "user", readonly=True),
    FieldDef("priority", "Приоритет", "priority"),
    FieldDef("assignee", "Исполнитель", "user"),
    FieldDef("createdBy", "Автор", "user", readonly=True),
    FieldDef("updatedBy", "Изменил", "user", readonly=True),
    FieldDef("createdAt", "Создано", "datetime", readonly=True),
    FieldDef("updatedAt", "Обновлено", "datetime", readonly=True),
    FieldDef("followers", "Наблюдатели", "array", items="user"),
    FieldDef("tags", "Теги", "array", items="string"),
    FieldDef("components", "Компоненты", "array", items="component"),
    FieldDef("deadline", "Дедлайн", "date"),
    FieldDef("parent", "Родительская задача", "issue"),
    FieldDef("lastCommentUpdatedAt", "Последний комментарий", "datetime", readonly=True),
    FieldDef("emailFrom", "Email от", "string"),
    FieldDef("emailTo", "Email кому", "array", items="string"),
    FieldDef("emailCc", "Email копия", "array", items="string"),
    FieldDef("emailCreatedBy", "Создано по письму на адрес", "string"),
    FieldDef("aliases", "Алиасы", "array", items="string", readonly=True),
    FieldDef("votes", "Голоса", "integer", readonly=True),
    FieldDef("favorite", "Избранное", "boolean", readonly=True),
)

# Local fields of the default queue, set up as docs/operations.md asks (their ids:
# DEFAULT_FIELD_IDS); on issues they appear as `<queue hex id>--<id>`.
_IDS = DEFAULT_FIELD_IDS
DEFAULT_LOCAL_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(_IDS["department"], "Отделение", "string"),
    FieldDef(_IDS["login"], "Логин", "string"),
    FieldDef(_IDS["card_number"], "Номер карты", "string"),
    FieldDef(_IDS["history_number"], "Номер истории болезни", "string"),
    FieldDef(_IDS["record_name"], "Запись", "string"),
    FieldDef(_IDS["button_name"], "Кнопка", "string"),
    FieldDef(_IDS["requester"], "Email заявителя", "string"),
    FieldDef(_IDS["customer_priority"], "Приоритет заказчика", "string"),
    # The precise execution deadline (R17): Tracker's own `deadline` is only a date.
    FieldDef(_IDS["deadline"], "Срок исполнения", "datetime"),
    # R10: the reaction deadline of high priorities, and the mail's arrival the clocks start at.
    FieldDef(_IDS["reaction_deadline"], "Срок взятия в работу", "datetime"),
    FieldDef(_IDS["arrived_at"], "Письмо получено", "datetime"),
)

DEFAULT_USERS: tuple[UserDef, ...] = (
    UserDef(1120000000000001, "robot-tracker-bridge", "Tracker", "Bridge", "robot@example.org"),
    UserDef(1120000000000002, "ivanov", "Иван", "Иванов", "ivanov@example.org"),
    UserDef(1120000000000003, "petrova", "Мария", "Петрова", "petrova@example.org"),
)


def default_workflow() -> Workflow:
    """The regulation's workflow (R13), as the default queue uses it."""
    return Workflow(
        id="regulationWorkflow",
        name="Регламент поддержки",
        initial=DEFAULT_TRACKER_KEYS[Status.OPEN],
        statuses=tuple(s.key for s in STATUSES),
        transitions=DEFAULT_TRANSITIONS,
    )
