"""Alerts (R10, R15) and the daily digest (R21) as Telegram HTML (pure).

An alert is posted as a reply to the request's card, so it reads in context; the digest is one
message per customer at the opening of the working day.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker_bridge.regulation.actions import AlertKind, TelegramAlert
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.digest import Digest, DigestLine
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.telegram.text import (
    MAX_MESSAGE,
    CardSettings,
    clip,
    esc,
    issue_link,
    local_time,
    take_within,
)

__all__ = ["ALERT_TITLES", "alert_text", "digest_text"]

ALERT_TITLES: dict[AlertKind, str] = {
    "warning": "⏰ Приближается срок",
    "breach": "🚨 Срок истёк",
    "ready_for_production": "✅ Проверено, ошибок нет — можно переносить на основную среду",
    "unclear_reply": "❔ Непонятный ответ заказчика — нужен человек",
    "confirmation_refused": "⛔ Подтверждение не принято: отправитель не вправе подтверждать",
    "correction": "🔧 Заказчик прислал корректировки — заявка снова в работе",
    "priority_dispute": "⚖️ Заказчик просит повысить приоритет — согласуйте",
    "late_answer": "📬 Ответ заказчика пришёл до закрытия — заявка открыта снова",
    "loop_cap": "🔁 Похоже на почтовую петлю: дневной лимит писем исчерпан",
}


def alert_text(alert: TelegramAlert, settings: CardSettings, view: IssueView | None = None) -> str:
    """The alert's title, the linked key (and summary, when known) and the core's text."""
    if not alert.issue:  # about mail, not a request (a loop cap): no link, no summary
        body = clip(alert.text, settings.event_limit * 4)
        return f"{ALERT_TITLES[alert.kind]}\n{esc(body)}" if body else ALERT_TITLES[alert.kind]
    head = f"{ALERT_TITLES[alert.kind]}\n{issue_link(alert.issue, settings)}"
    if view is not None and view.summary:
        head += f" {esc(clip(view.summary, 200))}"
    body = clip(alert.text, settings.event_limit * 4)
    return f"{head}\n{esc(body)}" if body else head


def digest_text(digest: Digest, settings: CardSettings, cal: WorkCalendar) -> str:
    """R21: open requests by priority, what is due today, what is breached."""
    counts = ", ".join(
        f"{esc(settings.priority(name))}: {n}" for name, n in digest.by_priority.items()
    )
    lines = [
        f"📋 <b>Сводка на {digest.day:%d.%m.%Y}</b> — {esc(digest.customer)}",
        f"Открыто заявок: {digest.open_total}" + (f" ({counts})" if counts else ""),
        *_section("⏳ Срок сегодня", digest.due_today, settings, cal),
        *_section("🔴 Просрочены", digest.breached, settings, cal),
    ]
    if not digest.due_today and not digest.breached:
        lines.append("Сроков на сегодня нет, просроченных заявок нет.")
    return "\n".join(lines)


def _section(
    title: str, items: Sequence[DigestLine], settings: CardSettings, cal: WorkCalendar
) -> list[str]:
    if not items:
        return []
    # two sections and a header share one message: each gets a bit under half of it
    candidates = [_line(item, settings, cal) for item in items[: settings.list_limit]]
    shown, dropped = take_within(candidates, MAX_MESSAGE // 2 - 200)
    lines = [f"\n<b>{title}: {len(items)}</b>", *shown]
    left = dropped + len(items) - len(candidates)
    if left:
        lines.append(f"…и ещё {left}")
    return lines


def _line(item: DigestLine, settings: CardSettings, cal: WorkCalendar) -> str:
    name = item.clock.title_ru
    due = f"{name} {local_time(item.deadline, cal)}" if item.deadline else "без срока"
    return (
        f"• {issue_link(item.key, settings)} {esc(clip(item.summary, 80))} "
        f"({esc(settings.priority(item.priority))}, {esc(item.status_title)}, {due})"
    )
