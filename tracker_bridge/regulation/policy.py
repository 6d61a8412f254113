"""The regulation's tunable numbers and phrases, as one frozen value.

Defaults are the regulation's own choices (REGULATION.md); config overrides them. The core takes a
:class:`Policy` as an argument and never reads config itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from functools import cached_property

from tracker_bridge.regulation.statuses import TERMINAL_STATUSES, Status

__all__ = ["ClockUnit", "Policy", "TerminalReply"]


class ClockUnit(StrEnum):
    """How a clock's target is counted."""

    CALENDAR_HOURS = "calendar_hours"  # wall-clock hours, nights and holidays too (R10 "сутки")
    WORKING_HOURS = "working_hours"  # hours of the working calendar
    WORKING_DAYS = "working_days"  # same time of day on the n-th working day (R17)


class TerminalReply(StrEnum):
    """R20: what a reply to a finished request does."""

    REJECT = "reject"  # not added; the requester is told to file a new request quoting the key
    NEW_LINKED = "new_linked"  # becomes a new request linked to the old one
    REOPEN = "reopen"  # added as a comment and the request is reopened


# R20 names «Завершено», «Дубликат», «Отменено…», «Невыполнимо», «Закрыто из-за отсутствия
# ответа»; plain «Закрыто» is not in its list, and the status table says "Закрытые задачи можно
# вновь открыть" («Открыто повторно»): a reply reopens it (docs/regulation.md, "Settings that
# change a reading").
_TERMINAL_REPLY_DEFAULTS: Mapping[Status, TerminalReply] = {
    **{s: TerminalReply.REJECT for s in Status if s.is_terminal},
    Status.CLOSED: TerminalReply.REOPEN,
}

DEFAULT_CONFIRM_PHRASES: tuple[str, ...] = (
    "проверено, ошибок нет",
    "проверено ошибок нет",
    "ошибок нет",
    "ошибок не обнаружено",
    "ошибок не выявлено",
    "проверили, все работает",
    "проверили, всё работает",
    "все работает",
    "всё работает",
    "работает корректно",
    "работает как надо",
    "работает как положено",
    "замечаний нет",
    "замечаний не выявлено",
    "замечаний не обнаружено",
    "все ок",
    "всё ок",
    "проблема решена",
    "тестирование прошло успешно",
    "можно переносить",
    "можно переносить на основную",
    "подтверждаю",
    "checked, no errors",
    "works fine",
    "confirmed",
)

DEFAULT_ERROR_PHRASES: tuple[str, ...] = (
    "найдена ошибка",
    "нашли ошибку",
    "ошибка",
    "не работает",
    "не исправлено",
    "не исправлена",
    "проблема осталась",
    "проблема сохраняется",
    "не получается",
    "нужна доработка",
    "требуется доработка",
    "still broken",
    "does not work",
    "doesn't work",
    "error",
)


