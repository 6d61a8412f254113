"""Reading a delivery status notification (RFC 3464) that came back for one of our emails.

A DSN is ``multipart/report; report-type=delivery-status``: a human part, a
``message/delivery-status`` part (a block of per-message fields, then one block per recipient:
``Final-Recipient``, ``Action``, ``Status``, ``Diagnostic-Code``) and the returned message or
its headers (``message/rfc822`` / ``text/rfc822-headers``), whose Message-ID says which email
bounced. Only the bytes of a small report are read (:data:`MAX_REPORT`); anything that does
not read as a DSN is ``None``.

Which failures are the recipient's (issue 18 §3) is decided by the status code (RFC 3463): the
address (``5.1.x``: no such user or domain), the mailbox (``5.2.x``: full, disabled) or the
recipient's domain refusing it (``5.7.x``: policy). Others — routing, the mail system, the
protocol, a delay (``4.x.x``) — say nothing about the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.policy import compat32

__all__ = ["MAX_REPORT", "BouncedRecipient", "DeliveryReport", "read_dsn"]

MAX_REPORT = 256 * 1024  # a DSN with the returned message's headers is a few KiB
_RECIPIENTS_FAULT = ("5.1.", "5.2.", "5.7.")


@dataclass(frozen=True)
class BouncedRecipient:
    """One recipient's block of the report."""

    address: str
    action: str
    status: str
    diagnostic: str

    @property
    def recipients_fault(self) -> bool:
        """Did delivery fail for good because of the recipient (address, mailbox, domain)?"""
        return self.action == "failed" and self.status.startswith(_RECIPIENTS_FAULT)

    @property
    def reason(self) -> str:
        return f"{self.status} {self.diagnostic}".strip()[:300]


@dataclass(frozen=True)
class DeliveryReport:
    """What a DSN says: about which email (its Message-ID, bare) and each recipient."""

    original_message_id: str | None
    recipients: tuple[BouncedRecipient, ...]


def read_dsn(raw: bytes) -> DeliveryReport | None:
    """The report in ``raw``, or ``None`` when it is not a delivery-status report."""
    if len(raw) > MAX_REPORT:
        return None
    message = message_from_bytes(raw, policy=compat32)
    if message.get_content_type() != "multipart/report":
        return None
    if (message.get_param("report-type") or "").lower() != "delivery-status":  # type: ignore[union-attr]
        return None
    recipients: list[BouncedRecipient] = []
    original: str | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            recipients.extend(_recipients(part))
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _returned_id(part)
    if not recipients:
        return None
    return DeliveryReport(original, tuple(recipients))


def _recipients(part: Message) -> list[BouncedRecipient]:
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return []
    found = []
    for block in blocks[1:]:  # the first block is about the message, the rest per recipient
        if not isinstance(block, Message):
            continue
        address = _address(block.get("Final-Recipient") or block.get("Original-Recipient"))
        if not address:
            continue
        found.append(
            BouncedRecipient(
                address=address,
                action=str(block.get("Action", "")).strip().lower(),
                status=str(block.get("Status", "")).strip(),
                diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split()),
            )
        )
    return found


def _address(field: object) -> str:
    """``rfc822; user@example.org`` → ``user@example.org`` (lower-cased)."""
    if field is None:
        return ""
    _, _, address = str(field).rpartition(";")
    return address.strip().strip("<>").strip().lower()


def _returned_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        returned = payload[0]  # message/rfc822: the returned message itself
    elif isinstance(payload, str):
        returned = message_from_bytes(payload.encode("utf-8", "replace"), policy=compat32)
    else:
        return None
    value = returned.get("Message-ID")
    return str(value).strip().strip("<>").strip() or None if value else None
