"""Notifications out: build the email (pure), send it over SMTP (shell).

:func:`build_notification` turns a :class:`Notify` and its :class:`RenderedMail` into an
:class:`~email.message.EmailMessage`. Its Message-ID is a function of the action's idempotency key,
so a retried send is the same message to every mail system that dedupes on it, and the reply
threads back: ``In-Reply-To``/``References`` point at the requester's own email and the subject
carries ``[KEY]`` (PRIOR-ART §13.4).

Loop protection on the way out (RFC 3834, PRIOR-ART §13.3): ``Auto-Submitted`` is
``auto-replied`` for a direct answer to an incoming email and ``auto-generated`` for a
notification caused by a Tracker change or the clock; ``X-Auto-Response-Suppress: All`` keeps
Exchange/Outlook from sending out-of-office and read receipts back. No ``Precedence: bulk``:
it was never standardised (RFC 2076: "non-standard, controversial, discouraged"; RFC 3834 made
``Auto-Submitted`` the signal), Gmail and spam filters read it as mass mail, and these are
one-to-one service messages. An old responder that only honours ``Precedence`` may still answer
once; the inbound loop guard (:mod:`tracker_bridge.mail.loop_guard`) stops it there.

:class:`SmtpSender` is the stdlib ``smtplib`` run in a worker thread: one short transaction per
notification needs no asyncio SMTP client (and no extra dependency); every failure comes out as a
:mod:`tracker_bridge.mail.errors` type, 4xx and connection trouble as transient, 5xx as permanent.
A ``gate`` given to :meth:`SmtpSender.send` runs after the message body went out and before the
final ``.`` that commits it: a sender that may no longer act (a former leader, woken from a
pause) closes the connection there, and the server drops the transaction (RFC 5321 §4.1.1.4:
nothing is delivered without the end-of-data indication).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Literal

import structlog

from tracker_bridge.mail.errors import (
    MailAuthError,
    MailError,
    RecipientRefused,
    SmtpServerRefused,
    TransientMailError,
)
from tracker_bridge.mail.render import RenderedMail
from tracker_bridge.regulation.actions import Notify

__all__ = [
    "OUR_ID_PREFIX",
    "RESPONSE_TEMPLATES",
    "SmtpSender",
    "SmtpSettings",
    "build_notification",
    "message_id_for",
    "translate_smtp_error",
]

log = structlog.get_logger(__name__)

# Templates that answer one specific incoming email (RFC 3834 "auto-replied"); every other
# notification is caused by Tracker or the clock ("auto-generated").
RESPONSE_TEMPLATES = frozenset({"registered", "reply_ignored", "confirmation_not_allowed"})

Security = Literal["ssl", "starttls", "none"]


# How our Message-IDs begin (bare): the intake asks the Sent folder only about ids like these.
OUR_ID_PREFIX = "tb."


def message_id_for(notify: Notify, domain: str) -> str:
    """The Message-ID of ``notify``'s email: the same action always gets the same one."""
    digest = hashlib.sha256(notify.key.encode()).hexdigest()[:24]
    return f"<{OUR_ID_PREFIX}{digest}@{domain}>"


def build_notification(
    notify: Notify,
    rendered: RenderedMail,
    *,
    from_addr: str,
    from_name: str,
    domain: str,
    now: datetime,
    original_message_id: str | None = None,
    reply_to: str | None = None,
) -> EmailMessage:
    """The email for ``notify`` (pure: the same inputs give the same bytes)."""
    msg = EmailMessage()
    _set_from(msg, " ".join(from_name.split()), from_addr)
    msg["To"] = notify.to
    if reply_to:
        msg["Reply-To"] = reply_to
    _set_text_header(msg, "Subject", _subject(rendered.subject, rendered.issue_key))
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id_for(notify, domain)
    parent = _msg_id(original_message_id or notify.in_reply_to)
    if parent:
        msg["In-Reply-To"] = parent
        msg["References"] = parent
    auto = "auto-replied" if notify.template in RESPONSE_TEMPLATES else "auto-generated"
    msg["Auto-Submitted"] = auto
    msg["X-Auto-Response-Suppress"] = "All"
    # base64 keeps Cyrillic 7-bit clean for any relay and is a third the size of QP for it
    msg.set_content(rendered.text, charset="utf-8", cte="base64")
    if rendered.html is not None:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="base64")
    return msg


def _msg_id(value: str | None) -> str | None:
    """``<id>`` as RFC 5322 §3.6.4 writes it: the intake and the store keep ids bare, and mail
    clients ignore a bare id when they thread."""
    bare = (value or "").strip().strip("<>").strip()
    return f"<{bare}>" if bare else None


def _set_from(msg: EmailMessage, name: str, address: str) -> None:
    if name.isascii():
        msg["From"] = Address(display_name=name, addr_spec=address)
    else:
        msg.set_raw("From", f"{_rfc2047(name, 'From')} <{address}>")


def _set_text_header(msg: EmailMessage, name: str, value: str) -> None:
    if value.isascii():
        msg[name] = value
    else:
        msg.set_raw(name, _rfc2047(value, name))


