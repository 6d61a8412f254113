"""Mutated mail never breaks the parser: intake must survive any bytes (safety rules).

The seeds are the project's own test mails (tests/data/mail), plus the shared corpus where it is
present.

parse_message has a last-resort guard that turns an internal exception into a "parser failure"
defect; these tests assert that the guard is never needed, i.e. every stage copes on its own.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.data.mail.make_mails import HERE as OWN_MAILS
from tests.mail.corpus import mail_names, raw
from tracker_bridge.mail.parse import parse_message

# Mutating the 4 MB koi8-r mail 150 times would dominate the run; everything else is fair game.
SEEDS = [path.read_bytes() for path in sorted(OWN_MAILS.glob("*.eml"))]
SEEDS += [raw(name) for name in mail_names() if len(raw(name)) < 300_000]
LABELS = [b"koi8-r", b"windows-1251", b"utf-7", b"utf-16", b"iso-2022-jp", b"bogus", b"", b'"']
LABELS += [b"zlib", b"rot13", b"base64", b"idna", b"punycode", b"utf-32", b"cp037"]
CHARSET = re.compile(rb"charset=\"?[\w.:-]*\"?", re.IGNORECASE)


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed message after one to three random mutations."""
    data = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        data = draw(st.sampled_from(_MUTATIONS))(draw, data)
    return data


def _truncate(draw: st.DrawFn, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def _flip_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return data
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 20))):
        buffer[draw(st.integers(0, len(buffer) - 1))] = draw(st.integers(0, 255))
    return bytes(buffer)


def _delete_header(draw: st.DrawFn, data: bytes) -> bytes:
    lines = _lines(data)
    if not lines:
        return data
    del lines[draw(st.integers(0, min(len(lines), 40) - 1))]
    return b"".join(lines)


def _duplicate_header(draw: st.DrawFn, data: bytes) -> bytes:
    lines = _lines(data)
    if not lines:
        return data
    index = draw(st.integers(0, min(len(lines), 40) - 1))
    lines.insert(index, lines[index])
    return b"".join(lines)


def _swap_charset(draw: st.DrawFn, data: bytes) -> bytes:
    label = draw(st.sampled_from(LABELS))
    return CHARSET.sub(b"charset=" + label, data, count=draw(st.integers(0, 3)))


def _odd_encoded_word(draw: st.DrawFn, data: bytes) -> bytes:
    label = draw(st.sampled_from(LABELS)).strip(b'"') or b"x"
    kind = draw(st.sampled_from([b"B", b"Q", b"b", b"q"]))
    payload = draw(st.binary(max_size=40)).replace(b"?", b"").replace(b"\n", b"")
    header = b"Subject: =?" + label + b"?" + kind + b"?" + payload + b"?=\r\n"
    return header + data


_MUTATIONS = [
    _truncate,
    _flip_bytes,
    _delete_header,
    _duplicate_header,
    _swap_charset,
    _odd_encoded_word,
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_mail_parses_without_the_last_resort_guard(data: bytes) -> None:
    """Truncated, bit-flipped, header-mangled, charset-swapped mail: a message_id, no crash."""
    mail = parse_message(data)
    assert mail.message_id
    assert not any(d.startswith("parser failure") for d in mail.defects), mail.defects
    assert mail.date is None or mail.date.utcoffset() is not None


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_parse_without_the_last_resort_guard(data: bytes) -> None:
    """Any bytes at all give a mail with an id (garbage still reaches quarantine, never a crash)."""
    mail = parse_message(data)
    assert mail.message_id
    assert not any(d.startswith("parser failure") for d in mail.defects), mail.defects
