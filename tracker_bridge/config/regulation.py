"""Config sections that feed the functional core: customers, policy, statuses, calendar.

Each section converts to the core's own type (:class:`Customer`, :class:`Policy`,
:class:`StatusMap`, the keyword arguments of ``WorkCalendar.default``); defaults are read from the
core types themselves, so an empty section means the regulation's own choices.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    Field,
    PrivateAttr,
    model_validator,
)

from tracker_bridge.config.decree_file import load_decrees
from tracker_bridge.config.types import (
    Address,
    Domain,
    Duration,
    Loc,
    Names,
    NonEmpty,
    Section,
    SortedSet,
    _duration,
    refuse,
)
from tracker_bridge.regulation.calendar import DEFAULT_TIMEZONE, WorkCalendar
from tracker_bridge.regulation.model import Customer
from tracker_bridge.regulation.policy import ClockUnit, Policy, TerminalReply
from tracker_bridge.regulation.production_calendar import SpecialDays
from tracker_bridge.regulation.statuses import DEFAULT_TRACKER_KEYS, Status, StatusMap

__all__ = ["CalendarSettings", "CustomerSettings", "RegulationSettings", "StatusSettings"]

Statuses = Annotated[frozenset[Status], SortedSet]
_POLICY = Policy()  # a plain value: the regulation's defaults, read once
_QUEUE = re.compile(r"[A-Z][A-Z0-9]*")
_LANGUAGE = re.compile(r"[a-z]{2}")


def _queue(value: str) -> str:
    if not _QUEUE.fullmatch(value.strip()):
        raise ValueError(f"{value!r} is not a Tracker queue key (Latin capitals, e.g. SUPPORT)")
    return value.strip()


def _language(value: str) -> str:
    if not _LANGUAGE.fullmatch(value):
        raise ValueError(f"{value!r} is not a two-letter language code (ru, en)")
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone (e.g. Europe/Moscow)") from None
    return value


def _local_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("give a local time without offset: the zone is calendar.timezone")
    return value


class CustomerSettings(Section):
    """One clinic (R2): its intake addresses, who may write and confirm, where requests go."""

    name: NonEmpty
    intake_addresses: tuple[Address, ...]
    allowed_senders: tuple[Address, ...] = ()
    allowed_domains: tuple[Domain, ...] = ()
    confirmers: tuple[Address, ...] = ()
    queue: Annotated[str, AfterValidator(_queue)]
    component: NonEmpty | None = None
    tag: NonEmpty | None = None
    telegram_chat_id: int | None = None
    departments: tuple[NonEmpty, ...] = ()
    language: Annotated[str, AfterValidator(_language)] = "ru"

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        # Checked here, not with min_length: pydantic would also say "empty" when one is invalid.
        problems: list[tuple[Loc, str]] = []
        if not self.intake_addresses:
            problems.append((("intake_addresses",), "give at least one address"))
        if not self.allowed_senders and not self.allowed_domains:
            message = "set allowed_senders or allowed_domains: as it is, nobody may file requests"
            problems.append((("allowed_senders",), message))
        refuse("customer", problems)
        return self

    def to_core(self) -> Customer:
        return Customer(
            name=self.name,
            intake_addresses=frozenset(self.intake_addresses),
            queue=self.queue,
            allowed_senders=frozenset(self.allowed_senders),
            allowed_domains=frozenset(self.allowed_domains),
            confirmers=frozenset(self.confirmers),
            component=self.component,
            tag=self.tag,
            telegram_chat_id=self.telegram_chat_id,
            departments=self.departments,
            language=self.language,
        )


class RegulationSettings(Section):
    """Every :class:`Policy` knob but ``urgent_priorities``, which lives under [telegram]."""

    high_priorities: Names = _POLICY.high_priorities
    # The single "intake" clock's keys of earlier versions are read as the clock they meant.
    high_reaction: int = Field(
        default=_POLICY.high_reaction,
        gt=0,
        validation_alias=AliasChoices("high_reaction", "high_intake"),
    )
    high_reaction_unit: ClockUnit = Field(
        default=_POLICY.high_reaction_unit,
        validation_alias=AliasChoices("high_reaction_unit", "high_intake_unit"),
    )
    high_execution: int = Field(default=_POLICY.high_execution, gt=0)
    high_execution_unit: ClockUnit = _POLICY.high_execution_unit
    normal_execution: int = Field(
        default=_POLICY.normal_execution,
        gt=0,
        validation_alias=AliasChoices("normal_execution", "normal_intake"),
    )
    normal_execution_unit: ClockUnit = Field(
        default=_POLICY.normal_execution_unit,
        validation_alias=AliasChoices("normal_execution_unit", "normal_intake_unit"),
    )
    execution_done: Statuses = Field(
        default=_POLICY.execution_done,
        validation_alias=AliasChoices("execution_done", "intake_done"),
    )
    warn_fraction: float = Field(default=_POLICY.warn_fraction, gt=0, lt=1)
    warn_before: Duration = _POLICY.warn_before
    quiet_outside_hours: bool = _POLICY.quiet_outside_hours
    quiet_urgent_breaches: bool = _POLICY.quiet_urgent_breaches
    notify_taken_into_work: bool = _POLICY.notify_taken_into_work
    silence_days: int = Field(default=_POLICY.silence_days, gt=0)
    silence_reminders: tuple[int, ...] = _POLICY.silence_reminders
    no_response_resolution: NonEmpty | None = _POLICY.no_response_resolution
    notify_statuses: Statuses = _POLICY.notify_statuses
    enhancement_types: Names = _POLICY.enhancement_types
    enhancement_tags: Names = _POLICY.enhancement_tags
    infrastructure_resolutions: Names = _POLICY.infrastructure_resolutions
    infrastructure_tags: Names = _POLICY.infrastructure_tags
    confirm_phrases: tuple[NonEmpty, ...] = _POLICY.confirm_phrases
    error_phrases: tuple[NonEmpty, ...] = _POLICY.error_phrases
    terminal_reply: dict[Status, TerminalReply] = Field(
        default_factory=lambda: dict(_POLICY.terminal_reply)
    )
    auto_answers_per_day: int = Field(default=_POLICY.auto_answers_per_day, ge=0)
    priority_markers: dict[NonEmpty, NonEmpty] = Field(
        default_factory=lambda: dict(_POLICY.priority_markers)
    )
    default_priority: NonEmpty = _POLICY.default_priority
    default_issue_type: NonEmpty = _POLICY.default_issue_type

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems: list[tuple[Loc, str]] = [
            (("silence_reminders",), f"{days} is not inside the {self.silence_days}-day period")
            for days in self.silence_reminders
            if not 0 < days < self.silence_days
        ]
        problems += [
            (("terminal_reply", status.value), "not a terminal status (R20 is about those only)")
            for status in self.terminal_reply
            if not status.is_terminal
        ]
        refuse("regulation", problems)
        return self

    def to_policy(self, urgent_priorities: frozenset[str]) -> Policy:
        values = dict(self)
        values["terminal_reply"] = {**_POLICY.terminal_reply, **self.terminal_reply}
        return Policy(**values, urgent_priorities=urgent_priorities)


TrackerKey = NonEmpty


class StatusSettings(Section):
    """R13: the Tracker status key of each regulation status; ``aliases`` adds extra keys."""

    open: TrackerKey = DEFAULT_TRACKER_KEYS[Status.OPEN]
    in_progress: TrackerKey = DEFAULT_TRACKER_KEYS[Status.IN_PROGRESS]
    reopened: TrackerKey = DEFAULT_TRACKER_KEYS[Status.REOPENED]
    awaiting_testing: TrackerKey = DEFAULT_TRACKER_KEYS[Status.AWAITING_TESTING]
    verified: TrackerKey = DEFAULT_TRACKER_KEYS[Status.VERIFIED]
    error_found: TrackerKey = DEFAULT_TRACKER_KEYS[Status.ERROR_FOUND]
    transfer_to_production: TrackerKey = DEFAULT_TRACKER_KEYS[Status.TRANSFER_TO_PRODUCTION]
    info_requested: TrackerKey = DEFAULT_TRACKER_KEYS[Status.INFO_REQUESTED]
    closed: TrackerKey = DEFAULT_TRACKER_KEYS[Status.CLOSED]
    completed: TrackerKey = DEFAULT_TRACKER_KEYS[Status.COMPLETED]
    duplicate: TrackerKey = DEFAULT_TRACKER_KEYS[Status.DUPLICATE]
    infeasible: TrackerKey = DEFAULT_TRACKER_KEYS[Status.INFEASIBLE]
    cancelled: TrackerKey = DEFAULT_TRACKER_KEYS[Status.CANCELLED]
    closed_no_response: TrackerKey = DEFAULT_TRACKER_KEYS[Status.CLOSED_NO_RESPONSE]
    aliases: dict[NonEmpty, Status] = Field(default_factory=dict)  # extra Tracker key → status

    @model_validator(mode="after")
    def _one_status_per_key(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        owner: dict[str, Status] = {}
        for status, key in self.to_tracker().items():
            if key in owner:
                problems.append(((status.value,), f"{key!r} is already the key of {owner[key]}"))
            owner.setdefault(key, status)
        problems += [
            (("aliases", key), f"{key!r} is already the key of {owner[key]}")
            for key in self.aliases
            if key in owner
        ]
        refuse("statuses", problems)
        return self

    def to_tracker(self) -> dict[Status, str]:
        return {status: getattr(self, status.value) for status in Status}

    def to_status_map(self) -> StatusMap:
        return StatusMap(to_tracker=self.to_tracker(), aliases=dict(self.aliases))


LocalTime = Annotated[time, AfterValidator(_local_time)]


class CalendarSettings(Section):
    """R6 working calendar overrides: the Russian production calendar is the base."""

    timezone: Annotated[str, AfterValidator(_zone)] = DEFAULT_TIMEZONE
    opens: LocalTime = time(10)
    closes: LocalTime = time(18)
    extra_days_off: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()
    shortened_days: tuple[date, ...] | None = None  # None: the Labour Code's pre-holiday days
    unshortened_days: tuple[date, ...] = ()
    # Decrees newer than the installed holidays package (tracker_bridge.config.decree_file).
    decree_file: Path | None = None
    # How long before the data's end `check`, the log, /healthz and the metric start to warn.
    warn_days_ahead: int = Field(default=90, ge=1, le=366)
    _decrees: dict[int, SpecialDays] = PrivateAttr(default_factory=dict)
    # Readings of R6 the text leaves open (docs/regulation.md, "Settings that change a reading")
    transferred_saturdays: bool = True
    shortened_by: Annotated[timedelta, BeforeValidator(_duration)] = timedelta(hours=1)

    @model_validator(mode="after")
    def _sensible(self) -> Self:
        problems: list[tuple[Loc, str]] = []
        if self.opens >= self.closes:
            problems.append((("opens",), f"{self.opens} is not earlier than closes {self.closes}"))
        if not timedelta(0) <= self.shortened_by < timedelta(hours=4):
            problems.append((("shortened_by",), "must be between 0 and 4 hours"))
        problems += [
            (("extra_working_days",), f"{day} is also listed in extra_days_off")
            for day in sorted(set(self.extra_days_off) & set(self.extra_working_days))
        ]
        if self.decree_file is not None:
            try:
                self._decrees = load_decrees(self.decree_file)
            except ValueError as exc:
                problems.append((("decree_file",), str(exc)))
        refuse("calendar", problems)
        return self

    def to_calendar(self) -> WorkCalendar:
        """The working calendar these settings describe (the production calendar, overridden)."""
        return WorkCalendar.default(
            timezone=self.timezone,
            opens=self.opens,
            closes=self.closes,
            extra_days_off=self.extra_days_off,
            extra_working_days=self.extra_working_days,
            shortened_days=self.shortened_days,
            unshortened_days=self.unshortened_days,
            decrees=dict(self._decrees),
            transferred_saturdays=self.transferred_saturdays,
            shortened_by=self.shortened_by,
        )
