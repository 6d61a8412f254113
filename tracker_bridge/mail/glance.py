"""A bounded look at a message's header block, for keeping aside mail that is not parsed.

The poison-mail breaker quarantines a message *without parsing it again*: the quarantine still
needs an id, a sender and a subject to show. They come from the first :data:`HEAD_BYTES` of the
header block alone — no MIME structure, no body, no charset detection beyond one header value —
so whatever made the parser fail cannot be met here.
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from email.parser import BytesParser

from tracker_bridge.mail.envelope import addresses, message_ids, synthetic_message_id
from tracker_bridge.mail.headers import decode_header_value, unfold

__all__ = ["HEAD_BYTES", "Glance", "glance"]

HEAD_BYTES = 32 * 1024
_VALUE_CHARS = 1024


@dataclass(frozen=True)
class Glance:
    """Who sent it and about what, as far as the first bytes of the headers tell."""

    message_id: str
    sender: str
    subject: str


def glance(raw: bytes) -> Glance:
    """The id (the synthetic one when none is readable), sender and subject. Never raises."""
    head = raw[:HEAD_BYTES].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    try:
        message = BytesParser(policy=email.policy.compat32).parsebytes(head, headersonly=True)
        values: dict[str, str] = {}
        for name, value in message.raw_items():
            values.setdefault(name.strip().lower(), str(value)[:_VALUE_CHARS])
        ids = message_ids(values.get("message-id"))
        found = addresses([values["from"]]) if "from" in values else []
        subject = unfold(decode_header_value(values.get("subject"))).strip()
    except Exception:  # a glance must never fail: the quarantine needs a row whatever happens
        ids, found, subject = [], [], ""
    message_id = ids[0] if ids else synthetic_message_id(raw)
    text = (message_id, found[0][1] if found else "", subject)
    valid = (part.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for part in text)
    return Glance(*valid)
