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
    """How an intake target is counted."""

    CALENDAR_HOURS = "calendar_hours"  # wall-clock hours, nights and holidays too (R10 "сутки")
    WORKING_HOURS = "working_hours"  # hours of the working calendar
    WORKING_DAYS = "working_days"  # same time of day on the n-th working day (R17)


class TerminalReply(StrEnum):
    """R20: what a reply to a finished request does."""

    REJECT = "reject"  # not added; the requester is told to file a new request quoting the key
    NEW_LINKED = "new_linked"  # becomes a new request linked to the old one
    REOPEN = "reopen"  # added as a comment and the request is reopened


_TERMINAL_REPLY_DEFAULTS: Mapping[Status, TerminalReply] = {
    s: TerminalReply.REJECT for s in Status if s.is_terminal
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

    # R10 / R17: intake targets
    high_priorities: frozenset[str] = frozenset({"blocker", "critical"})
    high_intake: int = 72
    high_intake_unit: ClockUnit = ClockUnit.CALENDAR_HOURS
    normal_intake: int = 14
    normal_intake_unit: ClockUnit = ClockUnit.WORKING_DAYS
    # The intake clock counts support's own time from registration and is met when the issue
    # first enters one of these (terminal statuses always end it). The default reads R10 with
    # R14: time "awaiting testing" is subtracted, so the clock must run through the work and stop
    # when the customer accepts the change. {"in_progress"} measures taking into work only.
    intake_done: frozenset[Status] = frozenset({Status.VERIFIED, Status.TRANSFER_TO_PRODUCTION})
    # pre-breach warnings: at this share of the clock used, and at this much working time left
    warn_fraction: float = 0.75
    warn_before: timedelta = timedelta(hours=1)
    # outside working hours only high-priority breaches are sent; the rest wait for the opening
    quiet_outside_hours: bool = True
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
        if self.high_intake <= 0 or self.normal_intake <= 0 or self.silence_days <= 0:
            raise ValueError("clock targets must be positive")
        if any(d <= 0 or d >= self.silence_days for d in self.silence_reminders):
            raise ValueError("silence reminders must fall inside the silence period")
        for status in self.terminal_reply:
            if not status.is_terminal:
                raise ValueError(f"terminal_reply names a status that is not terminal: {status}")

    @cached_property
    def intake_stops(self) -> frozenset[Status]:
        """Statuses that end the intake clock: ``intake_done`` and every terminal one (R16)."""
        return self.intake_done | TERMINAL_STATUSES

    def is_high(self, priority: str) -> bool:
        return priority in self.high_priorities

    def reply_to_terminal(self, status: Status) -> TerminalReply:
        return self.terminal_reply.get(status, TerminalReply.REJECT)
