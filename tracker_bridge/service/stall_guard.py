"""Which message kept the event loop busy too long — seen from a thread, so it is seen even
while the loop cannot run (issue 17.2: the poison-mail breaker beyond the parse).

The parse runs in worker processes with a bound of its own; what the daemon does with a parsed
message (its ordering keys, triage, the effects' own code) runs on the event loop. Should any of
that ever spin on some input, the loop stops: no watchdog ping, and systemd kills the daemon —
which would take the same message first after every restart. Nothing on the loop can notice,
so a thread watches instead: each step a message's handling runs on the loop is marked (the
message and when the step began); a step still running after ``limit`` seconds is reported once
to ``report`` (the intake records a failed attempt in the store, which outlives the kill). The
breaker then quarantines the message, unparsed, once its attempts are used up. A step that ends
after all leaves a record its handler clears, so only a stall that ends in a kill counts.

Awaiting (Tracker, SMTP, an outage) is no step: a message waiting on the network is never
taken for a stall, nor counted when the daemon is killed meanwhile.

Real time (``time.monotonic``), on purpose: the watchdog it stands in front of is real time too.
"""

from __future__ import annotations

import contextlib
import threading
import time
import types
from collections.abc import Callable, Coroutine, Generator, Iterator
from typing import Any, TypeVar

import structlog

__all__ = ["STALL_LIMIT", "StallGuard"]

log = structlog.get_logger(__name__)

T = TypeVar("T")

# Longer than any step of ordinary handling (milliseconds), shorter than the unit's
# WatchdogSec (60 s), so the record is written well before systemd's kill.
STALL_LIMIT = 10.0

Report = Callable[[str, str, float], None]  # (digest, source id, seconds busy)


class StallGuard:
    """Marks the message the loop works on; a thread reports a step past ``limit`` seconds."""

    def __init__(self, report: Report | None = None, *, limit: float = STALL_LIMIT) -> None:
        self.report, self.limit = report, limit
        self._step: tuple[str, str, float] | None = None  # digest, source id, began
        self._reported: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="stall-guard", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def reported(self, digest: str) -> bool:
        """Was a stall of this message reported (and so put on record) since :meth:`forget`?"""
        with self._lock:
            return digest in self._reported

    def forget(self, digest: str) -> None:
        with self._lock:
            self._reported.discard(digest)

    async def run(self, digest: str, source_id: str, work: Coroutine[Any, Any, T]) -> T:
        """Await ``work`` with each of its steps on the loop marked as this message's."""
        return await _stepwise(work, lambda: self._enter(digest, source_id), self._leave)

    @contextlib.contextmanager
    def marked(self, digest: str, source_id: str) -> Iterator[None]:
        """A synchronous stretch of this message's handling, marked as one step."""
        self._enter(digest, source_id)
        try:
            yield
        finally:
            self._leave()

    def _enter(self, digest: str, source_id: str) -> None:
        self._step = (digest, source_id, time.monotonic())

    def _leave(self) -> None:
        self._step = None

    def _watch(self) -> None:
        while not self._stop.wait(min(1.0, self.limit / 4)):
            step = self._step
            if step is None:
                continue
            digest, source_id, began = step
            busy = time.monotonic() - began
            with self._lock:
                if busy < self.limit or digest in self._reported:
                    continue
                self._reported.add(digest)
            log.error("mail.stalled", source_id=source_id, seconds=round(busy, 1),
                      alert="operator")  # fmt: skip
            try:
                if self.report is not None:
                    self.report(digest, source_id, busy)
            except Exception:  # the store may be what hangs; the watchdog still acts
                log.exception("mail.stall_unrecorded", source_id=source_id)


@types.coroutine
def _stepwise(
    work: Coroutine[Any, Any, T], enter: Callable[[], None], leave: Callable[[], None]
) -> Generator[Any, Any, T]:
    """Drive ``work`` step by step, calling ``enter`` before and ``leave`` after each step
    (each stretch it runs on the loop between two awaits). Values, exceptions (a cancellation)
    and the result pass through unchanged."""
    value: Any = None
    error: BaseException | None = None
    while True:
        enter()
        try:
            yielded = work.send(value) if error is None else work.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            leave()
        try:
            value, error = (yield yielded), None
        except GeneratorExit:
            work.close()
            raise
        except BaseException as exc:
            value, error = None, exc
