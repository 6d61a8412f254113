"""Building notification emails (R12, R22; safety rules): headers, threading, loop markers."""

from __future__ import annotations

import email.policy
import re
from datetime import UTC, datetime, timedelta, timezone
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker_bridge.mail.loop_guard import should_answer
from tracker_bridge.mail.outbound import build_notification, message_id_for
from tracker_bridge.mail.render import RenderedMail, TemplateRenderer
from tracker_bridge.regulation.actions import Notify
from tracker_bridge.regulation.model import InboundMail

DOMAIN = "bridge.vendor.example"
NOW = datetime(2026, 11, 26, 12, 30, tzinfo=timezone(timedelta(hours=3)))
ORIGINAL = "<CAF=ivanova-1@mail.clinic1.example>"


def a_notify(template: str = "status_closed", **changes: object) -> Notify:
    values: dict[str, object] = {
        "template": template,
        "to": "ivanova@clinic1.example",
        "issue": "SUP-42",
        "event": "status:closed:2026-11-26T09:30:00Z",
        "context": {"summary": "Не печатается выписка"},
        "in_reply_to": ORIGINAL,
    }
    values.update(changes)
    return Notify(**values)  # type: ignore[arg-type]


def build(
    notify: Notify | None = None, rendered: RenderedMail | None = None, **kwargs: str
) -> EmailMessage:
    notify = notify or a_notify()
    rendered = rendered or TemplateRenderer().render(notify)
    return build_notification(
        notify,
        rendered,
        from_addr="support-clinic1@vendor.example",
        from_name="Техподдержка МИС",
        domain=DOMAIN,
        now=NOW,
        **kwargs,
    )


def reparse(msg: EmailMessage) -> EmailMessage:
    """What a receiving mail client makes of the bytes on the wire."""
    return BytesParser(_class=EmailMessage, policy=email.policy.default).parsebytes(msg.as_bytes())


class TestMessageId:
    def test_r22_the_same_event_always_gets_the_same_message_id(self) -> None:
        """R22: a retried send of one event is the same message, recognisable by its Message-ID."""
        assert build()["Message-ID"] == build()["Message-ID"]
        assert build()["Message-ID"] == message_id_for(a_notify(), DOMAIN)

    def test_different_events_get_different_message_ids(self) -> None:
        """Two events on one issue are two messages."""
        other = a_notify(event="status:closed:2026-11-27T09:30:00Z")
        assert build(other)["Message-ID"] != build()["Message-ID"]

    def test_message_id_has_our_shape(self) -> None:
        """``<tb.<24 hex>@domain>``: valid, and recognisable as ours when it comes back."""
        assert re.fullmatch(rf"<tb\.[0-9a-f]{{24}}@{re.escape(DOMAIN)}>", build()["Message-ID"])

    def test_the_whole_message_is_reproducible(self) -> None:
        """Building is pure: the same inputs give the same bytes."""
        assert build().as_bytes() == build().as_bytes()


