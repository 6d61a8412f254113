"""Walk the MIME tree once: which parts are the body, which are attachments.

Rules (kept close to what mail clients display):
- multipart/alternative: text/plain if it has any text, else the richest (last) HTML branch; the
  other branches add no body text, but files inside them (inline images, invites) are kept;
- multipart/related: the first part is the body, the rest are inline resources (cid images);
- multipart/signed: the signed content; the detached signature is dropped;
- inline text parts without a file name are body text (several are joined: Apple Mail splits
  the text around pictures); everything else, message/* included, is an attachment.
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser

from tracker_bridge.mail.filenames import declared_filename, fallback_name, unique_name
from tracker_bridge.mail.headers import decode_header_value
from tracker_bridge.mail.html import html_to_text
from tracker_bridge.mail.parts import (
    content_id,
    content_type,
    disposition,
    part_bytes,
    part_text,
    raw_header,
)
from tracker_bridge.mail.tnef import TnefContent, is_tnef, unpack_tnef
from tracker_bridge.regulation.model import Attachment

__all__ = ["Layout", "lay_out"]

_MAX_DEPTH = 40
_MIME_DEBRIS = re.compile(r"^(--\S+\s*$|content-[\w-]+:|mime-version:)", re.IGNORECASE)
_BODY_TYPES = ("text/plain", "text/html")
_MESSAGES = ("message/rfc822", "message/global")
_HEAD_BYTES = 64 * 1024  # enough for any header block; a forwarded message can be large
_BLANK_LINES = re.compile(r"\n{3,}")
_SIGNATURES = (
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
)


@dataclass
class Layout:
    """The body text segments (type, text) and the attachments of one message."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    unshown_html: list[str] = field(default_factory=list)  # HTML alternatives not chosen

    @property
    def html_alternative(self) -> str:
        """The HTML alternatives that lost to text/plain, as text (a second source of R7 fields)."""
        return "\n\n".join(_tidy(html_to_text(markup)) for markup in self.unshown_html)

    @property
    def text(self) -> str:
        """The body as plain text: HTML converted, segments joined by a blank line."""
        converted = (html_to_text(t) if kind == "text/html" else t for kind, t in self.texts)
        return "\n\n".join(_tidy(t) for t in converted if t.strip())


def lay_out(message: Message) -> Layout:
    """Split ``message`` into body text and attachments."""
    walker = _Walker()
    for part in message.walk():
        boundary = _boundary(part)
        walker.delimiters |= {f"--{boundary}", f"--{boundary}--"} if boundary else set()
    walker.visit(message, depth=0)
    return walker.layout


