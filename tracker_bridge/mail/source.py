"""The mail-source port: where raw inbound mail comes from, and how it leaves the inbox.

Two implementations: :class:`tracker_bridge.mail.imap_source.ImapSource` (IMAP, IDLE or polling)
and :class:`tracker_bridge.mail.maildir_source.MaildirSource` (local delivery, the demo).

The delivery rule, the same for both ("at least once, settled exactly once"):

* ``fetch()`` hands out messages still in the inbox, oldest first, each at most once per source
  instance, in batches of at most ``batch_size``.
* A message leaves the inbox only through ``settle(msg, outcome)``, which the caller invokes
  *after* the outcome (issue created, comment added, or quarantine) is committed to the journal.
* A new source instance (a restart, a crash, a reconnect that finds a new UIDVALIDITY) hands out
  **everything still in the inbox again**. A message in the inbox is by definition not settled,
  so nothing is lost; a message that was handed out and processed but whose move failed (or the
  process died between commit and move) is handed out again, and the Message-ID dedupe
  downstream recognises it and just settles it. Such messages carry ``redelivered=True`` when the
  source can tell (IMAP: their UID is at or below the persisted watermark).

The IMAP watermark (``WatermarkStore``) records, per mailbox, the UIDVALIDITY and the highest UID
ever handed out. Inside one session it keeps ``fetch()`` from handing out in-flight messages
twice; across restarts it flags redeliveries and detects a UIDVALIDITY change (logged, and the
watermark restarts from zero: UIDs from an old UIDVALIDITY mean nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Literal, Protocol, Self

from tracker_bridge.foundation.failures import NeedsOperator, Transient

__all__ = [
    "ClosingSource",
    "IncomingMessage",
    "MailSource",
    "MailSourceError",
    "MailSourceUnavailable",
    "MemoryWatermarkStore",
    "Outcome",
    "Watermark",
    "WatermarkStore",
]

Outcome = Literal["done", "quarantine"]


class MailSourceError(NeedsOperator, Exception):
    """A failure retrying will not fix: bad login, missing mailbox, untrusted certificate."""


class MailSourceUnavailable(Transient, MailSourceError):
    """The mail server stayed unreachable through every reconnect attempt (transient)."""


@dataclass(frozen=True)
class IncomingMessage:
    """One raw message handed out by a source; ``source_id`` is stable for its life in the inbox.

    ``source_id`` is ``"imap:<uidvalidity>:<uid>"`` or ``"maildir:<unique name>"``.
    """

    source_id: str
    raw: bytes = field(repr=False)
    uid: int | None = None
    uidvalidity: int | None = None
    redelivered: bool = False
    # when the message reached the mailbox (IMAP INTERNALDATE, Maildir delivery time): the
    # request's clocks start there (R10 "с момента появления"), not when the bridge read it
    received_at: datetime | None = None


class MailSource(Protocol):
    """Where inbound mail comes from (IMAP mailbox or local Maildir)."""

    async def fetch(self) -> list[IncomingMessage]:
        """Messages not yet handed out by this instance, oldest first; ``[]`` when none."""
        ...

    async def wait_for_new(self, timeout: float) -> None:  # noqa: ASYNC109 - how long to wait
        """Return when new mail may have arrived, or after ``timeout`` seconds.

        Returns at once while mail not yet handed out is waiting (also before the first fetch).
        """
        ...

    async def settle(self, msg: IncomingMessage, outcome: Outcome) -> None:
        """Move ``msg`` out of the inbox (done or quarantine folder); idempotent."""
        ...

    async def close(self) -> None:
        """Release connections; the source cannot be used afterwards."""
        ...


class ClosingSource:
    """``async with source:`` — closes the source on the way out."""

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


@dataclass(frozen=True)
class Watermark:
    """The highest UID handed out from one mailbox, valid only under its UIDVALIDITY."""

    uidvalidity: int
    last_uid: int


class WatermarkStore(Protocol):
    """Persistence of :class:`Watermark` per mailbox key (the SQLite store implements it too).

    Called from the event loop's thread only, so a SQLite connection may back it.
    """

    def get_watermark(self, mailbox: str) -> Watermark | None:
        """The stored watermark, or None for a mailbox never seen."""
        ...

    def set_watermark(self, mailbox: str, mark: Watermark) -> None:
        """Replace the stored watermark (durably, before the call returns)."""
        ...


class MemoryWatermarkStore:
    """A :class:`WatermarkStore` in a dict: for tests and for running without a database."""

    def __init__(self) -> None:
        self.marks: dict[str, Watermark] = {}

    def get_watermark(self, mailbox: str) -> Watermark | None:
        return self.marks.get(mailbox)

    def set_watermark(self, mailbox: str, mark: Watermark) -> None:
        self.marks[mailbox] = mark
