"""IMAP mail source: imapclient in a worker thread, IDLE or polling, reconnect with backoff.

See :mod:`tracker_bridge.mail.source` for the delivery rule. Here:

* every IMAP call runs through :meth:`ImapSource._call`: in a worker thread (``to_thread``),
  under a lock, on a connection opened on demand; a dropped connection (abort, socket error,
  timeout) is thrown away and the call retried with the project's one backoff
  (:func:`tracker_bridge.foundation.retry.backoff`, on tenacity), sleeping on the injected
  :class:`~tracker_bridge.foundation.clock.Clock` and logging each retry as one
  ``imap.reconnecting``
  event. Permanent errors (bad login, untrusted cert, missing mailbox) raise
  :class:`MailSourceError` at once.
* two connections: one only IDLEs (``wait_for_new``), the other serves fetch/settle/polls, so
  a settle from another task never queues behind an IDLE. A dropped IDLE is not retried: the
  wait returns early and the caller's next fetch reconnects.
* ``fetch`` SELECTs the mailbox each time, so a new UIDVALIDITY (mailbox recreated, server
  rebuilt) is seen at the next fetch: the in-session mark drops to 0 and everything still in the
  mailbox is handed out again.
* ``settle`` moves one message (MOVE, or COPY + \\Deleted + UID EXPUNGE) into the done or
  quarantine folder, created when missing; Cyrillic names are fine (imapclient encodes modified
  UTF-7).
"""

from __future__ import annotations

import asyncio
import imaplib
import random
import ssl
import threading
from collections.abc import Callable
from typing import TypeVar

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from tracker_bridge.foundation.clock import Clock
from tracker_bridge.foundation.retry import RetryPolicy, backoff
from tracker_bridge.mail.imap_session import ImapSession, ImapSettings, Scan
from tracker_bridge.mail.source import (
    ClosingSource,
    IncomingMessage,
    MailSourceError,
    MailSourceUnavailable,
    Outcome,
    Watermark,
    WatermarkStore,
)
from tracker_bridge.mail.tls import certificate_problem

__all__ = ["ImapSettings", "ImapSource"]

