"""Header values → text: RFC 2047 encoded-words, broken ones and raw 8-bit bytes.

The stdlib decoder gives up on encoded-words split in the middle of a character, on unknown
charset labels and on raw 8-bit headers. Here adjacent encoded-words of one charset are joined as
bytes before decoding, unknown labels fall back to detection, and raw bytes go through the same
charset guessing as bodies (:mod:`tracker_bridge.mail.charsets`).
"""

from __future__ import annotations

import base64
import binascii
import re

from tracker_bridge.mail.charsets import decode_bytes, decode_raw

__all__ = ["decode_header_value", "header_bytes", "unfold"]

_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def header_bytes(value: str) -> bytes:
    """The bytes behind a header value read with surrogateescape (raw 8-bit kept as bytes)."""
    return value.encode("utf-8", errors="surrogateescape")


def unfold(value: str) -> str:
    """Join folded header lines: each fold with the blanks around it becomes one space.

    Stricter RFC 5322 unfolding keeps the blanks, which leaves "Badly    folded" gaps where
    clients wrapped long subjects; mail clients show one space, and so do we.
    """
    if "\n" not in value and "\r" not in value:
        return value
    # line by line, not one regex: "[ \t]*" before a break rescans every run of blanks that has
    # none after it, quadratic in a 100 KB header of spaces
    first, *middle, last = _LINE_BREAK.split(value)
    inner = [line.strip(" \t") for line in middle]
    return " ".join([first.rstrip(" \t"), *filter(None, inner), last.lstrip(" \t")])


def decode_header_value(value: str | None, hint: str | None = None) -> str:
    """Decode a raw header value; ``hint`` is the charset for raw 8-bit bytes. Never raises."""
    if not value:
        return ""
    raw = header_bytes(unfold(value))
    pieces: list[tuple[str | None, bytes]] = []  # (charset or None for literal text, bytes)
    position = 0
    for match in _ENCODED_WORD.finditer(raw):
        literal = raw[position : match.start()]
        if literal and not (literal.isspace() and pieces and pieces[-1][0] is not None):
            pieces.append((None, literal))
        charset = match.group(1).decode("ascii", "replace").split("*", 1)[0]
        pieces.append((charset.lower(), _word_bytes(match.group(2), match.group(3))))
        position = match.end()
    if raw[position:]:
        pieces.append((None, raw[position:]))
    return "".join(_decode_run(charset, data, hint) for charset, data in _merge(pieces))


def _word_bytes(kind: bytes, payload: bytes) -> bytes:
    if kind in (b"B", b"b"):
        cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", payload)
        cleaned += b"=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return b""
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), payload.replace(b"_", b" "))


def _merge(pieces: list[tuple[str | None, bytes]]) -> list[tuple[str | None, bytes]]:
    """Join neighbours of one charset, so a character split over two words is whole again."""
    merged: list[tuple[str | None, bytes]] = []
    for charset, data in pieces:
        if merged and merged[-1][0] == charset:
            merged[-1] = (charset, merged[-1][1] + data)
        else:
            merged.append((charset, data))
    return merged


def _decode_run(charset: str | None, data: bytes, hint: str | None) -> str:
    if charset is None:
        return decode_raw(data, hint)
    return decode_bytes(data, charset)[0]
