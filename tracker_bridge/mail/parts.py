"""Small, never-raising readers of one MIME part (stdlib ``email.message.Message``, compat32).

compat32 is used because its header access never raises on malformed input; every value that
needs decoding goes through :mod:`tracker_bridge.mail.headers` instead of the stdlib.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from email.message import Message

from tracker_bridge.mail.charsets import decode_bytes, decode_raw
from tracker_bridge.mail.flowed import unflow
from tracker_bridge.mail.headers import decode_header_value, header_bytes, unfold

__all__ = [
    "content_id",
    "content_type",
    "disposition",
    "param",
    "part_bytes",
    "part_text",
    "raw_header",
]

_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_UU = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})


def raw_header(part: Message, name: str) -> str | None:
    """The first raw value of header ``name`` (8-bit bytes surrogate-escaped), or None."""
    wanted = name.lower()
    for key, value in part.raw_items():
        if key.lower() == wanted:
            return value if isinstance(value, str) else str(value)
    return None


def content_type(part: Message) -> str:
    """The lower-cased MIME type; text/plain when the header is missing or nonsense."""
    try:
        value = part.get_content_type().lower()
    except Exception:  # compat32 can trip over any malformed header
        return "text/plain"
    return value if re.fullmatch(r"[\w.+-]+/[\w.+-]+", value) else "application/octet-stream"


def disposition(part: Message) -> str | None:
    """ "inline", "attachment" or None."""
    value = raw_header(part, "content-disposition")
    if not value:
        return None
    kind = unfold(value).split(";", 1)[0].strip().lower()
    return kind or None


def content_id(part: Message) -> str | None:
    """The Content-ID without angle brackets."""
    value = raw_header(part, "content-id")
    cleaned = unfold(value).strip().strip("<>").strip() if value else ""
    return cleaned or None


def param(part: Message, name: str, header: str = "content-type") -> str | None:
    """A decoded header parameter (RFC 2231 and the non-standard RFC 2047 forms)."""
    raw = raw_header(part, header)
    if raw is None:
        return None
    if not raw.isascii():  # raw 8-bit parameters: decode first, the stdlib would lose them
        holder = Message()
        holder[header] = decode_raw(header_bytes(raw), _declared_charset(part))
        part = holder
    try:
        value = part.get_param(name, header=header)
    except Exception:
        return None
    if isinstance(value, tuple):
        charset, _language, text = value
        return decode_bytes(_latin1_bytes(text), charset or "utf-8")[0]
    if not isinstance(value, str):
        return None
    return decode_header_value(value, _declared_charset(part))


def _latin1_bytes(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return header_bytes(text)


def part_bytes(part: Message) -> bytes:
    """The decoded content of a part (for message/* parts, the enclosed message)."""
    try:
        if part.is_multipart():
            return _enclosed_bytes(part)
        if _transfer_encoding(part) in _UU:
            return _uudecode(str(part.get_payload()))
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else b""
    except Exception:  # a broken part yields no bytes rather than no mail
        return b""


def _transfer_encoding(part: Message) -> str:
    return str(part.get("content-transfer-encoding") or "").strip().lower()


def _uudecode(text: str) -> bytes:
    """uuencode with or without its "begin" line (the stdlib needs one, Outlook omits it)."""
    lines = text.splitlines()
    begin = next((i for i, line in enumerate(lines) if line.startswith("begin ")), -1)
    decoded = bytearray()
    for line in lines[begin + 1 :]:
        if line.strip() in ("end", "`", ""):
            break
        try:
            decoded += binascii.a2b_uu(line.encode("ascii", errors="replace"))
        except binascii.Error:
            continue  # one damaged line costs its 45 bytes, not the file
    return bytes(decoded)


def _enclosed_bytes(part: Message) -> bytes:
    try:
        rendered = part.as_bytes()
    except Exception:  # the bytes generator refuses some broken trees; the text one is laxer
        rendered = part.as_string().encode("utf-8", errors="surrogateescape")
    body = _HEADER_END.split(rendered, 1)[-1].lstrip(b"\r\n")
    encoding = _transfer_encoding(part)
    if encoding == "base64":
        try:
            cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", body)
            return base64.b64decode(cleaned[: len(cleaned) - len(cleaned) % 4])
        except (binascii.Error, ValueError):
            return body
    if encoding == "quoted-printable":
        return quopri.decodestring(body)
    return body


def part_text(part: Message) -> tuple[str, str | None]:
    """The text of a text/* part and a charset defect note if its declaration was wrong."""
    data = part_bytes(part)
    declared = _declared_charset(part)
    if declared is None and content_type(part) == "text/html":
        match = _META_CHARSET.search(data[:4096])
        declared = match.group(1).decode("ascii") if match else None
    text, note = decode_bytes(data, declared)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if content_type(part) == "text/plain" and _param_is(part, "format", "flowed"):
        text = unflow(text, delsp=_param_is(part, "delsp", "yes"))
    return text, note


def _param_is(part: Message, name: str, value: str) -> bool:
    try:
        found = part.get_param(name)
    except Exception:  # compat32 can trip over a malformed Content-Type
        return False
    return isinstance(found, str) and found.strip().lower() == value


def _declared_charset(part: Message) -> str | None:
    try:
        value = part.get_param("charset")
    except Exception:
        return None
    if isinstance(value, tuple):
        value = value[2]
    return value if isinstance(value, str) and value.strip() else None
