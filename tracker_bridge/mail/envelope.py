"""Who, to whom, when, and which thread: addresses, Message-IDs and the Date header."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_tz

from tracker_bridge.mail.headers import decode_header_value, unfold

__all__ = ["addresses", "message_ids", "parse_date", "synthetic_message_id"]

_ADDRESS = re.compile(r"[^\s<>\"'(),;:\[\]@]+@[^\s<>\"'(),;:\[\]@]+")
_ANGLE_ID = re.compile(r"<\s*([^<>\s]+)\s*>")
_COMMENT = re.compile(r"\([^()]*\)")
_MIN_YEAR, _MAX_YEAR = 1970, 2200


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs of address headers; empty addresses dropped."""
    found: list[tuple[str, str]] = []
    for value in values:
        found.extend(_parse_one(unfold(value)))
    return found


def _parse_one(value: str) -> list[tuple[str, str]]:
    try:
        pairs = getaddresses([value])
    except Exception:  # stdlib address parser on hostile input
        pairs = []
    result = [(decode_header_value(n).strip().strip("\"'"), a.strip()) for n, a in pairs]
    result = [(name, address.lower()) for name, address in result if address]
    if all(_ADDRESS.fullmatch(address) for _, address in result) and result:
        return result
    # Repair: no address, or one the stdlib mangled ("Test test@example.com"): take what
    # looks like an address, spaces inside <...> removed, keep a bare local part (MAILER-DAEMON).
    squeezed = _ANGLE_ID.sub(
        lambda m: "<" + m.group(1) + ">", re.sub(r"<([^<>]*)>", _nospace, value)
    )
    found = [
        (decode_header_value(_name_before(squeezed, m.start())), m.group(0).lower())
        for m in _ADDRESS.finditer(squeezed)
    ]
    return found or result


def _nospace(match: re.Match[str]) -> str:
    return "<" + re.sub(r"\s+", "", match.group(1)) + ">"


def _name_before(value: str, end: int) -> str:
    start = max(value.rfind(",", 0, end), -1) + 1
    return value[start:end].strip().strip("<").strip().strip("\"'").strip()


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
    """A stable id for a message that has none: the same bytes always give the same id."""
    return f"sha256-{hashlib.sha256(raw).hexdigest()}@tracker-bridge"


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
