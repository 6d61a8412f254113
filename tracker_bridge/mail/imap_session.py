"""One blocking IMAP connection (imapclient), used only from a worker thread by ImapSource.

Every method here blocks on the network; :mod:`tracker_bridge.mail.imap_source` runs them via
``asyncio.to_thread`` under a lock, so the event loop never waits on IMAP and imapclient (which is
not thread-safe) sees one thread at a time.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import structlog
from imapclient import DELETED, IMAPClient

__all__ = ["ImapSession", "ImapSettings", "Scan", "connect_client"]

log = structlog.get_logger(__name__)

Security = Literal["ssl", "starttls", "plain"]
IDLE_SLICE = 0.25  # how often a blocked IDLE looks at its interrupt flag (shutdown latency)


@dataclass(frozen=True)
class ImapSettings:
    """Where and how to read mail over IMAP.

    ``security``: "ssl" (IMAPS, port 993), "starttls" (port 143, upgraded before login) or
    "plain" (no TLS: loopback tests only). ``ssl_context`` defaults to the system trust store.
    ``idle_renew``: IDLE is re-issued at least this often (RFC 2177: servers may drop an IDLE
    after 30 minutes). ``use_idle=False`` forces polling every ``poll_interval`` seconds, which
    is also what happens when the server lacks IDLE. One fetch returns at most ``batch_size``
    messages and, beyond the first, at most ``batch_bytes`` of them. Reconnects: at most
    ``reconnect_attempts`` tries per call, waits doubling from ``backoff_initial`` (plus as much
    jitter) up to ``backoff_max`` seconds.
    """

    host: str
    user: str
    password: str = field(repr=False)
    port: int | None = None
    security: Security = "ssl"
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)
    mailbox: str = "INBOX"
    done_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    use_idle: bool = True
    idle_renew: float = 29 * 60
    poll_interval: float = 60.0
    batch_size: int = 100
    batch_bytes: int = 64 * 1024 * 1024
    timeout: float = 30.0
    reconnect_attempts: int = 8
    backoff_initial: float = 1.0
    backoff_max: float = 6.0  # plus jitter: a mail server back is reconnected within ~8 s

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "ssl" else 143)

    @property
    def key(self) -> str:
        """The watermark key of the watched mailbox."""
        return f"imap:{self.user}@{self.host}:{self.effective_port}/{self.mailbox}"


@dataclass(frozen=True)
class Scan:
    """What one fetch found: the mailbox's UIDVALIDITY and a batch of (uid, raw) in UID order."""

    uidvalidity: int
    messages: list[tuple[int, bytes]]
    arrived: dict[int, datetime] = field(default_factory=dict)  # INTERNALDATE by UID (R10)


