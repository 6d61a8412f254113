"""Attachment file names: decoded, made safe, and invented when the sender gave none."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from email.message import Message

from tracker_bridge.mail.headers import decode_header_value
from tracker_bridge.mail.parts import param, raw_header

__all__ = ["declared_filename", "fallback_name", "safe_filename", "unique_name"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_MAX_LENGTH = 200
_STEMS = {
    "message/delivery-status": "delivery-status",
    "text/calendar": "invite",
    "text": "document",
    "image": "image",
    "video": "video",
    "audio": "audio",
}
_NAMED_CID = re.compile(r"[\w\- ]{1,100}\.[A-Za-z0-9]{2,5}")
_EXTENSIONS = {
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "text/rfc822-headers": ".txt",
    "text/plain": ".txt",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "application/octet-stream": ".bin",
}


def declared_filename(part: Message) -> str | None:
    """The name the sender gave: Content-Disposition filename, else Content-Type name."""
    for name, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = safe_filename(param(part, name, header))
        if value:
            return value
    return None


def fallback_name(part: Message, content_type: str, subject: str | None = None) -> str:
    """A name for a part without one: its description, the enclosed subject, or its type."""
    extension = extension_for(content_type)
    description = safe_filename(decode_header_value(raw_header(part, "content-description")))
    cid = _filename_like_cid(part)
    if cid:
        return cid
    for stem in (safe_filename(subject), description):  # Zammad's order: subject, description
        if stem:
            return stem if stem.lower().endswith(extension) else stem + extension
    stem = _STEMS.get(content_type) or _STEMS.get(content_type.split("/", 1)[0], "attachment")
    return stem + extension


def _filename_like_cid(part: Message) -> str | None:
    """Outlook names inline images only in the Content-ID: <image001.jpg@01CDB132.D8A510F0>."""
    value = (raw_header(part, "content-id") or "").strip().strip("<>")
    local = value.split("@", 1)[0]
    return safe_filename(local) if _NAMED_CID.fullmatch(local) else None


def extension_for(content_type: str) -> str:
    """A file extension (with dot) for ``content_type``; .bin when unknown."""
    known = _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type, strict=False)
    return known or ".bin"


def safe_filename(name: str | None) -> str | None:
    """``name`` without control characters or directories (a name, never a path), or None."""
    if not name:
        return None
    cleaned = _CONTROL.sub("", unicodedata.normalize("NFC", name))  # macOS sends NFD names
    cleaned = cleaned.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if cleaned.strip(". ") == "":
        return None
    if len(cleaned) > _MAX_LENGTH:
        stem, dot, extension = cleaned.rpartition(".")
        keep = extension[:20] if dot else ""
        cleaned = (stem if dot else cleaned)[: _MAX_LENGTH - len(keep) - 1] + (dot + keep)
    return cleaned


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name1.ext``, ``name2.ext`` … if an earlier attachment already has it."""
    if name not in taken:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    counter = 1
    while f"{stem}{counter}{dot}{extension}" in taken:
        counter += 1
    return f"{stem}{counter}{dot}{extension}"
