"""Broken header blocks are repaired before parsing, so Subject and From are not lost."""

from __future__ import annotations

from tests.mail.corpus import raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.mail.repair import repair_headers


@needs_corpus
def test_junk_line_before_the_headers_is_skipped() -> None:
    """A pasted "---- Original email message ----" line above the headers is dropped."""
    mail = parse_message(raw("zammad__mail068.box.eml"))
    assert (mail.subject, mail.sender) == ("Contact from Server", "xxxxx@xxxxx.cz")
    assert "junk before headers skipped" in mail.defects


@needs_corpus
def test_continuation_lines_without_indent_are_folded() -> None:
    """Header continuation lines that lost their indent no longer end the header block."""
    mail = parse_message(raw("zammad__mail054.box.eml"))
    assert mail.subject == "AW: One Net Business"
    assert mail.text == "some text"
    assert "header continuation repaired" in mail.defects


@needs_corpus
def test_blank_line_before_content_type_is_removed() -> None:
    """mail.ru's blank line after Subject no longer pushes Content-Type into the body."""
    mail = parse_message(raw("djmailbox__message_with_single_byte_extended_subject_encoding.eml"))
    assert "Content-Type" not in mail.text
    assert "blank line inside header block removed" in mail.defects


def test_mbox_from_line_is_dropped_silently() -> None:
    """An mbox "From " envelope line is not a defect."""
    fixed, defects = repair_headers(b"From a@b Mon Jan 1 00:00:00 2025\nSubject: x\n\nbody\n")
    assert fixed == b"Subject: x\n\nbody\n"
    assert defects == ()


def test_a_sound_message_is_returned_unchanged() -> None:
    """No repair, no copy: a well-formed message passes through as the same bytes."""
    data = b"Subject: x\r\nFrom: a@b\r\n\r\nbody\r\n"
    fixed, defects = repair_headers(data)
    assert fixed is data and defects == ()


def test_missing_blank_line_keeps_the_body_out_of_the_headers() -> None:
    """Headers followed directly by text (no blank line) are not all folded into one header."""
    fixed, _ = repair_headers(b"Subject: x\nFrom: a@b\nHello there\nsecond line\n")
    mail = parse_message(fixed)
    assert mail.subject == "x"
    assert "Hello there" in mail.text