class TestThreading:
    def test_replies_thread_under_the_requesters_email(self) -> None:
        """In-Reply-To and References point at the requester's original message."""
        msg = build()
        assert msg["In-Reply-To"] == ORIGINAL and msg["References"] == ORIGINAL

    def test_an_explicit_original_wins(self) -> None:
        """The caller may name the original Message-ID (e.g. from the store's thread map)."""
        msg = build(original_message_id="<first@clinic1.example>")
        assert msg["In-Reply-To"] == "<first@clinic1.example>"

    def test_a_bare_id_from_the_store_is_written_in_angle_brackets(self) -> None:
        """The intake keeps Message-IDs bare; the header needs ``<id>`` to thread (RFC 5322)."""
        msg = build(a_notify(in_reply_to="m1@clinic1.example"))
        assert msg["In-Reply-To"] == "<m1@clinic1.example>"
        assert msg["References"] == "<m1@clinic1.example>"

    def test_no_original_means_no_threading_headers(self) -> None:
        """A notification with no email behind it (a clock event) starts its own thread."""
        msg = build(a_notify(in_reply_to=None))
        assert msg["In-Reply-To"] is None and msg["References"] is None

    def test_subject_carries_the_issue_key(self) -> None:
        """The subject starts with ``[SUP-42]`` so any reply finds its request."""
        assert build()["Subject"] == "[SUP-42] Заявка закрыта: Не печатается выписка"

    def test_a_key_already_in_the_subject_is_not_repeated(self) -> None:
        """An override that writes ``[KEY]`` itself gets no second marker."""
        rendered = RenderedMail("Готово [SUP-42]", "текст\n", issue_key="SUP-42")
        assert build(rendered=rendered)["Subject"] == "Готово [SUP-42]"

    def test_no_key_no_marker(self) -> None:
        """A mail about no issue has no empty brackets."""
        rendered = RenderedMail("Письмо не добавлено", "текст\n", issue_key=None)
        assert build(rendered=rendered)["Subject"] == "Письмо не добавлено"

    def test_a_multiline_subject_becomes_one_line(self) -> None:
        """Newlines from a summary cannot inject headers."""
        rendered = RenderedMail("Ошибка\r\nBcc: x@clinic1.example", "текст\n", issue_key="SUP-42")
        msg = reparse(build(rendered=rendered))
        assert msg["Subject"] == "[SUP-42] Ошибка Bcc: x@clinic1.example"
        assert msg["Bcc"] is None


class TestLoopMarkers:
    def test_an_answer_to_an_email_is_auto_replied(self) -> None:
        """RFC 3834: the acknowledgement answers the requester's email."""
        assert build(a_notify("registered"))["Auto-Submitted"] == "auto-replied"
        assert build(a_notify("reply_ignored"))["Auto-Submitted"] == "auto-replied"

    def test_an_event_notification_is_auto_generated(self) -> None:
        """RFC 3834: a status change is generated by the system, not a reply to a message."""
        assert build()["Auto-Submitted"] == "auto-generated"

    def test_exchange_auto_responses_are_suppressed(self) -> None:
        """Outlook/Exchange out-of-office and receipts are asked not to answer."""
        assert build()["X-Auto-Response-Suppress"] == "All"

    def test_no_precedence_header(self) -> None:
        """One-to-one service mail is not marked as bulk."""
        assert build()["Precedence"] is None

    def test_our_own_notification_coming_back_is_never_answered(self) -> None:
        """A notification that loops back is refused by the loop guard (safety rules)."""
        msg = build()
        mail = InboundMail(
            message_id=msg["Message-ID"], sender="ivanova@clinic1.example", subject=msg["Subject"]
        )
        allowed = should_answer(mail, own_addresses=(), answers_today=0, bounced=False)
        assert allowed == (False, "own address")


