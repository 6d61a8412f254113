"""Card rendering (pure): what a card shows, escaping, clipping, the final state, buttons."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tests.telegram.conftest import MSK, NOW, POLICY, a_view, cal
from tracker_bridge.regulation.model import Comment, IssueView
from tracker_bridge.regulation.sla import read_clocks
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.telegram.callbacks import MAX_CALLBACK_BYTES, decode
from tracker_bridge.telegram.cards import RenderedCard, render_card
from tracker_bridge.telegram.text import CardSettings, left_text, visible_len
from tracker_bridge.testing.fake_telegram.html import parse_html

SETTINGS = CardSettings(tracker_url="https://tracker.example.ru/")
HOSTILE = '<script>alert("x")</script> & <b>unbalanced <i> "quotes" &amp; &#x41; </a>'


def card(view: IssueView, now: datetime = NOW) -> RenderedCard:
    return render_card(view, read_clocks(view, now, cal(), POLICY), now, cal(), SETTINGS)


def plain(rendered: RenderedCard) -> str:
    text, _ = parse_html(rendered.html)
    return text


class TestOpenCard:
    def test_r5_card_shows_every_field_support_needs(self) -> None:
        """R5: key, summary, department, priority, status, assignee, deadline, last event."""
        text = plain(card(a_view(status=Status.IN_PROGRESS, assignee="ivanov")))
        lines = text.splitlines()
        assert lines[0] == "🛠 SUP-1 · Критичный"
        assert lines[1] == "Не открывается карта пациента"
        assert "Отделение: Хирургия" in lines
        assert "Приоритет: Критичный" in lines
        assert "Статус: В работе" in lines
        assert "Исполнитель: ivanov" in lines
        assert "Последнее: 03.03 10:30 статус «В работе»" in lines

    def test_r10_deadline_shows_working_time_left(self) -> None:
        """R10: 72 h from Mon 12:00 is Thu 12:00; on Tue 11:00 that is 17 working hours away."""
        text = plain(card(a_view()))
        assert "Срок взятия в работу: 05.03 12:00, осталось 17 ч раб." in text
        assert "Срок исполнения: 23.03 12:00, осталось 105 ч раб." in text

    def test_r14_paused_clock_is_said_so(self) -> None:
        """R14: while waiting for the customer the card says the clock is stopped."""
        text = plain(card(a_view(status=Status.INFO_REQUESTED)))
        assert "часы остановлены (ждём заказчика)" in text
        assert text.startswith("⏸")

    def test_r10_breached_deadline_is_flagged(self) -> None:
        """R10: past the deadline the card turns red and says the deadline is missed."""
        later = datetime(2026, 3, 5, 13, 0, tzinfo=MSK)
        text = plain(card(a_view(), now=later))
        assert text.startswith("🔴")
        assert "Срок взятия в работу: 05.03 12:00 — ⚠️ просрочен" in text

    def test_r18_enhancement_has_no_deadline(self) -> None:
        """R18: an enhancement has no SLA clock, and the card says so."""
        assert "Срок: нет (доработка, вне регламента)" in plain(
            card(a_view(issue_type="newFeature"))
        )

    def test_key_links_to_tracker(self) -> None:
        """The key is a link to the issue in Tracker (base URL configurable)."""
        _, entities = parse_html(card(a_view()).html)
        links = [e["url"] for e in entities if e["type"] == "text_link"]
        assert links == ["https://tracker.example.ru/SUP-1"]

    def test_last_event_is_the_latest_public_comment(self) -> None:
        """The newest public comment is the last event; internal comments never show."""
        at = datetime(2026, 3, 3, 10, 45, tzinfo=MSK)
        comments = (
            Comment("1", at, "Смотрим логи", by_customer=False),
            Comment("2", at + timedelta(minutes=5), "секрет", by_customer=False, internal=True),
        )
        text = plain(card(a_view(comments=comments)))
        assert "Последнее: 03.03 10:45 комментарий поддержки: Смотрим логи" in text
        assert "секрет" not in text

    def test_unassigned_request_says_so(self) -> None:
        """A request nobody took shows 'не назначен' and the 'new' icon."""
        text = plain(card(a_view()))
        assert "Исполнитель: не назначен" in text and text.startswith("🆕")


class TestButtons:
    def test_r5_card_offers_take_info_and_comment(self) -> None:
        """R5: the card's buttons are take / info / comment for its key."""
        data = [b.data for row in card(a_view()).buttons for b in row]
        assert data == ["take:SUP-1", "info:SUP-1", "comment:SUP-1"]
        assert [decode(d) for d in data] == [
            ("take", "SUP-1"),
            ("info", "SUP-1"),
            ("comment", "SUP-1"),
        ]

    def test_callback_data_fits_telegram_limit_for_long_keys(self) -> None:
        """Even a long queue name keeps callback data within 64 bytes."""
        rendered = card(a_view(key="VERYLONGQUEUENAME_CLINIC-1234567"))
        assert all(len(b.data.encode()) <= MAX_CALLBACK_BYTES for r in rendered.buttons for b in r)


