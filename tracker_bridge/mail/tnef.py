"""Outlook's winmail.dat (application/ms-tnef): unpack files and body, keep the blob otherwise."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from tnefparse import TNEF

from tracker_bridge.mail.charsets import decode_bytes
from tracker_bridge.mail.filenames import safe_filename
from tracker_bridge.regulation.model import Attachment

__all__ = ["TnefContent", "is_tnef", "unpack_tnef"]


@dataclass(frozen=True)
class TnefContent:
    """What a TNEF blob held; ``failure`` says why it could not be read (then keep the blob)."""

    files: tuple[Attachment, ...] = ()
    text: str = ""
    html: str = ""
    failure: str | None = None


def is_tnef(content_type: str, filename: str | None) -> bool:
    """Whether a part is a TNEF container."""
    named = (filename or "").lower() == "winmail.dat"
    return content_type in ("application/ms-tnef", "application/vnd.ms-tnef") or named


def unpack_tnef(data: bytes) -> TnefContent:
    """The files and body inside a TNEF blob."""
    try:
        container = TNEF(data)
        codepage = getattr(container, "codepage", None)
        files = tuple(
            _attachment(item, index, codepage) for index, item in enumerate(container.attachments)
        )
        text = _text(getattr(container, "body", None), codepage)
        html = _text(getattr(container, "htmlbody", None), codepage)
    except Exception as error:  # any parse failure keeps the original blob
        return TnefContent(failure=f"TNEF not unpacked: {type(error).__name__}")
    return TnefContent(files, text, html)


def _text(value: object, codepage: str | None) -> str:
    if isinstance(value, bytes):
        return decode_bytes(value.rstrip(b"\x00"), codepage)[0]
    return value.rstrip("\x00") if isinstance(value, str) else ""


def _attachment(item: object, index: int, codepage: str | None) -> Attachment:
    try:
        raw_name = getattr(item, "long_filename", lambda: "")() or getattr(item, "name", "")
    except UnicodeDecodeError:
        # tnefparse reads the 8-bit title as UTF-8; Outlook writes it in the message's code
        # page (windows-1251 for Russian Outlook), which the container names.
        raw_name = getattr(item, "_name", b"")
    if isinstance(raw_name, bytes):
        raw_name = decode_bytes(raw_name.strip(b"\x00"), codepage)[0]
    name = safe_filename(str(raw_name).strip("\x00")) or f"attachment-{index + 1}.bin"
    content_type = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
    data = getattr(item, "data", b"")
    return Attachment(name, content_type, data if isinstance(data, bytes) else b"")
