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
        ("Не срочно: вопрос по отчёту", "minor"),  # R9: the customer says it can wait
        ("Несрочно: поменять шрифт", "minor"),
        ("Не горит: поменять шрифт", "minor"),
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
        # an explicit middle priority is said, so a subject marker cannot overrule it
        ("Приоритет: средний", "normal"),
        ("Приоритет: обычный", "normal"),
        ("Приоритет: невысокий", "minor"),  # R9: "невысокий" is not "высокий"
        ("Приоритет: не очень высокий", "minor"),
        ("Срочность: не горит", "minor"),
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


def reply_hint(body: str, **headers: str) -> str | None:
    return parse_message(message(body, **headers)).reply_priority_hint


@pytest.mark.parametrize(
    ("body", "subject", "expected"),
    [
        ("СРОЧНО! Всё ещё не открывается.", "Re: карта", "critical"),
        ("Приоритет: высокий\nПо-прежнему не работает.", "Re: карта", "critical"),
        ("Спасибо, ждём.", "Re: СРОЧНО не открывается карта", None),  # inherited subject
        ("Не срочно, посмотрите когда сможете.", "Re: карта", "minor"),
        ("Спасибо!\n\n> СРОЧНО! не открывается карта", "Re: карта", None),  # quoted
    ],
)
def test_r9_a_replys_own_words_ask_for_a_priority(
    body: str, subject: str, expected: str | None
) -> None:
    """R9: what a later email asks for is read from its new text, not the inherited subject."""
    assert reply_hint(body, Subject=subject) == expected