def _rfc2047(value: str, header: str) -> str:
    """Encoded-words that keep every space, leading ASCII words (``[KEY]``) left readable.

    CPython 3.11's ``policy.default`` folder drops the space between two encoded-words when it
    splits at one ("готовы к проверке" arrives as "готовы кпроверке"); the compat32 ``Header``
    encoder splits inside the words instead. ``value`` is one line (callers collapse whitespace).
    """
    cut = next((i for i, ch in enumerate(value) if not ch.isascii()), len(value))
    cut = value.rfind(" ", 0, cut) + 1
    encoded = Header(header_name=header, maxlinelen=76)
    if value[:cut]:
        encoded.append(value[:cut], "us-ascii")
    encoded.append(value[cut:], "utf-8")
    return encoded.encode(linesep="\n")


def _subject(subject: str, key: str | None) -> str:
    """One line (no header injection), starting with ``[KEY]`` unless a template put it in."""
    line = " ".join(subject.split())
    if key and f"[{key}]" not in line:
        return f"[{key}] {line}"
    return line


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; ``timeout`` bounds every socket operation, in seconds."""

    host: str
    port: int
    security: Security = "starttls"
    username: str | None = None
    # the password, or where to read it before every login (a rotated one needs no restart)
    password: str | Callable[[], str] | None = field(default=None, repr=False)
    timeout: float = 30.0
    local_hostname: str | None = None

    def current_password(self) -> str:
        source = self.password
        try:
            return (source() if callable(source) else source) or ""
        except OSError as exc:
            raise MailAuthError(f"cannot read the SMTP password: {exc}") from exc


class SmtpSender:
    """Sends one message per SMTP transaction; raises only :mod:`~tracker_bridge.mail.errors`."""

    def __init__(
        self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._settings = settings
        self._ssl_context = ssl_context

    async def send(
        self,
        message: EmailMessage,
        *,
        envelope_from: str | None = None,
        recipients: Sequence[str] | None = None,
        gate: Callable[[], None] | None = None,
    ) -> Mapping[str, tuple[int, bytes]]:
        """Deliver ``message``; returns the recipients the server refused while taking the rest.
        ``gate`` (blocking) runs right before the final ``.``; whatever it raises ends the
        connection uncommitted and comes out of this call unchanged."""
        refused = await asyncio.to_thread(self._send_sync, message, envelope_from, recipients, gate)
        log.info(
            "mail.sent",
            message_id=message["Message-ID"],
            to=message["To"],
            refused=sorted(refused),
        )
        return refused

    def _send_sync(
        self,
        message: EmailMessage,
        envelope_from: str | None,
        recipients: Sequence[str] | None,
        gate: Callable[[], None] | None,
    ) -> dict[str, tuple[int, bytes]]:
        try:
            with self._connect() as client:
                client.gate = gate
                self._secure_and_login(client)
                return client.send_message(message, from_addr=envelope_from, to_addrs=recipients)
        except (smtplib.SMTPException, OSError, MailError) as exc:
            error = translate_smtp_error(exc)
            log.warning(
                "mail.send_failed",
                message_id=message["Message-ID"],
                error=str(error),
                code=error.code,
                transient=isinstance(error, TransientMailError),
            )
            if error is exc:
                raise
            raise error from exc

    def _connect(self) -> _SMTP | _SMTPS:
        s = self._settings
        if s.security == "ssl":
            return _SMTPS(
                s.host, s.port, s.local_hostname, timeout=s.timeout, context=self._context()
            )
        # connects, and closes again on a greeting other than 220 (SMTPConnectError)
        return _SMTP(s.host, s.port, s.local_hostname, timeout=s.timeout)

    def _secure_and_login(self, client: smtplib.SMTP) -> None:
        s = self._settings
        client.ehlo()
        if s.security == "starttls":
            client.starttls(context=self._context())
            client.ehlo()
        if s.username is not None:
            try:
                client.login(s.username, s.current_password())
            except UnicodeEncodeError as exc:  # smtplib encodes credentials as ASCII only
                raise MailAuthError("SMTP login and password must be ASCII for smtplib") from exc

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()


def _gated_data(client: smtplib.SMTP, msg: bytes | str, gate: Callable[[], None] | None) -> Any:
    """smtplib's ``DATA`` (RFC 5321 §4.1.1.4), with ``gate`` between the body and the final
    ``.``: the one point after which the server may deliver. If the gate raises, the socket is
    closed without the dot (so the server discards the transaction and ``quit`` does not wait
    for a reply that never comes) and the exception goes on."""
    client.putcmd("data")
    code, reply = client.getreply()
    if code != 354:  # "start mail input"
        raise smtplib.SMTPDataError(code, reply)
    body = smtplib.quotedata(msg).encode("ascii") if isinstance(msg, str) else _dot_stuff(msg)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    client.send(body)
    if gate is not None:
        try:
            gate()
        except BaseException:
            client.close()
            raise
    client.send(b".\r\n")
    return client.getreply()


def _dot_stuff(body: bytes) -> bytes:
    """A line starting with ``.`` gets a second one (RFC 5321 §4.5.2), as smtplib does."""
    return re.sub(rb"(?m)^\.", b"..", body)


class _SMTP(smtplib.SMTP):
    """``SMTP`` whose ``DATA`` runs :attr:`gate` before committing the message."""

    gate: Callable[[], None] | None = None

    def data(self, msg: bytes | str) -> Any:  # type: ignore[override]
        return _gated_data(self, msg, self.gate)


class _SMTPS(smtplib.SMTP_SSL):
    """``SMTP_SSL`` that closes the TCP socket when the TLS handshake fails (no ResourceWarning),
    with the gated ``DATA`` of :class:`_SMTP`."""

    gate: Callable[[], None] | None = None

    def data(self, msg: bytes | str) -> Any:  # type: ignore[override]
        return _gated_data(self, msg, self.gate)

    def _get_socket(self, host: str, port: int, timeout: float) -> ssl.SSLSocket:
        raw = socket.create_connection((host, port), timeout, self.source_address)
        try:
            return self.context.wrap_socket(raw, server_hostname=host)
        except BaseException:
            raw.close()
            raise


def translate_smtp_error(exc: BaseException) -> MailError:  # noqa: PLR0911 - one case each
    """Map an smtplib/socket/ssl failure onto transient (retry later) or permanent."""
    match exc:
        case MailError():
            return exc
        case smtplib.SMTPAuthenticationError():
            return MailAuthError(_describe(exc), code=exc.smtp_code)
        case smtplib.SMTPRecipientsRefused():
            return _refused(exc.recipients)
        case smtplib.SMTPResponseException():
            return _by_code(exc.smtp_code, _describe(exc))
        case smtplib.SMTPServerDisconnected():
            return TransientMailError(f"connection lost: {exc}")
        case smtplib.SMTPNotSupportedError():
            return SmtpServerRefused(f"server does not support: {exc}")
        case ssl.SSLCertVerificationError():
            return SmtpServerRefused(f"TLS certificate rejected: {exc.verify_message}")
        case smtplib.SMTPException() if "authentication" in str(exc).lower():
            return MailAuthError(str(exc))
        case smtplib.SMTPException():  # before OSError: smtplib's errors subclass it
            return SmtpServerRefused(f"{type(exc).__name__}: {exc}")
        case OSError():  # refused, reset, timed out, DNS: the network, not the message
            return TransientMailError(f"{type(exc).__name__}: {exc}")
        case _:
            return SmtpServerRefused(f"{type(exc).__name__}: {exc}")


# RFC 3463 enhanced status codes that blame the address or the mailbox (X.1.x addressing,
# X.2.x mailbox: unknown user, bad domain, mailbox full or disabled) — the recipient's problem.
_RECIPIENT_STATUS = re.compile(r"\b5\.[12]\.\d{1,3}\b")
# Replies without an enhanced code that still name the recipient (Postfix, Exim, Exchange).
_RECIPIENT_WORDS = re.compile(
    r"user unknown|unknown user|no such user|mailbox unavailable|mailbox not found|"
    r"does not exist|mailbox (?:is )?full|over quota|recipient address rejected|no mailbox",
    re.IGNORECASE,
)


def blames_recipient(code: int, text: str) -> bool:
    """Does a permanent reply refuse the *recipient* (not us, the relay or the policy)?

    An enhanced code decides when present: 5.1.x/5.2.x is the recipient's, anything else (5.7.x
    relay or policy, 5.3.x/5.5.x the server's, 5.6.x our message) is not. Without one, 550/551/553
    (and 552 "mailbox full") are read from the words: a 550 that says "relay" is the server's.
    """
    if not 500 <= code < 600:
        return False
    if _RECIPIENT_STATUS.search(text):
        return True
    if re.search(r"\b5\.\d{1,3}\.\d{1,3}\b", text):
        return False  # an enhanced code that is not the recipient's
    return code in (550, 551, 552, 553) and bool(_RECIPIENT_WORDS.search(text))


def _by_code(code: int, text: str) -> MailError:
    if 400 <= code < 500:
        return TransientMailError(text, code=code)
    if blames_recipient(code, text):
        return RecipientRefused(text, code=code)
    return SmtpServerRefused(text, code=code)


def _refused(recipients: Mapping[str, tuple[int, bytes]]) -> MailError:
    """All recipients refused: transient if any refusal was temporary (4xx); the recipient's
    fault only if every refusal blames the recipient; else the server's (relay, policy)."""
    replies = [(code, _text(reply)) for code, reply in recipients.values()]
    text = "; ".join(f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in recipients.items())
    temporary = [c for c, _ in replies if 400 <= c < 500]
    if temporary:
        return TransientMailError(f"refused {text}", code=temporary[0])
    code = max((c for c, _ in replies), default=550)
    if replies and all(blames_recipient(c, t) for c, t in replies):
        return RecipientRefused(f"refused {text}", code=code)
    return SmtpServerRefused(f"refused {text}", code=code)


def _describe(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
