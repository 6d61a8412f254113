"""Small pure helpers for Telegram HTML: escaping, clipping, links, times and deadlines.

Every piece of user text (summaries, comments, names) goes through :func:`esc` after
:func:`clip`: clipping first keeps an entity like ``&amp;`` whole, and Telegram counts its
4096-character limit on the parsed text, so the raw length is what must be bounded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.sla import ClockReading, Clocks, ClockState
from tracker_bridge.regulation.titles import PRIORITY_TITLES_RU, RESOLUTION_TITLES_RU

__all__ = [
    "DEFAULT_PRIORITY_TITLES",
    "MAX_MESSAGE",
    "CardSettings",
    "clip",
    "clocks_text",
    "deadline_text",
    "esc",
    "issue_link",
    "left_text",
    "local_time",
    "take_within",
    "visible_len",
]

DEFAULT_PRIORITY_TITLES: Mapping[str, str] = PRIORITY_TITLES_RU
_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units of the parsed text


@dataclass(frozen=True)
class CardSettings:
    """How cards and notices look: where Tracker lives, priority and resolution names, length
    budgets."""

    tracker_url: str = "https://tracker.yandex.ru"
    priority_titles: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_TITLES)
    )
    summary_limit: int = 300
    event_limit: int = 500
    list_limit: int = 30  # lines of /sla and of each digest section

    resolution_titles: Mapping[str, str] = field(default_factory=lambda: RESOLUTION_TITLES_RU)

    def priority(self, name: str) -> str:
        return self.priority_titles.get(name, name)

    def resolution(self, name: str) -> str:
        return self.resolution_titles.get(name.strip().lower(), name)


def esc(text: str) -> str:
    """User text made safe for ``parse_mode=HTML`` (``<``, ``>``, ``&`` and quotes)."""
    return html.escape(text, quote=True)


def clip(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters; whitespace runs become single spaces."""
    flat = _SPACES.sub(" ", text).strip()
    if len(flat) <= limit:
        return flat
    return flat[: max(0, limit - 1)].rstrip() + "…"


def issue_link(key: str, settings: CardSettings) -> str:
    """The issue key in bold, linked to its page in Tracker."""
    url = f"{settings.tracker_url.rstrip('/')}/{key}"
    return f'<a href="{esc(url)}"><b>{esc(key)}</b></a>'


def local_time(t: datetime, cal: WorkCalendar, *, year: bool = False) -> str:
    """``05.03 12:00`` in the support calendar's time zone (with the year if asked)."""
    return t.astimezone(cal.tz).strftime("%d.%m.%Y %H:%M" if year else "%d.%m %H:%M")


def left_text(left: timedelta) -> str:
    """``6 ч``, ``1 ч 30 мин``, ``45 мин``: a working-time remainder, rounded down to minutes."""
    minutes = int(left.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return f"{rest} мин"
    if hours < 10 and rest:
        return f"{hours} ч {rest} мин"
    return f"{hours} ч"


def clocks_text(clocks: Clocks, now: datetime, cal: WorkCalendar) -> list[str]:
    """One line per clock, each naming it: «Срок взятия в работу: …», «Срок исполнения: …»."""
    if clocks.execution is None:
        return [f"Срок: {deadline_text(None, now, cal)}"]
    return [f"{r.kind.deadline_ru}: {deadline_text(r, now, cal)}" for r in clocks.present()]


def deadline_text(reading: ClockReading | None, now: datetime, cal: WorkCalendar) -> str:
    """One clock's deadline as support reads it: when, and how much working time is left."""
    if reading is None:
        return "нет (доработка, вне регламента)"
    due = local_time(reading.deadline, cal)
    if reading.state is ClockState.BREACHED:
        return f"{due} — ⚠️ просрочен"
    if reading.state is ClockState.MET:
        return f"{due} — соблюдён"
    if reading.state is ClockState.PAUSED:
        return f"{due}, часы остановлены (ждём заказчика)"
    left = cal.working_time_between(now, reading.deadline)
    if left <= timedelta(0):
        return f"{due}, рабочего времени до срока не осталось"
    return f"{due}, осталось {left_text(left)} раб."


def visible_len(markup: str) -> int:
    """The length Telegram counts for our HTML: tags dropped, entities decoded, UTF-16 units.

    Exact for markup built here, where user text is always escaped (no raw ``<`` in it).
    """
    plain = html.unescape(_TAG.sub("", markup))
    return len(plain.encode("utf-16-le")) // 2


def take_within(lines: list[str], budget: int) -> tuple[list[str], int]:
    """The leading ``lines`` whose visible length fits ``budget``, and how many were left out."""
    kept: list[str] = []
    used = 0
    for line in lines:
        used += visible_len(line) + 1
        if used > budget:
            break
        kept.append(line)
    return kept, len(lines) - len(kept)