class _Walker:
    def __init__(self) -> None:
        self.layout = Layout()
        self.shadow = 0  # >0 while inside an alternative branch that is not shown
        self.names: set[str] = set()
        self.texts: dict[int, str] = {}
        self.delimiters: set[str] = set()  # "--boundary" lines of every multipart in the mail

    def visit(self, part: Message, depth: int, resource: bool = False) -> None:
        if depth > _MAX_DEPTH:
            self.layout.defects.append("MIME nesting too deep")
            return
        kind = content_type(part)
        if kind.startswith("message/") or not kind.startswith("multipart/"):
            self.leaf(part, kind, resource)
        elif not part.is_multipart() or not isinstance(part.get_payload(), list):
            self.layout.defects.append(f"{kind} without parts")
            self.loose_text(part)
        else:
            self.container(part, kind, depth + 1)

    def container(self, part: Message, kind: str, depth: int) -> None:
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        stray = _parts_after_the_end(part)
        if stray:
            self.layout.defects.append("parts after the closing boundary recovered")
            children += stray
        if kind == "multipart/alternative":
            self.alternative(children, depth)
        elif kind == "multipart/related" and children:
            self.visit(children[0], depth)
            for child in children[1:]:
                self.visit(child, depth, resource=True)
        elif kind == "multipart/signed" and children:
            for child in children:
                if content_type(child) not in _SIGNATURES:
                    self.visit(child, depth)
        else:
            for child in children:
                self.visit(child, depth)

    def alternative(self, children: list[Message], depth: int) -> None:
        chosen = self.choose(children)
        for child in children:
            self.shadow += child is not chosen
            self.visit(child, depth)
            self.shadow -= child is not chosen

    def choose(self, children: list[Message]) -> Message | None:
        for child in children:
            if self.is_body(child, content_type(child), "text/plain") and self.text(child).strip():
                return child
        richer = [
            c
            for c in children
            if c.is_multipart()
            or (self.is_body(c, content_type(c), "text/html") and self.text(c).strip())
        ]
        return richer[-1] if richer else None

    def leaf(self, part: Message, kind: str, resource: bool) -> None:
        if kind in _BODY_TYPES and not resource and self.is_body(part, kind, kind):
            if not self.shadow:
                self.body(part, kind)
            elif kind == "text/html":
                self.layout.unshown_html.append(self.text(part))
            return
        self.attach(part, kind, resource)

    def is_body(self, part: Message, kind: str, wanted: str) -> bool:
        if kind != wanted or disposition(part) == "attachment":
            return False
        return declared_filename(part) is None

    def text(self, part: Message) -> str:
        key = id(part)
        if key not in self.texts:
            text, note = part_text(part)
            if note:
                self.layout.defects.append(note)
            self.texts[key] = text
        return self.texts[key]

    def body(self, part: Message, kind: str) -> None:
        text = self.text(part)
        if self.delimiters and any(line.strip() in self.delimiters for line in text.splitlines()):
            # A broken multipart leaked a delimiter line into the text (RFC 2046 forbids it).
            text = "\n".join(ln for ln in text.splitlines() if ln.strip() not in self.delimiters)
        self.layout.texts.append((kind, text))

    def loose_text(self, part: Message) -> None:
        """A multipart whose boundary never comes: its text, minus delimiter and header lines."""
        lines = self.text(part).splitlines()
        kept = [line for line in lines if not _MIME_DEBRIS.match(line)]
        self.layout.texts.append(("text/plain", "\n".join(kept)))

    def winmail(self, data: bytes) -> bool:
        """Unpack a TNEF blob; True if its content replaces it (files and body read)."""
        content = unpack_tnef(data)
        if content.failure:
            self.layout.defects.append(content.failure)
            return False
        if not self.layout.texts:  # Outlook may put the whole body in winmail.dat
            self.layout.texts += [(k, t) for k, t in _tnef_body(content) if t.strip()][:1]
        self.layout.attachments.extend(content.files)
        return True

    def attach(self, part: Message, kind: str, resource: bool) -> None:
        name = declared_filename(part)
        data = part_bytes(part)
        if is_tnef(kind, name) and self.winmail(data):
            return
        if name is None:
            subject = _enclosed_subject(part, kind, data)
            name = unique_name(fallback_name(part, kind, subject), self.names)
        self.names.add(name)
        cid = content_id(part)
        shown = disposition(part)
        inline = shown == "inline" or (shown is None and (cid is not None or resource))
        self.layout.attachments.append(Attachment(name, kind, data, inline, cid))


def _tidy(text: str) -> str:
    """No trailing blanks (Markdown would read two as a line break), at most one empty line."""
    lines = "\n".join(line.rstrip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", lines).strip("\n")


def _tnef_body(content: TnefContent) -> list[tuple[str, str]]:
    return [("text/plain", content.text), ("text/html", content.html)]


def _parts_after_the_end(part: Message) -> list[Message]:
    """Parts a broken mail put after its closing delimiter (the stdlib files them as epilogue).

    A nested multipart reusing its parent's boundary closes the parent early; the attachments
    that follow would be lost with the epilogue.
    """
    boundary, epilogue = _boundary(part), part.epilogue
    if not boundary or not isinstance(epilogue, str) or f"--{boundary}" not in epilogue:
        return []
    delimiter = re.compile(rf"^--{re.escape(boundary)}(?:--)?[ \t]*\r?$", re.MULTILINE)
    chunks = (chunk.lstrip("\r\n") for chunk in delimiter.split(epilogue)[1:])
    parser = BytesParser(policy=email.policy.compat32)
    return [
        parser.parsebytes(chunk.encode("utf-8", errors="surrogateescape"))
        for chunk in chunks
        if chunk.strip()
    ]


def _boundary(part: Message) -> str | None:
    try:
        return part.get_boundary()
    except Exception:  # compat32 can trip over a malformed Content-Type
        return None


def _enclosed_subject(part: Message, kind: str, data: bytes) -> str | None:
    payload = part.get_payload() if part.is_multipart() else None
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        subject = decode_header_value(raw_header(payload[0], "subject"))
        if subject:
            return subject
    if kind in _MESSAGES and data:  # sent base64 or quoted-printable: the stdlib left it bytes
        headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(data[:_HEAD_BYTES])
        return decode_header_value(raw_header(headers, "subject")) or None
    return None
