"""What can go wrong when the bridge sends mail, as the caller's retry policy needs to know it.

::

    MailError
    ├── TransientMailError      4xx replies, refused/dropped connections, timeouts: try again later
    ├── PermanentMailError      5xx replies
    │   ├── RecipientRefused    permanent: the recipient's own refusal (unknown user, mailbox
    │   │                       full or disabled, a bad address: 5.1.x/5.2.x) — only this
    │   │                       suppresses an address
    │   ├── SmtpServerRefused   operator: the server's own refusal (relay denied, policy 5.7.x,
    │   │                       TLS/STARTTLS trouble, a bad command) — an outage, never the
    │   │                       recipient's fault
    │   └── MailAuthError       operator: the server refused our login (535)
    └── TemplateError           a notification template is missing or uses an unknown key

Every error raised by :mod:`tracker_bridge.mail.outbound` is one of these, chained (``from``) to
the smtplib/socket/ssl exception it translates.
"""

from __future__ import annotations

from tracker_bridge.foundation.failures import NeedsOperator, Permanent, Transient

__all__ = [
    "MailAuthError",
    "MailError",
    "PermanentMailError",
    "RecipientRefused",
    "SmtpServerRefused",
    "TemplateError",
    "TransientMailError",
]


class MailError(Exception):
    """Base of every mail error; ``code`` is the SMTP reply code when there was one."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientMailError(Transient, MailError):
    """The same message may go through later (4xx, connection trouble, timeout)."""


class PermanentMailError(Permanent, MailError):
    """The server refused the message for good (5xx): do not retry it as it is."""


class RecipientRefused(PermanentMailError):
    """The recipient's server (or ours, for it) refused the address for good."""


class SmtpServerRefused(NeedsOperator, PermanentMailError):
    """The server refused us, not the recipient: relay, policy, TLS — fix the settings."""


class MailAuthError(NeedsOperator, PermanentMailError):
    """The SMTP server refused our credentials or could not authenticate us at all."""


class TemplateError(MailError):
    """A template could not be found or rendered (unknown name, undefined variable, syntax)."""
