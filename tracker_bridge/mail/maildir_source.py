"""Maildir mail source: local delivery and the demo, polled on the injected clock.

Watches ``new/`` and ``cur/`` of one Maildir; settles a message by renaming its file into the
``cur/`` of a Maildir++ sub-folder (``.Processed``, ``.Quarantine``; names in modified UTF-7 as
Dovecot writes them). rename(2) within one file system is atomic, so after a crash the file is
either still in the inbox (handed out again at the next start, see
:mod:`tracker_bridge.mail.source`) or already in its folder; never in both, never in neither.
Blocking file-system work runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import structlog
from imapclient import imap_utf7

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.mail.source import (
    ClosingSource,
    IncomingMessage,
    MailSourceError,
    Outcome,
)

__all__ = ["MaildirSource", "deliver", "ensure_maildir"]

log = structlog.get_logger(__name__)
_counter = itertools.count()
T = TypeVar("T")


def ensure_maildir(root: Path) -> Path:
    """Create ``root`` with tmp/, new/ and cur/ (mode 0700) when missing; returns ``root``."""
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def deliver(root: Path, raw: bytes, at: datetime | None = None) -> str:
    """Deliver ``raw`` the Maildir way (write to tmp/, fsync, rename into new/); returns its name.

    Names start with the wall time in nanoseconds (the Maildir convention, used here only to
    make names unique and sortable), then pid and a per-process counter. ``at`` sets the
    delivery time (the file's mtime, which the source reads as the arrival, R10), as a delivery
    agent would on its own clock; tests pass their injected clock's now.
    """
    ensure_maildir(root)
    name = f"{time.time_ns():020d}.P{os.getpid()}Q{next(_counter)}.{socket.gethostname()}"
    tmp = root / "tmp" / name
    with tmp.open("wb") as out:
        out.write(raw)
        out.flush()
        os.fsync(out.fileno())
    if at is not None:
        stamp = int(at.timestamp() * 1_000_000_000)
        os.utime(tmp, ns=(stamp, stamp))
    tmp.rename(root / "new" / name)
    return name


@dataclass(frozen=True)
class _Entry:
    key: str  # the unique part of the file name, before ":2,<flags>"
    path: Path
    mtime_ns: int


class MaildirSource(ClosingSource):
    """A :class:`~tracker_bridge.mail.source.MailSource` reading one local Maildir."""

    def __init__(
        self,
        root: Path,
        *,
        clock: Clock,
        done_folder: str = "Processed",
        quarantine_folder: str = "Quarantine",
        poll_interval: float = 1.0,
        batch_size: int = 100,
    ) -> None:
        self._root = ensure_maildir(root)
        self._clock = clock
        self._folders: dict[Outcome, Path] = {
            "done": self.folder_path(done_folder),
            "quarantine": self.folder_path(quarantine_folder),
        }
        self._poll = poll_interval
        self._batch = batch_size
        self._handed_out: dict[str, Path] = {}
        self._closed = False
        self._lock = threading.Lock()

    def folder_path(self, folder: str) -> Path:
        """Where a Maildir++ sub-folder lives: ``<root>/.<name in modified UTF-7>``."""
        encoded = imap_utf7.encode(folder).decode("ascii").replace("/", ".")
        return self._root / f".{encoded}"

    async def fetch(self) -> list[IncomingMessage]:
        self._check_open()
        return await asyncio.to_thread(self._locked, self._fetch)

    async def wait_for_new(self, timeout: float) -> None:  # noqa: ASYNC109 - poll length
        self._check_open()
        waited = 0.0
        while not await asyncio.to_thread(self._locked, self._has_new):
            if waited >= timeout:
                return
            step = min(self._poll, timeout - waited)
            await self._clock.sleep(step)
            waited += step

    async def settle(self, msg: IncomingMessage, outcome: Outcome) -> None:
        self._check_open()
        key = msg.source_id.removeprefix("maildir:")
        if key == msg.source_id:
            raise ValueError(f"{msg.source_id} did not come from a Maildir source")
        folder = self._folders[outcome]
        moved = await asyncio.to_thread(self._locked, lambda: self._move(key, folder))
        log.info("maildir.settled", source_id=msg.source_id, outcome=outcome, moved=moved)

    async def close(self) -> None:
        self._closed = True

    # --- blocking parts, run in a worker thread --------------------------------------------
    def _locked(self, work: Callable[[], T]) -> T:
        with self._lock:  # fetch and settle may run in two worker threads at once
            return work()

    def _fetch(self) -> list[IncomingMessage]:
        entries = self._scan()
        present = {e.key for e in entries}
        # forget what left the inbox, so the map stays as small as the inbox
        self._handed_out = {k: p for k, p in self._handed_out.items() if k in present}
        out: list[IncomingMessage] = []
        for entry in (e for e in entries if e.key not in self._handed_out):
            if len(out) == self._batch:
                break
            try:
                raw = entry.path.read_bytes()
            except FileNotFoundError:
                continue  # moved away by someone else between listing and reading
            self._handed_out[entry.key] = entry.path
            arrived = datetime.fromtimestamp(entry.mtime_ns / 1_000_000_000, UTC)
            out.append(
                IncomingMessage(source_id=f"maildir:{entry.key}", raw=raw, received_at=arrived)
            )
        return out

    def _has_new(self) -> bool:
        return any(e.key not in self._handed_out for e in self._scan())

    def _scan(self) -> list[_Entry]:
        """Every message in new/ and cur/, oldest first (mtime, then the time-prefixed name)."""
        found: list[_Entry] = []
        for sub in ("new", "cur"):
            with os.scandir(self._root / sub) as it:
                for item in it:
                    if item.name.startswith(".") or not item.is_file():
                        continue
                    with contextlib.suppress(FileNotFoundError):
                        key = item.name.split(":", 1)[0]
                        found.append(_Entry(key, Path(item.path), item.stat().st_mtime_ns))
        return sorted(found, key=lambda e: (e.mtime_ns, e.key))

    def _move(self, key: str, folder: Path) -> bool:
        """Rename the message into ``folder``/cur as seen; False if it is already gone."""
        source = self._locate(key)
        if source is None:
            return False
        target_dir = ensure_maildir(folder)
        (folder / "maildirfolder").touch(exist_ok=True)  # Maildir++ marks sub-folders so
        try:
            source.rename(target_dir / "cur" / f"{key}:2,S")
        except FileNotFoundError:
            return False  # gone between lookup and rename: settled elsewhere
        _fsync_dir(target_dir / "cur")
        self._handed_out.pop(key, None)
        return True

    def _locate(self, key: str) -> Path | None:
        known = self._handed_out.get(key)
        if known is not None and known.exists():
            return known
        # a mail client may have moved it from new/ to cur/ and added flags meanwhile
        for entry in self._scan():
            if entry.key == key:
                return entry.path
        return None

    def _check_open(self) -> None:
        if self._closed:
            raise MailSourceError("the Maildir source is closed")


def _fsync_dir(path: Path) -> None:
    """Make the rename durable: the directory entry itself must reach the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
