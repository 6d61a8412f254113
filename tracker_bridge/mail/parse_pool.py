"""Parsing off the event loop, in worker processes with a time and memory bound per message.

The parser is bounded by construction (:mod:`tracker_bridge.mail.bounds`, linear converters), but
"no input can stop intake" must not rest on every third-party decoder being perfect. So the daemon
parses in worker processes: the event loop keeps sending watchdog pings and answering health
checks whatever a message contains, a parse that exceeds ``timeout`` seconds is given up on (the
worker is killed and replaced) and a worker that exceeds ``memory_mib`` dies alone. Either way the
caller gets :class:`ParseBoundExceeded` with the reason, and the poison-mail breaker counts it.

Workers are forked from a forkserver that has imported the parser once, so a replacement costs
milliseconds, not an interpreter start.

A worker dies with the daemon, even one stuck in a parse and even when the daemon is killed with
SIGKILL (the watchdog, the OOM killer), which runs no cleanup: each worker watches the daemon's
process (a pidfd, Linux ≥ 5.3; else a check each second) and exits once it is gone. Nothing
else would end it: the worker's parent is the forkserver, not the daemon, and the forkserver
stays up as long as any process it forked holds its liveness pipe — the stuck worker does — so
``PR_SET_PDEATHSIG`` on the worker would never fire either. Under systemd the unit's control
group sweeps such processes up; a daemon run by hand, or by a test, has none.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import resource
import select
import sys
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess

import structlog

from tracker_bridge.mail.parse import parse_message
from tracker_bridge.regulation.model import InboundMail

__all__ = ["ParseBoundExceeded", "ParsePool", "Parser", "exit_with", "inline_parser"]

log = structlog.get_logger(__name__)

Parser = Callable[[bytes], InboundMail]


class ParseBoundExceeded(Exception):
    """A message's parse took longer than its bound, or its worker died (memory, a crash)."""


def inline_parser(raw: bytes) -> InboundMail:
    """The parser itself, for callers that run it in-process (tests, commands)."""
    return parse_message(raw)


def exit_with(pid: int) -> None:
    """End this process (``os._exit``) as soon as process ``pid`` has ended, whatever this
    process is doing then: a watcher thread waits on the process's pidfd (polls where there is
    none). A ``pid`` that is gone already ends this process at once."""
    try:
        handle: int | None = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)
    except (OSError, AttributeError):  # an old kernel, or not Linux: poll instead
        handle = None
    watcher = threading.Thread(
        target=_exit_after, args=(pid, handle), daemon=True, name="daemon-watch"
    )
    watcher.start()


def _exit_after(pid: int, handle: int | None) -> None:
    if handle is not None:
        select.select([handle], [], [])  # readable once the process has ended
    else:
        while _exists(pid):
            time.sleep(1.0)
    os._exit(1)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _serve(conn: Connection, parser: Parser, memory_mib: int, daemon: int) -> None:
    """A worker's life: parse what comes in, send back the mail, until the pipe closes or
    the daemon ends."""
    exit_with(daemon)
    if memory_mib:
        limit = memory_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        conn.send(parser(raw))


@contextlib.contextmanager
def _main_not_inherited() -> Iterator[None]:
    """Start a worker without it importing the daemon's ``__main__`` module.

    multiprocessing makes a spawned or forkserver child import the parent's main module (by
    name or path) before running the target; for the daemon that is the whole application
    (a second or more of imports and ~40 MB per worker, every start). The worker needs only the
    parser, which the forkserver has preloaded, so the main module is hidden while the process
    is launched — as in an interactive session, which has none.
    """
    main = sys.modules["__main__"]
    saved: dict[str, object] = {
        name: main.__dict__[name] for name in ("__spec__", "__file__") if name in main.__dict__
    }
    main.__dict__.update({"__spec__": None})
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


class _Worker:
    def __init__(self, context: ForkServerContext, parser: Parser, memory_mib: int) -> None:
        self.conn, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve,
            args=(child, parser, memory_mib, os.getpid()),
            daemon=True,
            name="mail-parser",
        )
        with _main_not_inherited():
            self.process.start()
        child.close()

    def roundtrip(self, raw: bytes, timeout: float) -> InboundMail | None:
        """The parsed mail; None if the parse did not finish in ``timeout`` seconds."""
        self.conn.send_bytes(raw)
        if not self.conn.poll(timeout):
            return None
        mail = self.conn.recv()
        if not isinstance(mail, InboundMail):
            raise TypeError(f"parser worker sent {type(mail).__name__}")
        return mail

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


class ParsePool:
    """At most ``workers`` parses at once, each bounded by ``timeout`` seconds and
    ``memory_mib`` MiB of address space (0: no memory bound)."""

    def __init__(
        self,
        *,
        workers: int = 2,
        timeout: float = 10.0,
        memory_mib: int = 1024,
        parser: Parser = inline_parser,
    ) -> None:
        self.timeout, self._parser, self._memory = timeout, parser, memory_mib
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["tracker_bridge.mail.parse_pool"])
        self._idle: asyncio.Queue[_Worker | None] = asyncio.Queue()
        for _ in range(workers):
            self._idle.put_nowait(None)  # started on first use
        self._workers: set[_Worker] = set()

    async def parse(self, raw: bytes) -> InboundMail:
        """``raw`` parsed in a worker; raises :class:`ParseBoundExceeded` past the bounds."""
        worker = await self._idle.get()
        kept = worker  # what goes back into the slot: None once the worker is killed
        try:
            if worker is None:
                worker = kept = await asyncio.to_thread(self._start)
            mail = await asyncio.to_thread(worker.roundtrip, raw, self.timeout)
            failure = None if mail is not None else f"parsing took longer than {self.timeout:g} s"
        except (EOFError, OSError, TypeError) as error:
            mail, failure = None, f"parser worker died ({type(error).__name__})"
        except BaseException:  # cancelled mid-parse: the worker's state is unknown
            kept = None
            self._discard(worker)
            raise
        finally:
            if kept is not None and worker is not None and mail is None:
                kept = None
                self._discard(worker)
            self._idle.put_nowait(kept)
        if mail is None:
            raise ParseBoundExceeded(failure)
        return mail

    def _start(self) -> _Worker:
        worker = _Worker(self._context, self._parser, self._memory)
        self._workers.add(worker)
        return worker

    def _discard(self, worker: _Worker | None) -> None:
        if worker is not None:
            self._workers.discard(worker)
            worker.kill()

    async def close(self) -> None:
        """Stop every worker."""
        for worker in list(self._workers):
            await asyncio.to_thread(worker.kill)
        self._workers.clear()