@dataclass(frozen=True)
class Policy:
    """Every regulation knob, with the regulation's defaults."""

    # R10: the reaction clock of high priorities: from the mail's arrival until a person first
    # takes the request into work ("принимаются в работу … не позднее 3-х суток"); "сутки" are
    # wall-clock hours. Other priorities have no reaction term in the text, hence no such clock.
    high_priorities: frozenset[str] = frozenset({"blocker", "critical"})
    high_reaction: int = 72
    high_reaction_unit: ClockUnit = ClockUnit.CALENDAR_HOURS
    # R17 with R10/R14: the execution clock ("срок исполнения"), from arrival to the accepted
    # solution, the time waiting for the customer (R14) subtracted. Non-critical requests may be
    # deferred up to 14 working days; the text gives high priorities no longer term, and a
    # request "принимаются в работу ежедневно" may not wait longer than one that may be
    # deferred, so they get the same ceiling by default (docs/regulation.md).
    high_execution: int = 14
    high_execution_unit: ClockUnit = ClockUnit.WORKING_DAYS
    normal_execution: int = 14
    normal_execution_unit: ClockUnit = ClockUnit.WORKING_DAYS
    # The execution clock ends when the issue first enters one of these (terminal statuses
    # always end it): the customer accepted the change (R15) — "awaiting testing" only pauses it.
    execution_done: frozenset[Status] = frozenset({Status.VERIFIED, Status.TRANSFER_TO_PRODUCTION})
    # pre-breach warnings: at this share of the clock used, and at this much working time left
    warn_fraction: float = 0.75
    warn_before: timedelta = timedelta(hours=1)
    # outside working hours only high-priority breaches are sent; the rest wait for the opening
    quiet_outside_hours: bool = True
    # R6 vs R10: a 72-hour deadline runs through nights and holidays; its breach is still told
    # at once (false) or waits for the opening like the rest (true). docs/regulation.md,
    # "Settings that change a reading".
    quiet_urgent_breaches: bool = False
    # R19: silence clock
    silence_days: int = 10
    silence_reminders: tuple[int, ...] = (3, 1)
    no_response_resolution: str | None = None  # set it if the workflow wants one to close
    # R12: the statuses the requester is told about (registration is acknowledged by triage)
    notify_statuses: frozenset[Status] = frozenset(
        {
            Status.INFO_REQUESTED,
            Status.AWAITING_TESTING,
            Status.ERROR_FOUND,
            Status.TRANSFER_TO_PRODUCTION,
            *(s for s in Status if s.is_terminal),
        }
    )
    # R12 "о каждом событии … пользователь получает уведомление": the requester is told when a
    # person takes the request into work (never for the bridge's own move after an answer)
    notify_taken_into_work: bool = True
    # R18: no clock for enhancements
    enhancement_types: frozenset[str] = frozenset({"improvement", "newFeature"})
    enhancement_tags: frozenset[str] = frozenset({"enhancement", "доработка"})
    # R4: infrastructure trouble on the customer's side
    infrastructure_resolutions: frozenset[str] = frozenset({"infrastructure"})
    infrastructure_tags: frozenset[str] = frozenset({"infrastructure", "инфраструктура"})
    # R15: how a reply to "awaiting testing" is read
    confirm_phrases: tuple[str, ...] = DEFAULT_CONFIRM_PHRASES
    error_phrases: tuple[str, ...] = DEFAULT_ERROR_PHRASES
    # R20
    terminal_reply: Mapping[Status, TerminalReply] = field(
        default_factory=lambda: dict(_TERMINAL_REPLY_DEFAULTS)
    )
    # at most this many automatic answers to one sender per day (loop guard)
    auto_answers_per_day: int = 10
    # R5: which priorities get a live Telegram card
    urgent_priorities: frozenset[str] = frozenset({"blocker", "critical"})
    # R9: subject markers → priority
    priority_markers: Mapping[str, str] = field(
        default_factory=lambda: {
            "срочно": "critical",
            "критично": "blocker",
            "блокер": "blocker",
            "urgent": "critical",
            "asap": "critical",
        }
    )
    default_priority: str = "normal"
    default_issue_type: str = "task"

    def __post_init__(self) -> None:
        if not 0 < self.warn_fraction < 1:
            raise ValueError("warn_fraction must be between 0 and 1")
        targets = (self.high_reaction, self.high_execution, self.normal_execution)
        if min(targets) <= 0 or self.silence_days <= 0:
            raise ValueError("clock targets must be positive")
        if any(d <= 0 or d >= self.silence_days for d in self.silence_reminders):
            raise ValueError("silence reminders must fall inside the silence period")
        for status in self.terminal_reply:
            if not status.is_terminal:
                raise ValueError(f"terminal_reply names a status that is not terminal: {status}")

    @cached_property
    def execution_stops(self) -> frozenset[Status]:
        """Statuses that end the execution clock: ``execution_done`` and every terminal one
        (R16)."""
        return self.execution_done | TERMINAL_STATUSES

    def is_high(self, priority: str) -> bool:
        return priority in self.high_priorities

    def reply_to_terminal(self, status: Status) -> TerminalReply:
        return self.terminal_reply.get(status, TerminalReply.REJECT)
