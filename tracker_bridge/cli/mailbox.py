"""The mailbox as an administrator touches it: log in to look, put a message back in the inbox.

Built on the mail package's own connection code (:class:`ImapSession` logs in the way the daemon
does, :class:`SmtpSender` greets and authenticates the same way), extended by the two operations
only the CLI needs: does a folder exist, and APPEND a message to the inbox.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tracker_bridge.config import Settings
from tracker_bridge.mail.imap_session import ImapSession, ImapSettings
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.mail.outbound import SmtpSender, SmtpSettings
from tracker_bridge.mail.tls import trust
from tracker_bridge.runtime.wiring import secret_of

__all__ = ["AdminSession", "SmtpProbe", "imap_settings", "reinject", "smtp_probe"]


def _secret(settings: Settings, name: str) -> str | None:
    return secret_of(getattr(settings, name))


def imap_settings(settings: Settings) -> ImapSettings | None:
    """How the daemon reaches the IMAP mailbox; None for a Maildir."""
    mail, endpoint = settings.mail, settings.mail.imap
    if endpoint is None:
        return None
    return ImapSettings(
        host=endpoint.host,
        user=endpoint.username,
        password=_secret(settings, "imap_password") or "",
        port=endpoint.port,
        security=endpoint.security,
        ssl_context=trust(mail.ca_file),
        mailbox=mail.folders.inbox,
        done_folder=mail.done_folder,
        quarantine_folder=mail.folders.quarantine,
        timeout=15.0,
        reconnect_attempts=1,
    )


class AdminSession(ImapSession):
    """A logged-in IMAP session that can also look for folders and append messages."""

    def folder_exists(self, folder: str) -> bool:
        return bool(self._client.folder_exists(folder))

    def append(self, folder: str, raw: bytes) -> None:
        """APPEND ``raw`` unseen, so the daemon's search for new mail finds it."""
        self._client.append(folder, raw, flags=())


class SmtpProbe(SmtpSender):
    """Connect, EHLO, STARTTLS and AUTH as configured, then QUIT: nothing is sent."""

    def probe(self) -> str:
        """The server's EHLO greeting (first line); raises what the connection raised."""
        with self._connect() as client:
            self._secure_and_login(client)
            return (client.ehlo_resp or b"").decode(errors="replace").splitlines()[0]


def smtp_probe(settings: Settings) -> SmtpProbe:
    smtp = settings.smtp
    return SmtpProbe(
        SmtpSettings(
            host=smtp.host,
            port=smtp.effective_port,
            security=smtp.security,
            username=smtp.username,
            password=_secret(settings, "smtp_password"),
            timeout=15.0,
        ),
        ssl_context=trust(smtp.ca_file),
    )


async def reinject(settings: Settings, raw: bytes) -> str:
    """Put ``raw`` back into the intake mailbox as new mail; where it went, for the operator."""
    maildir = settings.mail.maildir
    if maildir is not None:
        name = await asyncio.to_thread(deliver, maildir, raw)
        return str(Path(maildir) / "new" / name)
    imap = imap_settings(settings)
    assert imap is not None  # the config has exactly one of Maildir and IMAP
    await asyncio.to_thread(_append, imap, raw)
    return f"{imap.mailbox} on {imap.host}"


def _append(imap: ImapSettings, raw: bytes) -> None:
    session = AdminSession(imap)
    try:
        session.append(imap.mailbox, raw)
    finally:
        session.close()
