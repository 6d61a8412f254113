"""Every message of the shared corpus parses into a well-formed InboundMail (R1, R7)."""

from __future__ import annotations

import pytest

from tests.mail.corpus import mail_names, raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.regulation.model import FIELD_NAMES, Attachment, InboundMail

NAMES = mail_names()


@needs_corpus
def test_the_corpus_has_all_190_messages() -> None:
    """The corpus the parser is held to is complete (a missing file would hide a regression)."""
    assert len(NAMES) == 190


@needs_corpus
@pytest.mark.parametrize("name", NAMES)
def test_r7_every_corpus_message_parses_into_a_well_formed_mail(name: str) -> None:
    """No message raises; each has an id, an aware date or none, and well-typed fields."""
    mail = parse_message(raw(name))
    assert isinstance(mail, InboundMail)
    assert mail.message_id and "<" not in mail.message_id and ">" not in mail.message_id
    assert mail.date is None or mail.date.utcoffset() is not None
    assert mail.sender == mail.sender.lower()
    assert all(a == a.lower() and a for a in (*mail.to, *mail.cc, *mail.delivered_to))
    assert "\r" not in mail.text and "\n" not in mail.subject
    assert set(mail.fields) <= set(FIELD_NAMES)
    assert all(isinstance(a, Attachment) and a.filename for a in mail.attachments)
    assert all("/" not in a.filename and "\n" not in a.filename for a in mail.attachments)
    assert mail.is_automatic == (mail.automatic_reason is not None)


@needs_corpus
@pytest.mark.parametrize("name", NAMES)
def test_parsing_is_deterministic(name: str) -> None:
    """The same bytes give the same result, synthetic Message-ID included (dedupe needs it)."""
    assert parse_message(raw(name)) == parse_message(raw(name))


@needs_corpus
def test_missing_message_id_gets_a_stable_synthetic_one() -> None:
    """A message without Message-ID is identified by a hash of its bytes."""
    mail = parse_message(raw("dovecot__000.eml"))
    assert mail.message_id.startswith("sha256-") and mail.message_id.endswith("@tracker-bridge")
    assert "missing Message-ID" in mail.defects
    other = parse_message(raw("dovecot__000.eml") + b"\n")
    assert other.message_id != mail.message_id


@needs_corpus
def test_message_id_is_normalised_without_angle_brackets() -> None:
    """Message-ID is stored bare, also when the sender forgot the brackets."""
    assert parse_message(raw("zammad__mail080.box.eml")).message_id == (
        "4C4ECFBF-BA12-46D9-A407-8E873F20DEF3@example.de"
    )
    assert parse_message(raw("zammad__mail068.box.eml")).message_id == (
        "20180802145828.58E7387959@mail.xxxxxx.cz"
    )


@needs_corpus
def test_threading_headers_are_read() -> None:
    """In-Reply-To takes the first of several ids; References keeps every id in order."""
    mail = parse_message(raw("chatwoot__multiple_in_reply_to.eml"))
    assert mail.in_reply_to == "4e6e35f5a38b4_479f13bb90078171@small-app-01.mail"
    refs = parse_message(raw("zammad__mail004.box.eml")).references
    assert refs and all("<" not in r for r in refs)


@needs_corpus
def test_unparseable_date_is_a_defect_not_an_error() -> None:
    """A Date in the year 3609 is dropped with a defect."""
    mail = parse_message(raw("rubymail__raw_email_bad_time.eml"))
    assert mail.date is None
    assert "unparseable Date" in mail.defects


@needs_corpus
def test_date_keeps_its_offset() -> None:
    """Date is aware and keeps the sender's UTC offset."""
    mail = parse_message(raw("zammad__mail080.box.eml"))
    assert mail.date is not None
    assert mail.date.isoformat() == "2012-07-02T17:14:37+02:00"


@needs_corpus
def test_delivered_to_and_x_original_to_are_collected() -> None:
    """Routing (R2) sees Delivered-To and X-Original-To, lower-cased."""
    mail = parse_message(raw("zammad__mail080.box.eml"))
    assert mail.delivered_to == ("martin@samba.example.de", "me@example.de")
    assert mail.recipients[:2] == mail.delivered_to


def test_sender_falls_back_when_from_is_missing() -> None:
    """Without From, Sender or Return-Path give the sender."""
    mail = parse_message(b"Return-Path: <Bot@Example.COM>\nSubject: x\n\nhi\n")
    assert mail.sender == "bot@example.com"


@needs_corpus
def test_address_edge_cases() -> None:
    """Encoded names with commas, names that look like addresses, empty and spaced addresses."""
    assert parse_message(raw("spamscope__mail_test_18.eml")).sender_name == (
        "LastßlName, FirstName"
    )
    test19 = parse_message(raw("spamscope__mail_test_19.eml"))
    assert (test19.sender_name, test19.sender) == ("alice@example.com", "bob@example.com")
    assert parse_message(raw("zammad__mail059.box.eml")).sender == "ly@example.com"
    assert parse_message(raw("zammad__mail071.box.eml")).sender == (
        "powerquadrantsystem@example.com"
    )
    assert parse_message(raw("zammad__mail087.box.eml")).sender == "test@example.com"


def test_mime_nested_too_deep_for_the_stdlib_still_gives_the_headers() -> None:
    """3000 nested multiparts would overflow the stdlib parser (and cost it time quadratic in the
    depth): the body is read as text, without the parser's last-resort guard (issue 17)."""
    nested = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(3000)
    )
    raw = b"From: A@B.example\r\nSubject: deep\r\nMessage-ID: <d@x>\r\n" + nested
    mail = parse_message(raw + b"Content-Type: text/plain\r\n\r\nhello\r\n")
    assert (mail.message_id, mail.subject, mail.sender) == ("d@x", "deep", "a@b.example")
    assert mail.defects[0] == "more than 40 multipart containers: body read as text"
    assert mail.text.endswith("hello")
