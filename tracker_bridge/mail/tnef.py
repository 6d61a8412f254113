"""Outlook's winmail.dat (application/ms-tnef): unpack the files inside, keep the blob otherwise."""

from __future__ import annotations

import mimetypes

from tnefparse import TNEF

from tracker_bridge.mail.filenames import safe_filename
from tracker_bridge.regulation.model import Attachment

__all__ = ["is_tnef", "unpack_tnef"]


def is_tnef(content_type: str, filename: str | None) -> bool:
    """Whether a part is a TNEF container."""
    named = (filename or "").lower() == "winmail.dat"
    return content_type in ("application/ms-tnef", "application/vnd.ms-tnef") or named


def unpack_tnef(data: bytes) -> tuple[tuple[Attachment, ...], str | None]:
    """The files inside a TNEF blob, or () and the reason it could not be unpacked."""
    try:
        container = TNEF(data)
        files = tuple(_attachment(item, index) for index, item in enumerate(container.attachments))
    except Exception as error:  # any parse failure keeps the original blob
        return (), f"TNEF not unpacked: {type(error).__name__}"
    return files, (None if files else "TNEF holds no files")


def _attachment(item: object, index: int) -> Attachment:
    raw_name = getattr(item, "long_filename", lambda: "")() or getattr(item, "name", "")
    if isinstance(raw_name, bytes):
        raw_name = raw_name.decode("utf-8", errors="replace")
    name = safe_filename(str(raw_name).strip("\x00")) or f"attachment-{index + 1}.bin"
    content_type = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
    data = getattr(item, "data", b"")
    return Attachment(name, content_type, data if isinstance(data, bytes) else b"")