class TestFinalCard:
    def test_r16_closed_request_shows_final_state_without_buttons(self) -> None:
        """R16: a terminal status gives the final card: status, closing time, no buttons."""
        closed_at = datetime(2026, 3, 3, 10, 30, tzinfo=MSK)
        view = a_view(status=Status.CLOSED, resolution="fixed", assignee="ivanov")
        rendered = card(view)
        text = plain(rendered)
        assert rendered.final and rendered.buttons == ()
        assert text.splitlines()[0] == "✅ SUP-1 · Закрыто (Решён)"
        assert f"Закрыта {closed_at:%d.%m %H:%M}" in text
        assert "Срок" not in text

    def test_r4_the_final_card_names_the_resolution_as_the_mail_does(self) -> None:
        """R4/R16: the chat reads the same resolution title as the requester's email; a key
        the bridge does not know is shown as Tracker gave it."""
        infra = plain(card(a_view(status=Status.CLOSED, resolution="infrastructure")))
        assert infra.splitlines()[0] == "✅ SUP-1 · Закрыто (Проблема инфраструктуры)"
        custom = plain(card(a_view(status=Status.CLOSED, resolution="clinicSide")))
        assert custom.splitlines()[0] == "✅ SUP-1 · Закрыто (clinicSide)"


class TestEscaping:
    def test_hostile_user_text_is_escaped_and_parses(self) -> None:
        """Tags, ampersands and quotes in user text come out literally, never as markup."""
        comment = Comment("1", NOW - timedelta(minutes=1), HOSTILE, by_customer=True)
        view = a_view(summary=HOSTILE, assignee="<b>", fields={"department": "A & B </i>"})
        rendered = card(replace(view, comments=(comment,)))
        text, entities = parse_html(rendered.html)  # the fake's strict tdlib-like parser
        assert '<script>alert("x")</script> & <b>unbalanced <i>' in text
        assert "Отделение: A & B </i>" in text
        assert "Исполнитель: <b>" in text
        assert {e["type"] for e in entities} <= {"bold", "text_link"}


class TestLength:
    def test_long_summary_and_comment_are_clipped_within_telegram_limit(self) -> None:
        """A 10,000-character summary and comment leave the card under 4096 characters."""
        huge = "Очень длинное описание & <тег> " * 400
        comment = Comment("1", NOW - timedelta(minutes=1), huge, by_customer=True)
        rendered = card(a_view(summary=huge, comments=(comment,)))
        assert visible_len(rendered.html) < 1200
        assert "…" in plain(rendered)

    def test_fingerprint_changes_only_with_what_the_card_shows(self) -> None:
        """Same view, same fingerprint; a new status changes it."""
        assert card(a_view()).fingerprint == card(a_view()).fingerprint
        assert card(a_view()).fingerprint != card(a_view(status=Status.IN_PROGRESS)).fingerprint


class TestLeftText:
    def test_remainders_read_naturally(self) -> None:
        """Working time left: minutes alone, hours with minutes under ten hours, else hours."""
        assert left_text(timedelta(minutes=45)) == "45 мин"
        assert left_text(timedelta(hours=1, minutes=30)) == "1 ч 30 мин"
        assert left_text(timedelta(hours=17, minutes=10)) == "17 ч"
