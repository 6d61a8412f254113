"""R9: the priority the customer asked for, read from the body, the subject or the client."""

from __future__ import annotations

import pytest

from tests.mail.build import message
from tracker_bridge.mail.parse import parse_message


def hint(body: str = "Добрый день!", **headers: str) -> str | None:
    return parse_message(message(body, **headers)).priority_hint


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X_Priority": "1 (Highest)"}, "critical"),
        ({"X_Priority": "2"}, "critical"),
        ({"X_Priority": "3 (Normal)"}, None),
        ({"X_Priority": "4"}, "minor"),
        ({"X_Priority": "5 (Lowest)"}, "minor"),
        ({"Importance": "High"}, "critical"),
        ({"Importance": "low"}, "minor"),
        ({"X_MSMail_Priority": "High"}, "critical"),
        ({}, None),
    ],
)
def test_r9_mail_client_flags(headers: dict[str, str], expected: str | None) -> None:
    """X-Priority 1–2 / Importance: high are critical, 4–5 / low are minor."""
    assert hint(**headers) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Срочно! Не печатается выписка", "critical"),
        ("СРОЧНО: не работает регистратура", "critical"),
        ("URGENT: login fails", "critical"),
        ("Критично: система недоступна", "blocker"),
        ("Блокер - не открывается ЭМК", "blocker"),
        ("Не срочно: вопрос по отчёту", None),
        ("Срочность выписки", None),  # a word that only starts like the marker
    ],
)
def test_r9_subject_markers(subject: str, expected: str | None) -> None:
    """«Срочно»/urgent mark critical, «Критично»/«Блокер» mark blocker."""
    assert hint(Subject=subject) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Приоритет: высокий", "critical"),
        ("Приоритет - Высокий", "critical"),
        ("**Приоритет:** критичный", "blocker"),
        ("Приоритет: низкий", "minor"),
        ("Приоритет: не срочно", "minor"),
        ("Приоритет: средний", None),  # the default: left to the policy
        ("Приоритет: какой-нибудь", None),
    ],
)
def test_r9_body_priority_field(line: str, expected: str | None) -> None:
    """A "Приоритет:" line in the body is read as the customer's choice."""
    assert hint(f"Добрый день!\n{line}\n") == expected


def test_body_field_beats_subject_and_client_flag() -> None:
    """The most deliberate statement wins: body field, then subject, then client flag."""
    assert hint("Приоритет: низкий", Subject="Срочно", X_Priority="1") == "minor"
    assert hint("Текст", Subject="Срочно", X_Priority="5") == "critical"
