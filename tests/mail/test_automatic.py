"""Automatic mail never creates requests or gets answers: the markers that reveal it."""

from __future__ import annotations

import pytest

from tests.mail.build import message
from tracker_bridge.mail.parse import parse_message


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Auto_Submitted": "auto-generated; owner=x"}, "Auto-Submitted: auto-generated"),
        ({"X_Autoreply": "yes"}, "X-Autoreply"),
        ({"X_Autorespond": "Out of office"}, "X-Autorespond"),
        ({"X_Auto_Response_Suppress": "All"}, "X-Auto-Response-Suppress"),
        ({"X_Auto_Response_Suppress": "DR, OOF, AutoReply"}, "X-Auto-Response-Suppress"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"Precedence": "Junk"}, "Precedence: junk"),
        ({"Precedence": "list"}, "Precedence: list"),
        ({"List_Id": "<clinic.lists.example>"}, "List-Id"),
        ({"Return_Path": "<>"}, "empty Return-Path"),
        ({"From": "MAILER-DAEMON@mx.clinic1.example"}, "sender mailer-daemon@mx.clinic1.example"),
        ({"From": "Postmaster <postmaster@clinic1.example>"}, "sender postmaster@clinic1.example"),
    ],
)
def test_header_markers_make_mail_automatic(headers: dict[str, str], reason: str) -> None:
    """RFC 3834, responder, list and bounce markers are each enough (safety rules)."""
    mail = parse_message(message(**headers))
    assert mail.is_automatic
    assert mail.automatic_reason == reason


@pytest.mark.parametrize(
    "subject",
    [
        "Автоответ: Не печатается выписка",
        "Автоматический ответ: Re: SUP-42",
        "Нет на месте: Re: Заявка",
        "В отпуске до 10 января",
        "Отсутствую в офисе: Re: SUP-42",
        "Vacation reply: hello",
        "Out of Office: Re: SUP-42",
        "Ivan Petrov is out of the office until Monday",
        "Automatic reply: request",
        "Auto: Не печатается выписка",
        "Autoreply: hello",
        "Auto-Reply: hello",
        "Undeliverable: Не печатается выписка",
        "Delivery Status Notification (Failure)",
        "Недоставленное сообщение",
    ],
)
def test_out_of_office_and_bounce_subjects_are_automatic(subject: str) -> None:
    """Out-of-office and bounce subjects in Russian and English are recognised."""
    mail = parse_message(message(Subject=subject))
    assert mail.is_automatic
    assert mail.automatic_reason == "auto-reply subject"


def test_auto_submitted_no_means_a_person() -> None:
    """RFC 3834: "Auto-Submitted: no" is explicitly human."""
    assert not parse_message(message(Auto_Submitted="no")).is_automatic


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X_Auto_Response_Suppress": "RN, NRN"},  # Outlook sets this on ordinary replies too
        {"X_Autoreply": "no"},
        {"Precedence": "first-class"},
        {"Subject": "Re: не приходит автоответ пациентам"},  # talks about auto-replies
        {"Subject": "Вопрос про отчёт Undelivered mail"},  # bounce words not at the start
    ],
)
def test_ordinary_mail_is_not_automatic(headers: dict[str, str]) -> None:
    """A person's mail stays human even when it mentions the words."""
    mail = parse_message(message(**headers))
    assert not mail.is_automatic
    assert mail.automatic_reason is None


def test_multipart_report_is_automatic() -> None:
    """A delivery or read report (multipart/report) is automatic whatever its headers say."""
    raw = (
        b"From: someone@clinic1.example\r\nSubject: Read: hello\r\nMessage-ID: <r@x>\r\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n'
        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n"
        b"--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\r\n--b--\r\n"
    )
    mail = parse_message(raw)
    assert mail.automatic_reason == "multipart/report"
    assert mail.text == "Your message was read."
