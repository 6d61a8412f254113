"""Who, to whom, when, and which thread: addresses, Message-IDs and the Date header."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_tz

from tracker_bridge.mail.charsets import decode_raw
from tracker_bridge.mail.headers import decode_header_value, header_bytes, unfold

__all__ = ["addresses", "message_ids", "parse_date", "synthetic_message_id"]

# Bounded parts (RFC 5321 limits): an unbounded run would make search() quadratic on junk.
_ADDRESS = re.compile(r"[^\s<>\"'(),;:\[\]@]{1,64}@[^\s<>\"'(),;:\[\]@]{1,255}")
_BRACKETED = re.compile(r"<([^<>]*@[^<>]*)>")
_ANGLE_ID = re.compile(r"<\s*([^<>\s]+)\s*>")
_COMMENT = re.compile(r"\([^()]*\)")
_MIN_YEAR, _MAX_YEAR = 1970, 2200
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_UNFOLD = re.compile(rb"\r?\n(?=[ \t])")
_AUTHOR_FIELDS = frozenset({b"from", b"to", b"cc", b"subject", b"date", b"in-reply-to"})


def addresses(values: list[str], hint: str | None = None) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs of address headers; empty addresses dropped.

    ``hint`` is the charset for display names written as raw 8-bit bytes.
    """
    found: list[tuple[str, str]] = []
    for value in values:
        found.extend(_parse_one(unfold(value), hint))
    return found


def _parse_one(value: str, hint: str | None) -> list[tuple[str, str]]:
    try:
        pairs = getaddresses([value])
    except Exception:  # stdlib address parser on hostile input
        pairs = []
    quoted = '"' in value
    result = [(_display_name(n, hint, quoted), _address_text(a, hint)) for n, a in pairs if a]
    bracketed = [_address_text(re.sub(r"\s+", "", a), hint) for a in _BRACKETED.findall(value)]
    chunks = _chunks(value)
    valid = bool(result) and all(_ADDRESS.fullmatch(address) for _, address in result)
    if valid and len(result) == len(chunks) and set(bracketed) <= {a for _, a in result}:
        return result
    # The stdlib mangled it ("alice@x <bob@y>", "Test test@x", "<a b@x>"): chunk by chunk.
    return [pair for chunk in chunks if (pair := _chunk_address(chunk, hint))] or result


def _chunks(value: str) -> list[str]:
    """``value`` split at commas that are outside double quotes (one linear pass)."""
    chunks, start, quoted = [], 0, False
    for index, char in enumerate(value):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            chunks.append(value[start:index])
            start = index + 1
    chunks.append(value[start:])
    return [chunk for chunk in chunks if chunk.strip()]


def _chunk_address(chunk: str, hint: str | None) -> tuple[str, str] | None:
    bracket = _BRACKETED.search(chunk)
    if bracket:
        raw_name = chunk[: bracket.start()].strip()
        name = raw_name.strip('"').strip()
        address = _address_text(re.sub(r"\s+", "", bracket.group(1)), hint)
        return _display_name(name, hint, '"' in raw_name), address
    bare = _ADDRESS.search(chunk)
    if bare is None:
        return None
    name = (chunk[: bare.start()] + chunk[bare.end() :]).strip().strip('"()').strip()
    return _display_name(name, hint, quoted=False), _address_text(bare.group(0), hint)


def _address_text(address: str, hint: str | None) -> str:
    """The lower-cased address as text: raw 8-bit bytes in it (UTF-8 per RFC 6532, or junk)
    decoded, so what the store, quarantine and logs get is always valid Unicode."""
    if not address.isascii():
        address = decode_raw(header_bytes(address), hint)
    return address.strip().lower()


def _display_name(raw: str, hint: str | None, quoted: bool) -> str:
    """The decoded name; an unquoted (comment) beside a name is not part of it (RFC 5322)."""
    name = decode_header_value(raw, hint).strip()
    without = _COMMENT.sub(" ", name).strip() if "(" in name and not quoted else name
    return " ".join(without.split()) if without else name


def message_ids(value: str | None) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References header, without angle brackets."""
    if not value:
        return []
    text = decode_header_value(value)
    ids = _ANGLE_ID.findall(text)
    if ids:
        return ids
    bare = _COMMENT.sub(" ", text).split()
    return [token.strip("<>,;") for token in bare if token.strip("<>,;")][:1]


def synthetic_message_id(raw: bytes) -> str:
    """A stable id for a message that has none, for exactly-once intake (PRIOR-ART §13.1).

    It hashes what the sender wrote (From, To, Cc, Subject, Date and the body), not the trace
    headers relays add, so one mail delivered to two mailboxes gets one id.
    """
    digest = hashlib.sha256()
    end = _HEAD_END.search(raw)
    head, body = (raw[: end.start()], raw[end.end() :]) if end else (b"", raw)
    for line in _UNFOLD.sub(b" ", head).splitlines():
        name = line.split(b":", 1)[0].strip().lower()
        if name in _AUTHOR_FIELDS:
            digest.update(line.strip() + b"\n")
    digest.update(b"\n" + body)
    return f"sha256-{digest.hexdigest()}@tracker-bridge"


def parse_date(value: str | None) -> tuple[datetime | None, str | None]:
    """An aware datetime from a Date header, or None and a defect note."""
    if value is None or not value.strip():
        return None, "missing Date"
    text = _COMMENT.sub(" ", unfold(decode_header_value(value))).strip()
    try:
        parts = parsedate_tz(text)
    except Exception:
        parts = None
    if parts is None or not _MIN_YEAR <= parts[0] <= _MAX_YEAR:
        return None, "unparseable Date"
    offset = parts[9] or 0
    zone = timezone(timedelta(seconds=offset)) if abs(offset) < 86400 else UTC
    try:
        return datetime(*parts[:6], tzinfo=zone), None
    except (ValueError, OverflowError):
        return None, "unparseable Date"
