"""format=flowed text (RFC 3676) is rejoined into paragraphs."""

from __future__ import annotations

from tracker_bridge.mail.flowed import unflow
from tracker_bridge.mail.parse import parse_message


def test_soft_breaks_are_joined_and_hard_breaks_kept() -> None:
    """A line ending in a space continues; one without ends the paragraph."""
    assert (
        unflow("Не печатается \nвыписка.\nВторая строка") == "Не печатается выписка.\nВторая строка"
    )


def test_quote_depth_and_signature_separator() -> None:
    """Quoted flowed lines join within their depth; "-- " stays a signature separator."""
    text = "> старый \n> текст\n>> глубже \n>> ещё\n-- \nИванова"
    assert unflow(text) == "> старый текст\n>> глубже ещё\n-- \nИванова"


def test_delsp_and_space_stuffing() -> None:
    """DelSp=yes removes the joining space; a stuffed leading space is removed."""
    assert unflow("abc \ndef", delsp=True) == "abcdef"
    assert unflow("  From here") == " From here"


def test_flowed_mail_body_is_unflowed() -> None:
    """A text/plain; format=flowed part reaches the text already joined."""
    raw = (
        b"From: a@clinic1.example\r\nSubject: x\r\nMessage-ID: <f@x>\r\n"
        b"Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
        + "Логин: ivanova \nanna\r\n".encode()
    )
    mail = parse_message(raw)
    assert mail.text == "Логин: ivanova anna"
    assert mail.fields == {"login": "ivanova anna"}
