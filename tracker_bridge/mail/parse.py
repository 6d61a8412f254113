"""Raw email bytes → :class:`InboundMail`: the only entry point of the mail parser.

Pure and total: any input gives an ``InboundMail`` with a non-empty ``message_id``; whatever was
wrong with the message is listed in ``defects`` instead of raised. The work is split by job:
:mod:`bounds` (size caps before any work), :mod:`repair` (broken header blocks), :mod:`envelope`
(addresses, ids, date), :mod:`headers` and :mod:`charsets` (encoded words, code pages),
:mod:`structure` with :mod:`parts`, :mod:`html`, :mod:`flowed`, :mod:`filenames` and :mod:`tnef`
(body vs attachments), :mod:`reply`, :mod:`automatic`, :mod:`keys`, :mod:`priority` and
:mod:`fields`.

The stdlib parser runs with the compat32 policy: its header access never raises, and every value
is decoded here rather than by the stdlib, which gives up on the charsets clinic mail uses.
"""

from __future__ import annotations

import dataclasses
import email.policy
from email.message import Message
from email.parser import BytesParser

from tracker_bridge.mail.authentication import sender_verified
from tracker_bridge.mail.automatic import automatic_reason
from tracker_bridge.mail.bounds import bounded
from tracker_bridge.mail.charsets import LATIN, lookup_codec
from tracker_bridge.mail.envelope import addresses, message_ids, parse_date, synthetic_message_id
from tracker_bridge.mail.fields import extract_fields, mentions_a_label
from tracker_bridge.mail.headers import decode_header_value, unfold
from tracker_bridge.mail.keys import issue_keys
from tracker_bridge.mail.parts import content_type
from tracker_bridge.mail.priority import priority_hint, text_priority_hint
from tracker_bridge.mail.repair import repair_headers
from tracker_bridge.mail.reply import reply_part
from tracker_bridge.mail.structure import Layout, lay_out
from tracker_bridge.regulation.model import FIELD_NAMES, InboundMail

__all__ = ["parse_message"]


def parse_message(raw: bytes) -> InboundMail:
    """Parse one raw RFC 822 message. Never raises; every text in the result is valid Unicode
    (a raw 8-bit byte the decoders could not place never reaches the store as a surrogate)."""
    return _valid_unicode(_parse_any(raw))


def _parse_any(raw: bytes) -> InboundMail:
    try:
        return _parse(raw)
    except Exception as error:  # a mail must never stop intake: retry with the headers only
        failure = f"parser failure: {type(error).__name__}"
    try:
        mail = _parse(raw, headers_only=True)
        return dataclasses.replace(mail, defects=(failure, *mail.defects))
    except Exception:  # last resort: an id and the bytes as text, for quarantine
        return InboundMail(
            message_id=synthetic_message_id(raw),
            sender="",
            text=raw.decode("utf-8", errors="replace"),
            defects=(failure,),
        )


def _parse(raw: bytes, headers_only: bool = False) -> InboundMail:
    readable, structured, cuts = bounded(raw)
    repaired, repairs = repair_headers(readable)
    parser = BytesParser(policy=email.policy.compat32)
    message = parser.parsebytes(repaired, headersonly=headers_only or not structured)
    headers = _Headers(message)
    envelope = _envelope(raw, headers, _charset_hint(message))
    layout = lay_out(message)
    text = layout.text
    reply = reply_part(text)
    kind = content_type(message)
    reason = automatic_reason(headers.first, kind, envelope.sender, envelope.subject)
    notes = (*cuts, *repairs, *_python_defects(message), *layout.defects, *envelope.defects)
    return dataclasses.replace(
        envelope,
        text=text,
        reply_text=reply,
        attachments=tuple(layout.attachments),
        is_automatic=reason is not None,
        sender_verified=sender_verified(headers.first("authentication-results"), envelope.sender),
        automatic_reason=reason,
        issue_keys=issue_keys(envelope.subject, reply),
        priority_hint=priority_hint(headers.first, envelope.subject, reply),
        reply_priority_hint=text_priority_hint(headers.first, reply),
        fields=_fields(reply, layout),
        defects=tuple(dict.fromkeys(notes)),
    )


