"""Header decoding: RFC 2047 as written and as broken by real clients."""

from __future__ import annotations

import pytest

from tests.mail.corpus import raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.headers import decode_header_value
from tracker_bridge.mail.parse import parse_message


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("=?utf-8?B?0J/RgNC40LLQtdGC?=", "Привет"),
        ("=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?=", "Привет"),
        ("=?koi8-r?B?8NLJ18XU?=", "Привет"),
        ("=?UTF-8*ru?Q?=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82?=", "Привет"),  # RFC 2231 language
        ("Re: =?utf-8?B?0J/RgNC40LLQtdGC?= SUP-42", "Re: Привет SUP-42"),
        ("=?utf-8?B?0J/RgA==?= =?utf-8?B?0LjQstC10YI=?=", "Привет"),  # whitespace between words
        ("=?utf-8?B?0J/R?= =?utf-8?Q?=80=D0=B8=D0=B2=D0=B5=D1=82?=", "Привет"),  # split mid-char
        ("=?utf-8?B?0J/RgNC40LLQtdGC?=\r\n =?utf-8?B?IQ==?=", "Привет!"),  # folded
        ("=?utf-8?B?0J/RgNC40LLQtdGC", "=?utf-8?B?0J/RgNC40LLQtdGC"),  # unterminated: literal
        ("=?bogus?Q?caf=E9?=", "café"),  # unknown charset: detected
        ("=?utf-8?B?!!!?=", ""),  # undecodable base64
        ("", ""),
        (None, ""),
    ],
)
def test_encoded_words(raw: str | None, text: str) -> None:
    """Encoded-words decode, joined across whitespace and across split characters."""
    assert decode_header_value(raw) == text


def test_raw_8bit_header_uses_utf8_then_hint_then_detection() -> None:
    """Raw 8-bit bytes (surrogate-escaped by the stdlib) decode as UTF-8, hint, or a guess."""
    as_read = "Привет".encode("cp1251").decode("ascii", errors="surrogateescape")
    assert decode_header_value(as_read) == "Привет"
    utf8 = "Привет".encode().decode("ascii", errors="surrogateescape")
    assert decode_header_value(utf8) == "Привет"
    koi8 = "тест тест".encode("koi8-r").decode("ascii", errors="surrogateescape")
    assert decode_header_value(koi8, hint="koi8-r") == "тест тест"


@needs_corpus
def test_folding_whitespace_collapses_like_mail_clients() -> None:
    """Badly folded headers read as Thunderbird shows them (its own test's expectation)."""
    mail = parse_message(raw("tb__badly-folded-headers.eml"))
    assert mail.subject == "Badly folded headers, one line with   space   between   To and From"
    assert mail.sender == "sender@example.com"
    assert mail.to == ("recipient@example.com",)


@needs_corpus
def test_long_folded_subject_is_unfolded() -> None:
    """RT's 200-digit subject comes back in one piece."""
    assert parse_message(raw("rt__very-long-subject.eml")).subject == "0123456789" * 30


def test_raw_8bit_subject_uses_the_charset_declared_for_the_body() -> None:
    """A raw GBK subject too short to detect is read with the body's declared charset."""
    subject = "你好".encode("gbk")
    raw = b"From: a@b\r\nSubject: " + subject + b"\r\nContent-Type: text/plain; charset=gb2312"
    assert parse_message(raw + b"\r\n\r\n" + subject).subject == "你好"
