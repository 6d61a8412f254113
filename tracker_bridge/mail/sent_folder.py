"""The mailbox's Sent folder: the record of what we sent that survives the state database.

Every notification has a deterministic Message-ID (:func:`~tracker_bridge.mail.outbound.
message_id_for`, from the action's idempotency key). After the SMTP server took it, a copy goes
to the Sent folder of the support mailbox (IMAP ``APPEND``, or a file in the Maildir's ``.Sent``);
before the outbox sends anything it looks there for that Message-ID. So a notification the
database forgot — it was deleted, or replaced by an older backup — is found and settled instead
of being sent twice, and a requester's reply to it still finds its issue: the copy's subject
carries the issue key. Support staff see the bridge's mail where they expect it, too.

The copy is written *after* the send (a copy of mail that never went out would silence it for
good): a crash between the two leaves a repeat possible — with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Protocol, TypeVar

import structlog
from imapclient import IMAPClient

from tracker_bridge.mail.errors import TransientMailError
from tracker_bridge.mail.imap_session import ImapSettings, connect_client
from tracker_bridge.mail.thread_match import subject_keys

__all__ = ["ImapSentFolder", "MaildirSentFolder", "SentCopy", "SentFolder", "bare_id"]

log = structlog.get_logger(__name__)

_T = TypeVar("_T")


@dataclass(frozen=True)
class SentCopy:
    """A message found in the Sent folder: its bare Message-ID and the issue its subject names."""

    message_id: str
    issue_key: str | None


class SentFolder(Protocol):
    """Where copies of our notifications are kept and looked up."""

    async def find(self, message_id: str) -> SentCopy | None:
        """The copy with this Message-ID (bare or in angle brackets), if there is one."""
        ...

    async def keep(self, message: EmailMessage) -> None:
        """File a copy of a sent ``message`` (marked read)."""
        ...

    async def close(self) -> None: ...


def bare_id(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


def _copy_of(headers: bytes, wanted: str) -> SentCopy | None:
    """The copy described by raw ``headers``, if its Message-ID is exactly ``wanted``."""
    parsed = BytesHeaderParser(policy=default_policy).parsebytes(headers)
    if bare_id(str(parsed.get("Message-ID", ""))) != wanted:
        return None
    keys = subject_keys(str(parsed.get("Subject", "")))
    return SentCopy(wanted, keys[0] if keys else None)


def _headers(path: Path) -> EmailMessage:
    """The header block of a stored message (read up to the first empty line)."""
    lines = []
    with path.open("rb") as stored:
        for line in stored:
            if line in (b"\r\n", b"\n"):
                break
            lines.append(line)
    parser = BytesHeaderParser(_class=EmailMessage, policy=default_policy)
    parsed = parser.parsebytes(b"".join(lines))
    assert isinstance(parsed, EmailMessage)
    return parsed


class MaildirSentFolder:
    """The Sent folder of a Maildir++ mailbox (``<root>/.Sent``): one file per copy, its name
    derived from the Message-ID, so finding one reads one directory listing, not every file.
    Copies filed by someone else (the mail server, ``mail.sent_copies_by = "server"``) have names
    of their own: each such file's Message-ID is read once and remembered by its name."""

    def __init__(self, root: Path, folder: str = "Sent") -> None:
        self.path = root / f".{folder}"
        self._foreign: dict[str, str] = {}  # unique part of a file's name → its bare Message-ID

    @staticmethod
    def _base(message_id: str) -> str:
        return "tb-" + hashlib.sha256(bare_id(message_id).encode()).hexdigest()[:40]

    async def find(self, message_id: str) -> SentCopy | None:
        return await asyncio.to_thread(self._find, message_id)

    def _find(self, message_id: str) -> SentCopy | None:
        base, wanted = self._base(message_id), bare_id(message_id)
        try:
            for sub in ("cur", "new"):
                folder = self.path / sub
                if not folder.exists():
                    continue
                for path in folder.iterdir():  # a mail client may have changed the flags suffix
                    copy = self._match(path, base, wanted)
                    if copy is not None:
                        return copy
        except OSError as exc:  # could not look: not the same as "not there"
            raise TransientMailError(f"Sent folder {self.path}: {exc}") from exc
        return None

    def _match(self, path: Path, base: str, wanted: str) -> SentCopy | None:
        name = path.name.split(":", 1)[0]
        if name == base:
            return _copy_of(path.read_bytes(), wanted)
        if name.startswith("tb-"):
            return None  # our own copy of another message
        known = self._foreign.get(name)
        if known is None:
            try:
                known = bare_id(str(_headers(path).get("Message-ID", "")))
            except FileNotFoundError:  # moved between cur and new meanwhile
                return None
            self._foreign[name] = known
        return _copy_of(path.read_bytes(), wanted) if known == wanted else None

    async def keep(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._keep, message)

    def _keep(self, message: EmailMessage) -> None:
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        base = self._base(str(message["Message-ID"]))
        tmp = self.path / "tmp" / f"{base}.{os.getpid()}.{time.monotonic_ns()}"
        tmp.write_bytes(message.as_bytes())
        tmp.replace(self.path / "cur" / f"{base}:2,S")  # Maildir: written, then renamed

    async def close(self) -> None:
        return None


class ImapSentFolder:
    """The Sent folder on the IMAP server: ``APPEND`` and ``SEARCH HEADER Message-ID``, on a
    connection of its own (the intake's is busy in IDLE), opened when first needed and
    reopened after a failure. A failure is a :class:`TransientMailError`: the outbox tries again
    later rather than send without having looked."""

    def __init__(self, settings: ImapSettings, folder: str = "Sent") -> None:
        self._settings, self.folder = settings, folder
        self._client: IMAPClient | None = None
        self._exists = False
        self._lock = asyncio.Lock()

    async def find(self, message_id: str) -> SentCopy | None:
        wanted = bare_id(message_id)
        async with self._lock:
            return await asyncio.to_thread(self._guarded, lambda c: self._find(c, wanted))

    async def keep(self, message: EmailMessage) -> None:
        async with self._lock:
            await asyncio.to_thread(self._guarded, lambda c: self._keep(c, message))

    async def close(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._drop)

    def _guarded(self, call: Callable[[IMAPClient], _T]) -> _T:
        try:
            if self._client is None:
                self._client = connect_client(self._settings)
            return call(self._client)
        except (OSError, IMAPClient.Error) as exc:
            self._drop()
            raise TransientMailError(f"Sent folder {self.folder!r}: {exc}") from exc

    def _find(self, client: IMAPClient, wanted: str) -> SentCopy | None:
        if not self._exists and not client.folder_exists(self.folder):
            return None
        self._exists = True
        client.select_folder(self.folder, readonly=True)
        uids = client.search(["HEADER", "Message-ID", f"<{wanted}>"])
        if not uids:
            return None
        fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)]"])
        for data in fetched.values():
            headers = next((v for k, v in data.items() if k.startswith(b"BODY")), b"")
            copy = _copy_of(bytes(headers), wanted)
            if copy is not None:
                return copy
        return None

    def _keep(self, client: IMAPClient, message: EmailMessage) -> None:
        if not self._exists and not client.folder_exists(self.folder):
            client.create_folder(self.folder)
            log.info("imap.folder_created", folder=self.folder)
        self._exists = True
        client.append(self.folder, message.as_bytes(), flags=[b"\\Seen"])

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError, IMAPClient.Error):
                client.shutdown()