def _valid_unicode(mail: InboundMail) -> InboundMail:
    """``mail`` with lone surrogates (surrogate-escaped raw bytes) replaced by U+FFFD."""
    changes: dict[str, object] = {}
    for name in _TEXT_FIELDS:
        value = getattr(mail, name)
        if isinstance(value, str):
            fixed: object = _text(value)
        elif isinstance(value, tuple):
            fixed = tuple(_text(item) for item in value)
        else:
            continue
        if fixed != value:
            changes[name] = fixed
    if any(_text(k) != k or _text(v) != v for k, v in mail.fields.items()):
        changes["fields"] = {_text(k): _text(v) for k, v in mail.fields.items()}
    return dataclasses.replace(mail, **changes) if changes else mail  # type: ignore[arg-type]


_TEXT_FIELDS = (
    "message_id", "sender", "subject", "text", "reply_text", "sender_name", "in_reply_to",
    "references", "to", "cc", "delivered_to", "automatic_reason", "issue_keys", "defects",
)  # fmt: skip


def _text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def _fields(reply: str, layout: Layout) -> dict[str, str]:
    """R7 fields of the new part; the HTML alternative fills gaps (its tables keep label | value
    pairs that a client's plain-text rendering may have flattened). Quoted history is skipped."""
    found = extract_fields(reply)
    if len(found) == len(FIELD_NAMES) or not layout.unshown_html or not mentions_a_label(reply):
        return found
    return {**extract_fields(reply_part(layout.html_alternative)), **found}


def _envelope(raw: bytes, headers: _Headers, hint: str | None) -> InboundMail:
    """Who, to whom, when, which thread, about what: everything the headers alone say."""
    ids = message_ids(headers.first("message-id"))
    date, date_note = parse_date(headers.first("date"))
    sender_name, sender = _sender(headers, hint)
    notes = [note for note in (date_note, None if ids else "missing Message-ID") if note]
    return InboundMail(
        message_id=ids[0] if ids else synthetic_message_id(raw),
        sender=sender,
        sender_name=sender_name,
        subject=_subject(headers, hint),
        in_reply_to=next(iter(message_ids(headers.first("in-reply-to"))), None),
        references=tuple(_all_ids(headers.all("references"))),
        to=_addresses(headers.all("to")),
        cc=_addresses(headers.all("cc")),
        delivered_to=_addresses([*headers.all("delivered-to"), *headers.all("x-original-to")]),
        date=date,
        defects=tuple(notes),
    )


class _Headers:
    """Top-level header access by lower-cased name (raw values, 8-bit bytes surrogate-escaped)."""

    def __init__(self, message: Message) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self._values.setdefault(name.strip().lower(), []).append(str(value))

    def all(self, name: str) -> list[str]:
        return self._values.get(name, [])

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None


def _all_ids(values: list[str]) -> list[str]:
    """Every id in the given headers, first occurrence kept."""
    return list(dict.fromkeys(i for value in values for i in message_ids(value)))


def _charset_hint(message: Message) -> str | None:
    """The first telling charset declared in the mail: a guess for raw 8-bit headers.

    UTF-8 is tried anyway and Latin code pages decode any bytes, so neither says anything.
    """
    for part in message.walk():
        declared = lookup_codec(part.get_content_charset(None) if _has_charset(part) else None)
        if declared and declared != "utf-8" and declared not in LATIN:
            return declared
    return None


def _has_charset(part: Message) -> bool:
    try:
        return isinstance(part.get_param("charset"), str)
    except Exception:  # compat32 can trip over a malformed Content-Type
        return False


def _subject(headers: _Headers, hint: str | None) -> str:
    text = decode_header_value(headers.first("subject"), hint)
    return unfold(text).replace("\r", " ").replace("\n", " ").strip()


def _sender(headers: _Headers, hint: str | None) -> tuple[str, str]:
    for name in ("from", "sender", "return-path"):
        found = addresses(headers.all(name), hint)
        if found:
            return found[0]
    return "", ""


def _addresses(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(address for _, address in addresses(values)))


def _python_defects(message: Message) -> list[str]:
    return [type(defect).__name__ for part in message.walk() for defect in part.defects]