class ImapSession:
    """A logged-in connection with the few operations a mail source needs."""

    def __init__(self, settings: ImapSettings) -> None:
        self._s = settings
        self._client = _connect(settings)
        self._folders: set[str] = set()
        self.idling = threading.Event()

    def close(self) -> None:
        """LOGOUT, or just drop the socket when the connection is already broken."""
        try:
            self._client.logout()
        except (OSError, IMAPClient.Error):
            self.abandon()

    def abandon(self) -> None:
        with contextlib.suppress(OSError, IMAPClient.Error):  # already gone: nothing to release
            self._client.shutdown()

    def select(self) -> int:
        """SELECT the watched mailbox; returns its UIDVALIDITY."""
        info = self._client.select_folder(self._s.mailbox)
        return int(info[b"UIDVALIDITY"])

    def scan(self, known_uidvalidity: int | None, after: int) -> Scan:
        """The oldest batch of messages with UID > ``after`` (> 0 if UIDVALIDITY changed)."""
        uidvalidity = self.select()
        if uidvalidity != known_uidvalidity:
            after = 0
        uids = self._within_budget(self._uids_after(after)[: self._s.batch_size])
        if not uids:
            return Scan(uidvalidity, [])
        # PEEK: leave \Seen alone; INTERNALDATE: when the server received it (R10)
        data = self._client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])
        found = [(uid, bytes(data[uid][b"BODY[]"])) for uid in uids if uid in data]
        arrived = {
            uid: _aware(data[uid][b"INTERNALDATE"])
            for uid in uids
            if uid in data and isinstance(data[uid].get(b"INTERNALDATE"), datetime)
        }
        return Scan(uidvalidity, found, arrived)

    def has_new(self, known_uidvalidity: int | None, after: int) -> bool:
        return self.select() != known_uidvalidity or bool(self._uids_after(after))

    def move(self, uidvalidity: int, uid: int, folder: str) -> bool:
        """Move one message out of the mailbox; False when UIDVALIDITY no longer matches.

        A stale UIDVALIDITY means ``uid`` may now name a *different* message, so it is left
        alone: the message is still in the inbox and will be handed out again under its new
        UID (the caller's dedupe settles it then).
        """
        if self.select() != uidvalidity:
            return False
        self._ensure_folder(folder)
        if self._client.has_capability("MOVE"):
            self._client.move([uid], folder)
            return True
        self._client.copy([uid], folder)
        self._client.add_flags([uid], [DELETED], silent=True)
        if self._client.has_capability("UIDPLUS"):
            self._client.uid_expunge([uid])
        else:
            self._client.expunge()  # without UIDPLUS: expunges every \Deleted message
        return True

    def supports_idle(self) -> bool:
        return bool(self._client.has_capability("IDLE"))

    def idle_wait(
        self,
        timeout: float,
        should_stop: Callable[[], bool],
        mail_waiting: Callable[[], bool],
    ) -> None:
        """IDLE until new mail, ``timeout`` or ``should_stop()``; re-issued every idle_renew.

        Once each IDLE has started (so also after each renewal), ``mail_waiting()`` — a search
        on *another* connection — looks for mail that landed before it began. Searching here,
        before the IDLE, would leave a window: a mail landing between that search and the IDLE
        is announced by the server at once, but its EXISTS arrives with the "+ idling" answer,
        and imaplib's buffered reader swallows both while idle_check only polls the socket —
        the mail would wait for the next packet (a keepalive, another mail, the renewal).
        Real time (monotonic) is right here: this waits on a socket, not on business time.
        """
        deadline = time.monotonic() + timeout
        self.select()
        while not should_stop() and time.monotonic() < deadline:
            renew_at = min(deadline, time.monotonic() + self._s.idle_renew)
            if self._idle_once(renew_at, should_stop, mail_waiting):
                return
            if time.monotonic() < deadline:
                log.debug("imap.idle_renewed", mailbox=self._s.mailbox)

    def _idle_once(
        self, until: float, should_stop: Callable[[], bool], mail_waiting: Callable[[], bool]
    ) -> bool:
        """One IDLE command; True when mail is waiting (found at its start, or EXISTS came)."""
        self._client.idle()
        self.idling.set()
        try:
            seen = mail_waiting() or self._idle_until(until, should_stop)
        except BaseException:
            with contextlib.suppress(OSError, IMAPClient.Error):
                self._client.idle_done()
            raise
        finally:
            self.idling.clear()
        _, tail = self._client.idle_done()
        return seen or any(_is_exists(r) for r in tail)

    def _idle_until(self, until: float, should_stop: Callable[[], bool]) -> bool:
        early_empty = 0
        while not should_stop() and (left := until - time.monotonic()) > 0:
            slice_ = min(IDLE_SLICE, left)
            started = time.monotonic()
            responses = self._client.idle_check(timeout=slice_)
            if any(_is_bye(r) for r in responses):
                raise IMAPClient.AbortError("server said BYE during IDLE")
            if any(_is_exists(r) for r in responses):
                return True
            # imapclient turns EOF into "no responses": an empty answer long before the
            # timeout, again and again, means the server is gone (killed without a BYE)
            quick = not responses and time.monotonic() - started < slice_ / 2
            early_empty = early_empty + 1 if quick else 0
            if early_empty >= 3:
                raise IMAPClient.AbortError("connection closed during IDLE")
        return False

    def _within_budget(self, uids: list[int]) -> list[int]:
        """The longest prefix of ``uids`` within batch_bytes (always at least one message)."""
        if len(uids) <= 1:
            return uids
        sizes = self._client.fetch(uids, ["RFC822.SIZE"])
        total, keep = 0, list[int]()
        for uid in uids:
            total += int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            if keep and total > self._s.batch_bytes:
                break
            keep.append(uid)
        return keep

    def _uids_after(self, after: int) -> list[int]:
        # "UID n:*" always matches the highest UID, even when it is below n: filter here.
        found = self._client.search(["UID", f"{after + 1}:*"])
        return sorted(uid for uid in found if uid > after)

    def _ensure_folder(self, folder: str) -> None:
        if folder in self._folders:
            return
        if not self._client.folder_exists(folder):
            self._client.create_folder(folder)
            log.info("imap.folder_created", folder=folder)
        self._folders.add(folder)


def connect_client(s: ImapSettings) -> IMAPClient:
    """A logged-in client, as a session's (for a second connection: the Sent folder)."""
    return _connect(s)


def _connect(s: ImapSettings) -> IMAPClient:
    client = IMAPClient(
        s.host,
        port=s.effective_port,
        ssl=s.security == "ssl",
        ssl_context=s.ssl_context,
        timeout=s.timeout,
    )
    try:
        if s.security == "starttls":
            client.starttls(s.ssl_context or ssl.create_default_context())
        client.login(s.user, s.password)
    except BaseException:
        # a failed STARTTLS handshake leaves the socket closed: shutting it down again would
        # raise EBADF and hide the certificate error behind it
        with contextlib.suppress(OSError, IMAPClient.Error):
            client.shutdown()
        raise
    return client


def _is_bye(response: object) -> bool:
    return isinstance(response, tuple) and bool(response) and response[0] == b"BYE"


def _is_exists(response: object) -> bool:
    return isinstance(response, tuple) and len(response) >= 2 and response[1] == b"EXISTS"


def _aware(value: datetime) -> datetime:
    """IMAPClient gives INTERNALDATE as a naive local time (``normalise_times``): make it an
    instant."""
    return value if value.tzinfo is not None else value.astimezone()