log = structlog.get_logger(__name__)
T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    """Failures worth a reconnect: a dropped connection, a socket error or timeout, or a server
    answering [UNAVAILABLE] (RFC 5530, e.g. its auth process is restarting). An untrusted
    certificate, a refused login or any other NO/BAD answer is not one."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return False
    if isinstance(exc, imaplib.IMAP4.abort | OSError):
        return True
    return isinstance(exc, imaplib.IMAP4.error) and "[UNAVAILABLE]" in str(exc)


class _Channel:
    """One IMAP connection for one kind of work: opened on demand, one thread at a time.

    ImapSource keeps two: one that IDLEs and one for fetch/settle, so a settle from another
    task never waits behind a long IDLE (imapclient cannot share a connection across threads).
    """

    def __init__(self, settings: ImapSettings, name: str) -> None:
        self._s = settings
        self._name = name
        self._lock = threading.Lock()
        self.session: ImapSession | None = None

    def run(self, op: Callable[[ImapSession], T]) -> T:
        with self._lock:
            if self.session is None:
                self.session = ImapSession(self._s)
                log.info("imap.connected", host=self._s.host, channel=self._name)
            try:
                return op(self.session)
            except BaseException as exc:
                if is_transient(exc):
                    self.session.abandon()
                    self.session = None
                raise

    def close(self) -> None:
        with self._lock:
            session, self.session = self.session, None
        if session is not None:
            session.close()


class ImapSource(ClosingSource):
    """A :class:`~tracker_bridge.mail.source.MailSource` reading one IMAP mailbox."""

    def __init__(
        self,
        settings: ImapSettings,
        *,
        clock: Clock,
        store: WatermarkStore | None = None,
        on_retry: Callable[[], None] | None = None,
    ) -> None:
        """``on_retry`` is told of each reconnect attempt (the daemon counts them)."""
        self._s = settings
        self._clock = clock
        self._on_retry = on_retry
        self._store = store
        self._commands = _Channel(settings, "commands")
        self._idler = _Channel(settings, "idle")
        self._stop = threading.Event()  # set by close(): ends a running IDLE
        self._uidvalidity: int | None = None
        self._mark = 0  # highest UID handed out in this session, under self._uidvalidity
        self._closed = False

    @property
    def idling(self) -> bool:
        """True while an IDLE command is waiting on the server."""
        session = self._idler.session
        return session is not None and session.idling.is_set()

    async def fetch(self) -> list[IncomingMessage]:
        scan = await self._call(lambda s: s.scan(self._uidvalidity, self._mark))
        if scan.uidvalidity != self._uidvalidity:
            self._new_uidvalidity(scan.uidvalidity)
        return self._hand_out(scan)

    async def wait_for_new(self, timeout: float) -> None:  # noqa: ASYNC109 - IDLE/poll length
        """Wait in IDLE (or poll on the clock); an IDLE broken by a drop returns early."""
        if timeout <= 0:
            return
        if self._s.use_idle and await self._call(lambda s: s.supports_idle()):
            await self._idle(timeout)
        else:
            await self._poll(timeout)

    async def settle(self, msg: IncomingMessage, outcome: Outcome) -> None:
        if msg.uid is None or msg.uidvalidity is None:
            raise ValueError(f"{msg.source_id} did not come from an IMAP source")
        folder = self._s.done_folder if outcome == "done" else self._s.quarantine_folder
        uid, uidvalidity = msg.uid, msg.uidvalidity
        moved = await self._call(lambda s: s.move(uidvalidity, uid, folder))
        if moved:
            log.info("imap.settled", source_id=msg.source_id, folder=folder)
        else:
            log.warning("imap.settle_skipped_stale_uidvalidity", source_id=msg.source_id)

    async def close(self) -> None:
        self._closed = True
        self._stop.set()
        await asyncio.gather(
            asyncio.to_thread(self._idler.close), asyncio.to_thread(self._commands.close)
        )

    # --- waiting ---------------------------------------------------------------------------
    async def _idle(self, timeout: float) -> None:  # noqa: ASYNC109
        """IDLE until mail comes or ``timeout`` seconds of the injected clock pass.

        The clock decides when the wait ends — that is how the daemon refreshes the IDLE (and
        proves the mailbox is watched) on its schedule, in tests too; the worker thread leaves
        IDLE within IDLE_SLICE once told.
        """
        cancelled = threading.Event()
        validity, mark = self._uidvalidity, self._mark

        def stop() -> bool:
            return cancelled.is_set() or self._stop.is_set()

        def mail_waiting() -> bool:
            return self._commands.run(lambda s: s.has_new(validity, mark))

        idle = asyncio.ensure_future(
            asyncio.to_thread(self._idler.run, lambda s: s.idle_wait(timeout, stop, mail_waiting))
        )
        timer = asyncio.ensure_future(self._clock.sleep(timeout))
        try:
            await asyncio.wait({idle, timer}, return_when=asyncio.FIRST_COMPLETED)
            cancelled.set()  # the clock said so (or mail came): the thread leaves IDLE
            await idle
        except asyncio.CancelledError:
            cancelled.set()  # the worker thread leaves IDLE within IDLE_SLICE
            raise
        except (imaplib.IMAP4.error, OSError) as exc:
            if not is_transient(exc):
                raise self._translate(exc) from exc
            # Not retried here: the caller's next fetch reconnects (with backoff) and finds
            # whatever arrived during the outage.
            log.warning("imap.idle_interrupted", host=self._s.host, error=repr(exc))
        finally:
            timer.cancel()

    async def _poll(self, timeout: float) -> None:  # noqa: ASYNC109
        waited = 0.0
        while not await self._call(lambda s: s.has_new(self._uidvalidity, self._mark)):
            if waited >= timeout:
                return
            step = min(self._s.poll_interval, timeout - waited)
            await self._clock.sleep(step)
            waited += step

    # --- watermarks ------------------------------------------------------------------------
    def _new_uidvalidity(self, uidvalidity: int) -> None:
        """Forget UIDs from the old UIDVALIDITY: they mean nothing under the new one."""
        old = self._uidvalidity
        stored = self._store.get_watermark(self._s.key) if self._store is not None else None
        if stored is not None and stored.uidvalidity != uidvalidity:
            old = stored.uidvalidity
            assert self._store is not None
            self._store.set_watermark(self._s.key, Watermark(uidvalidity, 0))
        if old is not None and old != uidvalidity:
            log.warning(
                "imap.uidvalidity_changed", mailbox=self._s.mailbox, old=old, new=uidvalidity
            )
        self._uidvalidity = uidvalidity
        self._mark = 0

    def _hand_out(self, scan: Scan) -> list[IncomingMessage]:
        stored = self._stored(scan.uidvalidity)
        out = [
            IncomingMessage(
                source_id=f"imap:{scan.uidvalidity}:{uid}",
                raw=raw,
                uid=uid,
                uidvalidity=scan.uidvalidity,
                redelivered=uid <= stored,
                received_at=scan.arrived.get(uid),
            )
            for uid, raw in scan.messages
        ]
        if out:
            self._mark = max(self._mark, out[-1].uid or 0)
            if self._store is not None and self._mark > stored:
                self._store.set_watermark(self._s.key, Watermark(scan.uidvalidity, self._mark))
        return out

    def _stored(self, uidvalidity: int) -> int:
        """The persisted last UID handed out under ``uidvalidity`` (0 when none)."""
        mark = self._store.get_watermark(self._s.key) if self._store is not None else None
        return mark.last_uid if mark is not None and mark.uidvalidity == uidvalidity else 0

    # --- connection and retries ------------------------------------------------------------
    async def _call(self, op: Callable[[ImapSession], T]) -> T:
        if self._closed:
            raise MailSourceError("the IMAP source is closed")
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._s.reconnect_attempts),
            wait=self._wait,
            retry=retry_if_exception(is_transient),
            sleep=self._clock.sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await asyncio.to_thread(self._commands.run, op)
        except (imaplib.IMAP4.error, OSError) as exc:
            raise self._translate(exc) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _wait(self, state: RetryCallState) -> float:
        """The one backoff formula (:func:`tracker_bridge.foundation.retry.backoff`) with this
        source's
        first and longest wait."""
        policy = RetryPolicy(initial_wait=self._s.backoff_initial, max_wait=self._s.backoff_max)
        return backoff(policy, state.attempt_number, rand=random.random())  # noqa: S311

    def _translate(self, exc: imaplib.IMAP4.error | OSError) -> MailSourceError:
        """Our error for an imaplib/socket one: Unavailable when a reconnect could help."""
        if is_transient(exc):
            return MailSourceUnavailable(f"IMAP {self._s.host}: {exc!r}")
        certificate = certificate_problem(exc, self._s.host, "mail.ca_file")
        return MailSourceError(f"IMAP {self._s.host}: {certificate or exc}")  # NO/BAD, login

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "imap.reconnecting",
            host=self._s.host,
            attempt=state.attempt_number,
            wait=round(state.upcoming_sleep, 3),
            error=repr(exc),
        )
        if self._on_retry is not None:
            self._on_retry()
