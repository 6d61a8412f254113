"""Alert and digest texts (pure): titles per kind, escaping, R21 sections, the length limit."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.telegram.conftest import MSK, a_view, cal
from tracker_bridge.regulation.actions import AlertKind, TelegramAlert
from tracker_bridge.regulation.digest import Digest, DigestLine
from tracker_bridge.telegram.notices import ALERT_TITLES, alert_text, digest_text
from tracker_bridge.telegram.text import MAX_MESSAGE, CardSettings, visible_len
from tracker_bridge.testing.fake_telegram.html import parse_html

SETTINGS = CardSettings()
DEADLINE = datetime(2026, 3, 5, 12, 0, tzinfo=MSK)


def a_line(n: int, summary: str = "Не печатается выписка") -> DigestLine:
    return DigestLine(f"SUP-{n}", summary, "critical", "В работе", DEADLINE)


class TestAlerts:
    @pytest.mark.parametrize("kind", list(ALERT_TITLES))
    def test_every_alert_kind_has_a_title_and_parses(self, kind: AlertKind) -> None:
        """R10/R15: warning, breach, ready for production, unclear reply, refused confirmation."""
        alert = TelegramAlert("SUP-1", "clinic-one", kind, "e1", "Текст & <подробности>")
        text, _ = parse_html(alert_text(alert, SETTINGS, a_view()))
        assert text.splitlines()[0] == ALERT_TITLES[kind]
        assert text.splitlines()[1] == "SUP-1 Не открывается карта пациента"
        assert text.splitlines()[2] == "Текст & <подробности>"

    def test_r15_ready_for_production_says_so(self) -> None:
        """R15: the customer's confirmation tells support the change may go to production."""
        alert = TelegramAlert("SUP-1", "clinic-one", "ready_for_production", "verified:x")
        text, _ = parse_html(alert_text(alert, SETTINGS))
        assert "можно переносить на основную среду" in text
        assert text.splitlines()[-1] == "SUP-1"


class TestDigest:
    def test_r21_digest_lists_priorities_due_today_and_breaches(self) -> None:
        """R21: open requests by priority, deadlines due today, breached requests."""
        digest = Digest(
            "clinic-one",
            date(2026, 3, 5),
            {"critical": 2, "normal": 3},
            due_today=(a_line(1),),
            breached=(a_line(2, "Сломан <отчёт> & всё"),),
        )
        text, _ = parse_html(digest_text(digest, SETTINGS, cal()))
        lines = text.splitlines()
        assert lines[0] == "📋 Сводка на 05.03.2026 — clinic-one"
        assert lines[1] == "Открыто заявок: 5 (Критичный: 2, Средний: 3)"
        assert "⏳ Срок сегодня: 1" in lines and "🔴 Просрочены: 1" in lines
        assert (
            "• SUP-1 Не печатается выписка (Критичный, В работе, срок исполнения 05.03 12:00)"
            in lines
        )
        assert (
            "• SUP-2 Сломан <отчёт> & всё (Критичный, В работе, срок исполнения 05.03 12:00)"
            in lines
        )

    def test_r21_quiet_day_says_nothing_is_due(self) -> None:
        """R21: with nothing due or breached the digest says so in one line."""
        digest = Digest("clinic-one", date(2026, 3, 5), {}, (), ())
        text, _ = parse_html(digest_text(digest, SETTINGS, cal()))
        assert text.splitlines()[1:] == [
            "Открыто заявок: 0",
            "Сроков на сегодня нет, просроченных заявок нет.",
        ]

    def test_r21_huge_digest_fits_one_message(self) -> None:
        """R21: hundreds of long lines are cut with '…и ещё N' to stay under 4096 characters."""
        many = tuple(a_line(n, "Очень длинная тема заявки " * 10) for n in range(300))
        digest = Digest("clinic-one", date(2026, 3, 5), {"critical": 600}, many, many)
        html = digest_text(digest, SETTINGS, cal())
        text, _ = parse_html(html)
        assert visible_len(html) <= MAX_MESSAGE
        assert sum(line.startswith("…и ещё ") for line in text.splitlines()) == 2

    def test_digest_line_without_deadline(self) -> None:
        """A line without a deadline says 'без срока' instead of a time."""
        line = DigestLine("SUP-3", "Тема", "normal", "Открыто", None)
        digest = Digest("clinic-one", date(2026, 3, 5), {"normal": 1}, (line,), ())
        text, _ = parse_html(digest_text(digest, SETTINGS, cal()))
        assert "• SUP-3 Тема (Средний, Открыто, без срока)" in text.splitlines()
