"""Reading one MIME part without ever raising: types, parameters, bytes and text."""

from __future__ import annotations

import email
import email.policy
from email.message import Message

from tracker_bridge.mail.parts import content_id, content_type, disposition, param, part_text


def part(headers: bytes, body: bytes = b"") -> Message:
    return email.message_from_bytes(headers + b"\r\n\r\n" + body, policy=email.policy.compat32)


def test_missing_or_nonsense_content_type() -> None:
    """No Content-Type is text/plain; a nonsense one is treated as binary."""
    assert content_type(part(b"Subject: x")) == "text/plain"
    assert content_type(part(b"Content-Type: IMAGE/PJPEG")) == "image/pjpeg"


def test_disposition_and_content_id() -> None:
    """Disposition is lower-cased; Content-ID loses brackets and folding."""
    found = part(b"Content-Disposition: INLINE; filename=a.png\r\nContent-ID:\r\n <a@b>")
    assert disposition(found) == "inline"
    assert content_id(found) == "a@b"
    assert disposition(part(b"Subject: x")) is None and content_id(part(b"Subject: x")) is None


def test_parameters_in_every_encoding() -> None:
    """RFC 2231, RFC 2047 inside quotes and raw 8-bit parameters all decode."""
    assert param(part(b"Content-Type: text/plain; name*=utf-8''%D0%90.txt"), "name") == "А.txt"
    assert param(part(b'Content-Type: text/plain; name="=?koi8-r?B?4Q==?=.txt"'), "name") == "А.txt"
    raw8 = part('Content-Type: text/plain; charset=cp1251; name="Акт.txt"'.encode("cp1251"))
    assert param(raw8, "name") == "Акт.txt"
    assert param(part(b"Subject: x"), "name") is None


def test_text_uses_the_meta_charset_of_html_when_mime_has_none() -> None:
    """An HTML part without a MIME charset is decoded by its <meta charset>."""
    html = '<meta charset="windows-1251"><p>Привет</p>'.encode("cp1251")
    text, note = part_text(part(b"Content-Type: text/html", html))
    assert "Привет" in text and note is None


def test_text_line_endings_are_normalised() -> None:
    """CRLF and lone CR become LF."""
    text, _ = part_text(part(b"Content-Type: text/plain; charset=utf-8", b"a\r\nb\rc"))
    assert text == "a\nb\nc"
