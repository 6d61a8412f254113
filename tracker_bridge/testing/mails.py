"""The one builder of the emails a clinic sends, for the demo and every test world.

What a clinic's mail client writes (From, To, Subject, Message-ID, Date, the reply headers, a
text body, attachments) and, on top, the Authentication-Results header the receiving server adds
with its DKIM/SPF verdict on the sender's domain (R15 confirmations need a pass).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

__all__ = ["clinic_email"]


def clinic_email(
    *,
    subject: str,
    body: str,
    sender: str,
    to: str,
    when: datetime,
    message_id: str | None = None,
    id_domain: str | None = None,
    in_reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
    cc: str | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    authentication: str | None = "pass",
) -> tuple[str, bytes]:
    """(Message-ID, bytes) of a plain email; the Message-ID is made in ``id_domain`` (default:
    the sender's) unless given. ``attachments`` are (file name, content, MIME type) triples;
    ``authentication`` is the receiving server's verdict (None: a server that adds none)."""
    domain = sender.rpartition("@")[2].strip(">")
    msg = EmailMessage()
    if authentication is not None:
        msg["Authentication-Results"] = (
            f"mx.support.example; dkim={authentication} header.d={domain}; "
            f"spf={authentication} smtp.mailfrom={sender}"
        )
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain=id_domain or domain or "demo.example")
    msg["Date"] = format_datetime(when)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for name, content, mimetype in attachments:
        maintype, _, subtype = mimetype.partition("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return str(msg["Message-ID"]), msg.as_bytes()