class TestEncoding:
    def test_cyrillic_headers_round_trip(self) -> None:
        """Subject and From name survive RFC 2047 encoding and policy.default parsing."""
        wire = build().as_bytes()
        assert wire.isascii()
        msg = reparse(build())
        assert msg["Subject"] == "[SUP-42] Заявка закрыта: Не печатается выписка"
        assert msg["From"].addresses[0].display_name == "Техподдержка МИС"
        assert msg["From"].addresses[0].addr_spec == "support-clinic1@vendor.example"
        assert msg["To"] == "ivanova@clinic1.example"

    def test_a_long_cyrillic_subject_folds_and_round_trips(self) -> None:
        """A subject longer than a header line is folded and reassembled intact."""
        summary = "Не формируется отчёт по выписанным рецептам за прошлый месяц в отделении " * 3
        notify = a_notify(context={"summary": summary.strip()})
        msg = reparse(build(notify))
        assert msg["Subject"] == f"[SUP-42] Заявка закрыта: {summary.strip()}"
        assert all(len(line) <= 78 for line in build(notify).as_bytes().split(b"\n"))

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(
            st.text(
                "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЯЁabcXYZ019:,.«»-()!?", min_size=1, max_size=12
            ),
            min_size=1,
            max_size=25,
        )
    )
    def test_any_subject_round_trips_with_every_space(self, words: list[str]) -> None:
        """Mixed Cyrillic/ASCII subjects of any length come back exactly, lines within 78."""
        subject = " ".join(words)
        wire = build(rendered=RenderedMail(subject, "текст\n", issue_key="SUP-42")).as_bytes()
        assert all(len(line) <= 78 for line in wire.split(b"\n"))
        parsed = BytesParser(_class=EmailMessage, policy=email.policy.default).parsebytes(wire)
        assert parsed["Subject"] == f"[SUP-42] {subject}"

    def test_the_key_stays_readable_in_the_raw_header(self) -> None:
        """``[SUP-42]`` is left unencoded on the wire, so even a raw-header filter sees it."""
        assert b"Subject: [SUP-42] =?utf-8?" in build().as_bytes()

    def test_a_cyrillic_sender_name_round_trips(self) -> None:
        """A usual From display name comes back intact through policy.default parsing."""
        (address,) = reparse(build())["From"].addresses
        assert address.display_name == "Техподдержка МИС"

    def test_a_long_cyrillic_sender_name_decodes_per_rfc_2047(self) -> None:
        """A folded long name decodes with its spaces by RFC 2047 (whitespace between words
        ignored); CPython's own address parser would add spaces at the folds, so it is not used."""
        notify = a_notify()
        name = "Служба технической поддержки медицинской информационной системы клиники"
        msg = build_notification(
            notify,
            TemplateRenderer().render(notify),
            from_addr="support@vendor.example",
            from_name=name,
            domain=DOMAIN,
            now=NOW,
        )
        wire = msg.as_bytes()
        raw = wire.split(b"\nTo:")[0].removeprefix(b"From: ").decode("ascii")
        assert str(make_header(decode_header(raw))) == f"{name} <support@vendor.example>"
        assert all(len(line) <= 78 for line in wire.split(b"\n"))

    def test_body_is_utf8_text(self) -> None:
        """The body is text/plain UTF-8 and decodes to the rendered text."""
        notify = a_notify()
        msg = reparse(build(notify))
        assert msg.get_content_type() == "text/plain"
        assert msg.get_content_charset() == "utf-8"
        assert msg.get_content() == TemplateRenderer().render(notify).text

    def test_an_html_alternative_is_attached_when_rendered(self) -> None:
        """An HTML rendering becomes a multipart/alternative with the text first."""
        rendered = RenderedMail("Тема", "текст\n", "<p>текст</p>\n", "SUP-42")
        msg = reparse(build(rendered=rendered))
        assert msg.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in msg.iter_parts()]
        assert parts == ["text/plain", "text/html"]

    def test_date_comes_from_the_injected_now(self) -> None:
        """Date is the caller's ``now`` (from the Clock), never the machine's."""
        assert parsedate_to_datetime(build()["Date"]) == NOW

    @pytest.mark.parametrize("reply_to", ["intake-clinic1@vendor.example"])
    def test_reply_to_is_set_when_given(self, reply_to: str) -> None:
        """Replies can be steered to the customer's intake address (R2 routing)."""
        assert build(reply_to=reply_to)["Reply-To"] == reply_to
        assert build()["Reply-To"] is None

    def test_date_in_utc_is_accepted(self) -> None:
        """Any aware ``now`` works; the Date header keeps its offset."""
        now = datetime(2026, 1, 1, tzinfo=UTC)
        notify = a_notify()
        msg = build_notification(
            notify,
            TemplateRenderer().render(notify),
            from_addr="a@vendor.example",
            from_name="",
            domain=DOMAIN,
            now=now,
        )
        assert parsedate_to_datetime(msg["Date"]) == now
        assert msg["From"] == "a@vendor.example"
