"""R5: the live card of an urgent request, as Telegram HTML and inline buttons (pure).

One message per urgent request in the customer's chat, edited in place: key linked to Tracker,
summary, department, priority, status, assignee, intake deadline with the working time left, and
the last event. When the request closes the card shows its final state and loses its buttons.
All user text is escaped; summary and last event are clipped, so a card stays far below
Telegram's 4096 characters whatever the request says.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.sla import Clocks
from tracker_bridge.telegram.callbacks import encode
from tracker_bridge.telegram.text import (
    CardSettings,
    clip,
    clocks_text,
    esc,
    issue_link,
    local_time,
)

__all__ = ["Button", "RenderedCard", "card_buttons", "last_event", "render_card"]


@dataclass(frozen=True)
class Button:
    """An inline button: its label and its ``callback_data``."""

    text: str
    data: str


@dataclass(frozen=True)
class RenderedCard:
    """What a card message shows; ``fingerprint`` changes exactly when text or buttons do."""

    html: str
    buttons: tuple[tuple[Button, ...], ...]
    final: bool

    @property
    def fingerprint(self) -> str:
        rows = "\x1e".join("\x1f".join(f"{b.text}\x1d{b.data}" for b in r) for r in self.buttons)
        return hashlib.sha256(f"{self.html}\x1c{rows}".encode()).hexdigest()[:32]


def card_buttons(key: str) -> tuple[tuple[Button, ...], ...]:
    """The actions support can take from the card (the same as /take, /info, /comment)."""
    return (
        (Button("🛠 Взять в работу", encode("take", key)),),
        (
            Button("❓ Запросить информацию", encode("info", key)),
            Button("💬 Комментарий", encode("comment", key)),
        ),
    )


def render_card(
    view: IssueView,
    clocks: Clocks,
    now: datetime,
    cal: WorkCalendar,
    settings: CardSettings,
) -> RenderedCard:
    """The card of ``view`` at ``now``; a terminal status gives the final card (no buttons)."""
    if view.status.is_terminal:
        return RenderedCard(_final_html(view, now, cal, settings), (), final=True)
    priority = esc(settings.priority(view.priority))
    lines = [
        f"{_icon(view, clocks)} {issue_link(view.key, settings)} · {priority}",
        f"<b>{esc(clip(view.summary, settings.summary_limit) or '(без темы)')}</b>",
        *_details(view, settings),
        f"Статус: {esc(view.status.title_ru)}",
        f"Исполнитель: {esc(view.assignee or 'не назначен')}",
        *clocks_text(clocks, now, cal),
    ]
    event = last_event(view, cal)
    if event:
        lines.append(f"Последнее: {esc(clip(event, settings.event_limit))}")
    return RenderedCard("\n".join(lines), card_buttons(view.key), final=False)


def _icon(view: IssueView, clocks: Clocks) -> str:
    if clocks.first_breach() is not None:
        return "🔴"
    if view.status.is_paused:
        return "⏸"
    return "🛠" if view.assignee else "🆕"


def _details(view: IssueView, settings: CardSettings) -> list[str]:
    department = view.fields.get("department", "")
    lines = [f"Отделение: {esc(clip(department, 100))}"] if department else []
    lines.append(f"Приоритет: {esc(settings.priority(view.priority))}")
    return lines


def _final_html(view: IssueView, now: datetime, cal: WorkCalendar, settings: CardSettings) -> str:
    closed_at = view.status_since if view.status_history else now
    named = settings.resolution(view.resolution) if view.resolution else ""
    resolution = f" ({esc(clip(named, 100))})" if named else ""
    lines = [
        f"✅ {issue_link(view.key, settings)} · {esc(view.status.title_ru)}{resolution}",
        f"<s>{esc(clip(view.summary, settings.summary_limit) or '(без темы)')}</s>",
        *_details(view, settings),
        f"Исполнитель: {esc(view.assignee or 'не назначен')}",
        f"Закрыта {local_time(closed_at, cal)}",
    ]
    return "\n".join(lines)


def last_event(view: IssueView, cal: WorkCalendar) -> str:
    """The latest thing that happened to the request, in words (internal comments never)."""
    events: list[tuple[datetime, str]] = [(view.created_at, "заявка зарегистрирована")]
    events += [(c.at, f"статус «{c.status.title_ru}»") for c in view.history[1:]]
    events += [
        (c.at, ("ответ заказчика: " if c.by_customer else "комментарий поддержки: ") + c.text)
        for c in view.comments
        if not c.internal
    ]
    events += [(p.at, f"приоритет {p.old or '—'} → {p.new}") for p in view.priority_history]
    at, text = max(events, key=lambda event: event[0])
    return f"{local_time(at, cal)} {text}"
