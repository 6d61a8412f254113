"""R15: reading the customer's reply to "awaiting testing"."""

from __future__ import annotations

import pytest

from tests.core.builders import POLICY
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.replies import Verdict, classify_test_reply


@pytest.mark.parametrize(
    "text",
    [
        "Проверено, ошибок нет",
        "проверено ошибок нет!",
        "Добрый день. Всё работает, спасибо.",
        "Ошибок не обнаружено, можно переносить",
        "Checked, no errors",
        "ПОДТВЕРЖДАЮ",
    ],
)
def test_r15_confirmations_are_recognised(text: str) -> None:
    """R15: the usual ways to say "checked, no errors" confirm the change."""
    assert classify_test_reply(text, POLICY) is Verdict.CONFIRMED


@pytest.mark.parametrize(
    "text",
    [
        "Кнопка не работает",
        "Найдена ошибка в отчёте",
        "Проблема сохраняется",
        "It still broken? error on save",
    ],
)
def test_r15_problem_reports_are_recognised(text: str) -> None:
    """R15: a reported problem sends the change back to work."""
    assert classify_test_reply(text, POLICY) is Verdict.ERROR


@pytest.mark.parametrize(
    "text",
    [
        "Посмотрим завтра",
        "Всё работает, но найдена ошибка в печати",
        "не подтверждаю",
        "",
    ],
)
def test_r15_anything_ambiguous_is_unclear(text: str) -> None:
    """R15: mixed or negated answers go to a person instead of production."""
    assert classify_test_reply(text, POLICY) is Verdict.UNCLEAR


def test_r15_error_words_match_whole_words_only() -> None:
    """R15: "no errors" is not a report of an error."""
    assert classify_test_reply("checked, no errors", POLICY) is Verdict.CONFIRMED


def test_r15_phrases_are_a_setting() -> None:
    """R15: the confirming phrases come from the policy."""
    policy = Policy(confirm_phrases=("принято",), error_phrases=("брак",))
    assert classify_test_reply("Принято.", policy) is Verdict.CONFIRMED
    assert classify_test_reply("брак", policy) is Verdict.ERROR
    assert classify_test_reply("Проверено, ошибок нет", policy) is Verdict.UNCLEAR
