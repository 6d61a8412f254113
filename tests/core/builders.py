"""Plain-value builders for the core's tests: times in Moscow, issues, mails, a customer."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import (
    Comment,
    Customer,
    InboundMail,
    IssueView,
    StatusChange,
)
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.statuses import Status

MSK = ZoneInfo("Europe/Moscow")
POLICY = Policy()

CLINIC = Customer(
    name="clinic-one",
    intake_addresses=frozenset({"support-clinic1@vendor.example"}),
    queue="SUP",
    allowed_domains=frozenset({"clinic1.example"}),
    allowed_senders=frozenset({"chief@gmail.example"}),
    confirmers=frozenset({"chief@clinic1.example", "chief@gmail.example"}),
    telegram_chat_id=-1001,
    departments=("Терапия", "Хирургия", "Детское отделение"),
)


@cache
def cal() -> WorkCalendar:
    """The default production calendar, built once per test session."""
    return WorkCalendar.default()


def msk(text: str) -> datetime:
    """'2026-03-02 12:00' → that wall time in Moscow."""
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def an_issue(
    *,
    key: str = "SUP-1",
    created: str | datetime = "2026-03-02 12:00",
    status: Status = Status.OPEN,
    priority: str = "normal",
    history: list[tuple[str | datetime, Status]] | None = None,
    **extra: Any,
) -> IssueView:
    """An issue; ``history`` gives (time, status) pairs after creation (in OPEN)."""
    created_at = msk(created) if isinstance(created, str) else created
    changes = [StatusChange(created_at, Status.OPEN)]
    for at, st in history or []:
        changes.append(StatusChange(msk(at) if isinstance(at, str) else at, st))
    if history:
        status = changes[-1].status
    elif status is not Status.OPEN:
        changes.append(StatusChange(created_at, status))
    defaults: dict[str, Any] = {
        "customer": CLINIC.name,
        "requester": "doctor@clinic1.example",
        "summary": "Не печатается рецепт",
    }
    defaults.update(extra)
    return IssueView(
        key=key,
        created_at=created_at,
        status=status,
        priority=priority,
        status_history=tuple(changes),
        **defaults,
    )


def a_mail(**fields: Any) -> InboundMail:
    """A parsed email from a clinic employee to the clinic's intake address."""
    values: dict[str, Any] = {
        "message_id": "m1@clinic1.example",
        "sender": "doctor@clinic1.example",
        "sender_name": "Иванова Мария",
        "subject": "Не печатается рецепт",
        "text": "При нажатии «Печать» ничего не происходит.\nЛогин: ivanova",
        "to": ("support-clinic1@vendor.example",),
        "fields": {"login": "ivanova"},
    }
    values.update(fields)
    if "reply_text" not in fields:
        values["reply_text"] = values["text"]
    return InboundMail(**values)


def a_comment(
    cid: str, at: str, text: str, *, by_customer: bool = False, internal: bool = False
) -> Comment:
    return Comment(cid, msk(at), text, by_customer=by_customer, internal=internal)
