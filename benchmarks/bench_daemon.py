"""The whole daemon, wired by ``open_bridge`` from a config: latency, a backlog, memory, start-up.

1. **Email → issue with IMAP IDLE.** A private Dovecot on loopback, the daemon on the real clock
   over plain IMAP: the time from an APPEND to the issue existing in FakeTracker, one email at a
   time (the next is appended once the previous one is acknowledged and the source idles
   again). Baseline, same run: a bare imapclient IDLE loop (APPEND → EXISTS), which is Dovecot's
   own notification delay (it batches mailbox changes, about 0.5 s). The goal is on what the
   daemon adds beyond it.
2. **A 1,000-email backlog** waiting in the Maildir when the daemon starts (default intervals and
   ``tracker.concurrency``, real clock), one clinic, each email a new request from its own
   doctor; FakeTracker adding 50 ms to every request (its ``delay`` fault armed for every
   route): the wall time from opening the bridge until all 1,000 are issues, Tracker requests
   per email, the most requests in flight, and the time until every issue also has its deadline
   written and every requester the acknowledgment. Baseline: the same backlog with no delay.
3. **Memory.** The daemon in a process of its own, started with the environment of the shipped
   systemd unit (its ``Environment=`` lines: the malloc settings), the fakes in this process so
   their records are not counted; a ManualClock moved one loop interval per cycle so that sync,
   rules and outbox run and the intake polls the Maildir once a cycle (checked: 200 cycles, 200
   passes), a new email every 25 cycles; FakeTracker reads the same time through a shared file,
   so its timestamps move with the daemon's clock. Steady load: support (a thread beside the
   fake) closes each request 250 cycles after it arrived, as requests end in life; piling load:
   none is closed, so the growth includes the working set of 400 more open requests. VmRSS
   after warm-up and after each tenth of 10,000 more cycles (after a ``gc.collect()``), the
   peak (VmHWM), and the Python heap's growth in blocks (``sys.getallocatedblocks``). Baselines:
   a bare interpreter that imported ``tracker_bridge.runtime.wiring``; the steady run again without
   the
   unit's malloc settings. One run each (memory is not a timing: no median).
4. **Start to READY.** ``python -m tracker_bridge run`` (the systemd entrypoint) from spawning
   to ``READY=1`` on a fake ``$NOTIFY_SOCKET``; also the test entrypoint
   ``tracker_bridge.testing.daemon_process`` to its ``READY`` line. Baseline: the import alone,
   timed the same way (spawn → a line printed once imported).

Logging is the service's own (JSON lines), written to /dev/null: its cost is part of the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import mmap
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks._timing import Row, table
from benchmarks._world import (
    MSK,
    config_data,
    email,
    fakes,
    settings_for,
    toml_text,
    unit_environment,
)
from benchmarks.bench_imap import APPENDS, _fmt, _p, _raw_idle_latencies
from tracker_bridge.config import Settings
from tracker_bridge.foundation.clock import ManualClock, SystemClock
from tracker_bridge.mail.imap_source import ImapSource
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.observability.log import configure_logging, reset_logging
from tracker_bridge.runtime import wiring
from tracker_bridge.runtime.daemon import Daemon, Intervals
from tracker_bridge.runtime.wiring import Overrides, open_bridge
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.testing.dovecot import Dovecot, MailAccount
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture, free_port

TITLE = "Daemon (end to end)"
BACKLOG = 1_000
TRACKER_DELAY = 0.050
GOAL_P50, GOAL_P99 = 0.150, 0.500
GOAL_BACKLOG = 10.0
GOAL_REQUESTS = 1.2  # Tracker requests per email in the backlog: one create each (issue 11.10)
GOAL_RSS, GOAL_GROWTH = 80.0, 1.0  # MiB
GOAL_READY = 1.5
STARTS = 5
ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def run() -> str:
    with service_logging():
        rows = _latency_rows() + _backlog_rows() + _memory_rows() + _ready_rows()
    return table(rows) + "\n" + METHOD + "\n"


def _part(rows: Callable[[], list[Row]]) -> Callable[[], str]:
    def run_part() -> str:
        with service_logging():
            return table(rows())

    return run_part


METHOD = (
    "Backlog: one clinic, 1,000 new requests from 1,000 doctors in the Maildir at start, "
    "`tracker.concurrency` at its default (8): independent requests are registered side by "
    "side, a reply would wait for what it answers (tests/e2e/test_intake_order.py). Memory: "
    "the daemon in its own process with the shipped unit's environment (one malloc arena, no "
    "per-thread cache), a manual clock moved one loop interval (10 s) per cycle, a new request "
    'every 25 cycles; "steady" has support close each request 250 cycles later, "piling" '
    "closes none. Growth per tenth of the run shows caches filling to their bound (a falling "
    "series) rather than a leak (a flat one); the Python heap's block count shows what Python "
    "objects remain. One run each: memory is a count, not a timing."
)


@contextlib.contextmanager
def service_logging() -> Iterator[None]:
    """The service's own logging (JSON lines, as under journald), thrown away: its cost counts,
    its lines stay off the report."""
    with Path(os.devnull).open("w", encoding="utf-8") as devnull:
        configure_logging(json=True, stream=devnull)
        try:
            yield
        finally:
            reset_logging()


# --- 1. email → issue with IDLE ------------------------------------------------------------------


def _latency_rows() -> list[Row]:
    with Dovecot() as dc:
        raw = _raw_idle_latencies(dc.add_user("bench-raw"))
        ours = asyncio.run(_daemon_latencies(dc.add_user("bench-daemon")))
    beyond50, beyond99 = _p(ours, 50) - _p(raw, 50), _p(ours, 99) - _p(raw, 99)
    ok = beyond50 <= GOAL_P50 and beyond99 <= GOAL_P99
    return [
        Row(
            f"APPEND → EXISTS, bare imapclient IDLE ({APPENDS} appends)",
            _fmt(raw),
            "",
            "(this is the baseline: Dovecot's own delay)",
        ),
        Row(
            f"APPEND → issue in FakeTracker, whole daemon, IDLE ({APPENDS} emails)",
            _fmt(ours),
            "",
            f"Dovecot alone: {_fmt(raw)}",
        ),
        Row(
            "daemon's share beyond Dovecot's delay (p50; p99)",
            f"{beyond50 * 1000:.0f} ms; {beyond99 * 1000:.0f} ms",
            f"≤ {GOAL_P50 * 1000:.0f} ms; ≤ {GOAL_P99 * 1000:.0f} ms",
            f"p50 {_p(raw, 50) * 1000:.0f} ms; p99 {_p(raw, 99) * 1000:.0f} ms",
            "ok" if ok else "MISSED",
        ),
    ]


async def _daemon_latencies(account: MailAccount) -> list[float]:
    root = Path(tempfile.mkdtemp(prefix="bench-daemon-"))
    source = f"imap://{account.user}@{account.host}:{account.port}"
    samples = []
    try:
        with fakes() as (tracker, smtp), account.client() as writer:
            settings = settings_for(
                root, tracker, smtp, source=source, imap_password=account.password
            )
            over = Overrides(imap_security="plain")
            async with open_bridge(settings, clock=SystemClock(), overrides=over) as bridge:
                imap = bridge.source
                assert isinstance(imap, ImapSource)
                task = asyncio.create_task(bridge.daemon.run())
                for n in range(APPENDS):
                    # one email at a time: the previous one is filed, acknowledged and settled
                    await _until(partial(_idle_again, imap, smtp, n), task)
                    started = time.perf_counter()
                    await asyncio.to_thread(writer.append, "INBOX", email(n))
                    await _until(partial(_issues_at_least, tracker, n + 1), task)
                    samples.append(time.perf_counter() - started)
                bridge.daemon.stop()
                await task
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return samples


def _idle_again(imap: ImapSource, smtp: SmtpCapture, acks: int) -> bool:
    return imap.idling and len(smtp.messages) >= acks


def _issues_at_least(tracker: FakeTracker, count: int) -> bool:
    return len(tracker.issues) >= count


async def _until(
    done: Callable[[], bool], task: asyncio.Task[None], limit: float = 20.0, every: float = 0.001
) -> None:
    """Poll ``done`` every ``every`` seconds (real time: the daemon runs on the system clock)."""
    deadline = time.perf_counter() + limit
    while not done():
        if task.done():
            task.result()
            raise RuntimeError("the daemon stopped")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"not done within {limit:.0f} s")
        await asyncio.sleep(every)


# --- 2. a 1,000-email backlog ------------------------------------------------------------------


def _backlog_rows() -> list[Row]:
    load_before = os.getloadavg()[0]
    base = asyncio.run(_backlog(0.0))
    slow = asyncio.run(_backlog(TRACKER_DELAY))
    full = asyncio.run(_backlog(TRACKER_DELAY, group_commit=False))
    load = f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    delay_ms = TRACKER_DELAY * 1000
    return [
        Row(
            f"{BACKLOG:,}-email backlog → all issues, no added delay",
            f"{base.issues:.1f} s, {base.requests:.2f} Tracker requests per email",
            "",
            f"(the baseline) all deadlines written and acknowledgments sent: {base.settled:.1f} s",
        ),
        Row(
            f"{BACKLOG:,}-email backlog → all issues, +{delay_ms:.0f} ms per Tracker request",
            f"{slow.issues:.1f} s ({slow.issues / base.issues:.2f}× the no-delay baseline), "
            f"{slow.requests:.2f} Tracker requests per email, at most {slow.peak} in flight",
            f"≤ {GOAL_BACKLOG:.0f} s",
            f"no delay: {base.issues:.1f} s; one creation after another alone would take "
            f"{BACKLOG * TRACKER_DELAY:.0f} s; all deadlines written and acknowledgments sent: "
            f"{slow.settled:.1f} s; {load}",
            "ok" if slow.issues <= GOAL_BACKLOG else "MISSED",
        ),
        Row(
            f"the same, +{delay_ms:.0f} ms, every durable commit fsynced inside COMMIT on the "
            "event loop (synchronous=FULL: the store before group commit)",
            f"{full.issues:.1f} s ({full.issues / base.issues:.2f}× the no-delay baseline)",
            "",
            f"group commit: {slow.issues:.1f} s; all settled {full.settled:.1f} s against "
            f"{slow.settled:.1f} s",
        ),
        Row(
            f"Tracker requests per email in the {BACKLOG:,}-email backlog (+{delay_ms:.0f} ms)",
            f"{slow.requests:.2f}",
            f"≤ {GOAL_REQUESTS}",
            f"no delay: {base.requests:.2f}; the floor is 1 (one create per email, deadline and "
            "local fields in it; the new issue evaluated from the create's answer)",
            "ok" if slow.requests <= GOAL_REQUESTS else "MISSED",
        ),
    ]


@contextlib.contextmanager
def _store_mode(group_commit: bool) -> Iterator[None]:
    """The daemon's store as wired (group commit), or with every durable commit fsynced inside
    COMMIT as before it: the wiring's SqliteStore swapped for one that ignores the flag."""
    if group_commit:
        yield
        return
    real = wiring.SqliteStore

    def full(path: str, **_kwargs: Any) -> SqliteStore:
        return real(path)

    wiring.SqliteStore = full  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        wiring.SqliteStore = real  # type: ignore[misc]


@dataclass(frozen=True)
class Backlog:
    issues: float  # seconds until every email is an issue
    settled: float  # ... and every issue has its deadline and its requester the acknowledgment
    requests: float  # Tracker requests per email, up to `issues`
    peak: int  # the most Tracker requests in flight at once


async def _backlog(delay: float, *, group_commit: bool = True) -> Backlog:
    """The bridge opened on a Maildir holding the whole backlog, timed to the two milestones."""
    root = Path(tempfile.mkdtemp(prefix="bench-backlog-"))
    try:
        with fakes() as (tracker, smtp):
            for n in range(BACKLOG):
                deliver(root / "Maildir", email(n))
            if delay:
                tracker.delay_next("* /*", delay, times=1_000_000_000)  # every route, for good
            settings = settings_for(root, tracker, smtp)
            started = time.perf_counter()
            with _store_mode(group_commit):
                async with open_bridge(settings, clock=SystemClock()) as bridge:
                    task = asyncio.create_task(bridge.daemon.run())
                    await _until(lambda: len(tracker.issues) >= BACKLOG, task, limit=600.0)
                    issues = time.perf_counter() - started
                    requests = len(tracker.requests)
                    await _until(partial(_settled, tracker, smtp), task, limit=600.0, every=0.02)
                    settled = time.perf_counter() - started
                    bridge.daemon.stop()
                    await task
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return Backlog(issues, settled, requests / BACKLOG, tracker.peak_in_flight)


def _settled(tracker: FakeTracker, smtp: SmtpCapture) -> bool:
    with tracker.lock:  # the deadline field's id in the benchmark's (default) configuration
        written = all("slaDeadline" in issue.local for issue in tracker.issues.values())
    return written and len(smtp.messages) >= BACKLOG


# --- 3. memory over 10,000 cycles -----------------------------------------------------------------


def _memory_rows() -> list[Row]:
    bare = _child_json(["-c", _BARE_RSS])["rss"]
    steady = _memory_run(close_after=CLOSE_AFTER)
    plain = _memory_run(close_after=CLOSE_AFTER, as_unit=False)
    piling = _memory_run(close_after=None)
    cycles, every, warmup = _MEMORY_JOB["cycles"], _MEMORY_JOB["mail_every"], _MEMORY_JOB["warmup"]
    new_issues = cycles // every
    runs = (steady, plain, piling)
    highest = max(max(r["end"], r["peak"]) for r in runs)
    return [
        Row(
            f"daemon RSS after {warmup:,} warm-up cycles",
            f"{steady['warm']:.1f} MiB",
            f"≤ {GOAL_RSS:.0f} MiB",
            f"bare interpreter + tracker_bridge.runtime.wiring: {bare:.1f} MiB; "
            f"{steady['threads'][0]} threads",
            "ok" if steady["warm"] <= GOAL_RSS else "MISSED",
        ),
        Row(
            f"daemon RSS after {cycles:,} more cycles, and peak (VmHWM): the highest of the "
            "three runs below",
            f"{highest:.1f} MiB",
            f"≤ {GOAL_RSS:.0f} MiB",
            f"bare: {bare:.1f} MiB",
            "ok" if highest <= GOAL_RSS else "MISSED",
        ),
        Row(
            f"RSS growth over {cycles:,} cycles, as the service runs (the unit's malloc "
            f"settings); steady load: an email every {every} cycles, each request closed by "
            f"support {CLOSE_AFTER} cycles later ({new_issues} requests, "
            f"~{CLOSE_AFTER // every} open at a time; {steady['seconds']:.0f} s real time)",
            _growth(steady),
            f"≤ {GOAL_GROWTH:.0f} MiB",
            f"Python heap: {steady['blocks']:+,} blocks; {_trend(steady)}",
            "ok" if steady["end"] - steady["warm"] <= GOAL_GROWTH else "MISSED",
        ),
        Row(
            "the same without the unit's malloc settings (glibc defaults: an arena and a cache "
            "of freed blocks per thread)",
            _growth(plain),
            "",
            f"Python heap: {plain['blocks']:+,} blocks; {_trend(plain)}",
        ),
        Row(
            f"RSS growth over {cycles:,} cycles as the service runs, requests piling up: the "
            f"same mail, none closed ({new_issues} more open requests at the end)",
            f"{_growth(piling)}; "
            f"{(piling['end'] - piling['warm']) * 1024 / new_issues:.1f} KiB per open request",
            "",
            f"Python heap: {piling['blocks']:+,} blocks "
            f"({piling['blocks'] / new_issues:.0f} per open request); the working set, not a leak",
        ),
    ]


def _trend(got: dict[str, Any]) -> str:
    """Growth per tenth of the run: caches filling show a falling series, a leak a flat one."""
    points = [got["warm"], *got["trace"]]
    steps = [f"{(b - a) * 1024:+.0f}" for a, b in itertools.pairwise(points)]
    return "KiB per tenth of the run: " + " ".join(steps)


def _growth(got: dict[str, Any]) -> str:
    total, first = got["end"] - got["warm"], got["mid"] - got["warm"]
    return f"{total:+.2f} MiB (first half {first:+.2f}, second {total - first:+.2f})"


def _memory_run(close_after: int | None, *, as_unit: bool = True) -> dict[str, Any]:
    """One memory job in a child process, in the environment of the shipped systemd unit (or,
    ``as_unit=False``, in this process's); support closes requests from this one."""
    with (
        _scratch() as root,
        SharedClock(root / "clock", MEMORY_START) as clock,
        fakes(clock) as (tracker, smtp),
    ):
        job = {"config": config_data(root, tracker, smtp), "clock": str(clock.path)}
        after = None if close_after is None else close_after * _MEMORY_JOB["step"]
        with _SupportCloses(tracker, clock, after):
            env = unit_environment() if as_unit else {}
            return _child_json(["-c", _MEMORY_CHILD], json.dumps(job | _MEMORY_JOB), env)


class _SupportCloses:
    """Support closing every request ``after`` seconds (of the shared clock) from its creation:
    a thread beside the fake, in this process, so the daemon's process holds only the daemon."""

    def __init__(self, tracker: FakeTracker, clock: SharedClock, after: float | None) -> None:
        self._tracker, self._clock, self._after = tracker, clock, after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="support", daemon=True)

    def __enter__(self) -> None:
        if self._after is not None:
            self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        assert self._after is not None
        while not self._stop.wait(0.02):
            due = self._clock.now().timestamp() - self._after
            with self._tracker.lock:
                keys = [
                    key
                    for key, issue in self._tracker.issues.items()
                    if issue.status != "closed" and issue.created_at.timestamp() <= due
                ]
            for key in keys:
                self._tracker.transition(key, "close", by="ivanov", resolution="fixed")


CLOSE_AFTER = 250  # cycles from a request's arrival to support closing it (~42 min of clock)
_MEMORY_JOB = {"warmup": 500, "cycles": 10_000, "mail_every": 25, "step": 10.0}
MEMORY_START = datetime(2026, 3, 2, 9, 0, tzinfo=MSK)  # a Monday morning


class SharedClock:
    """A ManualClock's time shared between processes through an 8-byte file (POSIX seconds).

    The daemon's process owns the ManualClock and :meth:`publish` es its time after every step;
    the FakeTracker in this process reads it through :meth:`now`, so the fake's timestamps move
    with the daemon's clock, as in the end-to-end tests.
    """

    def __init__(self, path: Path, start: datetime | None = None) -> None:
        self.path = path
        if start is not None:
            path.write_bytes(struct.pack("d", start.timestamp()))
        self._file = path.open("r+b")
        self._map = mmap.mmap(self._file.fileno(), 8)

    def now(self) -> datetime:
        (stamp,) = struct.unpack_from("d", self._map)
        return datetime.fromtimestamp(stamp, UTC)

    def publish(self, when: datetime) -> None:
        struct.pack_into("d", self._map, 0, when.timestamp())

    def __enter__(self) -> SharedClock:
        return self

    def __exit__(self, *exc: object) -> None:
        self._map.close()
        self._file.close()


_BARE_RSS = """
import json, tracker_bridge.runtime.wiring
from benchmarks.bench_daemon import rss_mib
print(json.dumps({"rss": rss_mib()}))
"""

_MEMORY_CHILD = """
import asyncio, json, sys
from benchmarks.bench_daemon import memory_child
print(json.dumps(asyncio.run(memory_child(json.load(sys.stdin)))))
"""


def rss_mib() -> float:
    """This process's resident set (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _peak_mib() -> float:
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child started by a big
    # parent would report the parent's peak
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


async def memory_child(job: dict[str, Any]) -> dict[str, Any]:
    """In the daemon's own process: warm up, then run ``cycles`` cycles; the RSS at both ends."""
    clock = ManualClock(MEMORY_START)
    step = float(job["step"])
    intervals = Intervals(mail_wait=step, sync=step, rules=step, outbox=step)
    settings = Settings.model_validate(job["config"])
    maildir = Path(job["config"]["mail"]["source"])
    over = Overrides(intervals=intervals)
    with service_logging(), SharedClock(Path(job["clock"])) as shared:
        async with open_bridge(settings, clock=clock, overrides=over) as bridge:
            task = asyncio.create_task(bridge.daemon.run())
            cycle = _Cycler(
                bridge.daemon,
                clock=clock,
                shared=shared,
                step=step,
                maildir=maildir,
                every=int(job["mail_every"]),
            )
            await cycle.run(int(job["warmup"]))
            warm, warm_threads = _settled_rss(), threading.active_count()
            blocks = sys.getallocatedblocks()
            started = time.perf_counter()
            # the RSS after each tenth of the run: growth that slows down is caches filling
            # to their bounds; growth at a steady pace would be a leak
            tenths = [_tenth(int(job["cycles"]), i) for i in range(10)]
            trace = []
            for cycles in tenths:
                await cycle.run(cycles)
                trace.append(_settled_rss())
            seconds = time.perf_counter() - started
            end_threads = threading.active_count()
            blocks = sys.getallocatedblocks() - blocks
            bridge.daemon.stop()
            await task
    peak = _peak_mib()
    return {
        "warm": warm,
        "mid": trace[4],
        "end": trace[-1],
        "trace": trace,
        "blocks": blocks,
        "peak": peak,
        "mails": cycle.mails,
        "seconds": seconds,
        "threads": [warm_threads, end_threads],
    }


def _tenth(total: int, i: int) -> int:
    return total * (i + 1) // 10 - total * i // 10


def _settled_rss() -> float:
    gc.collect()
    return rss_mib()


class _Cycler:
    """Moves a ManualClock one loop interval at a time, waiting for every loop to go round."""

    def __init__(
        self,
        daemon: Daemon,
        *,
        clock: ManualClock,
        shared: SharedClock,
        step: float,
        maildir: Path,
        every: int,
    ) -> None:
        self._daemon, self._clock, self._shared, self._step = daemon, clock, shared, step
        self._maildir, self._every = maildir, every
        self.cycles = self.mails = 0

    async def run(self, cycles: int) -> None:
        for _ in range(cycles):
            if self.cycles % self._every == 0:
                deliver(self._maildir, email(self.mails, when=self._clock.now(), tag="memory"))
                self.mails += 1
            self._shared.publish(self._clock.advance(self._step))
            self.cycles += 1
            await self._quiet()

    async def _quiet(self) -> None:
        """Until every loop sleeps on the clock again, a few turns of the event loop in a row."""
        loops, calm = len(self._daemon.loops), 0
        while calm < 3:
            await asyncio.sleep(0 if calm else 0.0005)
            calm = calm + 1 if self._clock.sleepers >= loops else 0


# --- 4. start to READY ----------------------------------------------------------------------------


def _ready_rows() -> list[Row]:
    imported = _median(lambda: _to_line([PYTHON, "-c", _IMPORTED]))
    bare = _median(lambda: _to_line([PYTHON, "-c", "print('READY', flush=True)"]))
    with fakes() as (tracker, smtp):
        service = _median(lambda: _to_notify_ready(tracker, smtp))
        test_entry = _median(lambda: _to_ready_line(tracker, smtp))
    baseline = (
        f"`import tracker_bridge.runtime.wiring`: {imported:.2f} s (bare interpreter: {bare:.2f} s)"
    )
    return [
        Row(
            f"`python -m tracker_bridge run` start → READY=1 on a fake $NOTIFY_SOCKET "
            f"(median of {STARTS})",
            f"{service:.2f} s",
            f"≤ {GOAL_READY} s",
            baseline,
            "ok" if service <= GOAL_READY else "MISSED",
        ),
        Row(
            f"`python -m tracker_bridge.testing.daemon_process` start → its READY line "
            f"(median of {STARTS})",
            f"{test_entry:.2f} s",
            "",
            baseline,
        ),
    ]


# the baseline prints a line once imported, timed the same way as the daemon's READY line
_IMPORTED = "import tracker_bridge.runtime.wiring; print('READY', flush=True)"


def _median(measure: Callable[[], float]) -> float:
    measure()  # warm-up: the first start also reads the files into the page cache
    return statistics.median(measure() for _ in range(STARTS))


def _to_notify_ready(tracker: FakeTracker, smtp: SmtpCapture) -> float:
    """Seconds from spawning ``tracker-bridge run`` until its READY=1 datagram arrives."""
    with _scratch() as root, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(root / "notify"))
        notify.settimeout(30)
        config = _config_file(root, tracker, smtp)
        env = {**os.environ, "NOTIFY_SOCKET": str(root / "notify")}
        argv = [PYTHON, "-m", "tracker_bridge", "run", "--config", str(config)]
        started = time.perf_counter()
        with _spawned(argv, env, subprocess.DEVNULL):
            while b"READY=1" not in notify.recv(4096).split(b"\n"):
                pass
            return time.perf_counter() - started


def _to_ready_line(tracker: FakeTracker, smtp: SmtpCapture) -> float:
    """Seconds from spawning the test entrypoint until it prints READY."""
    with _scratch() as root:
        config = _config_file(root, tracker, smtp)
        return _to_line(
            [PYTHON, "-m", "tracker_bridge.testing.daemon_process", "--config", str(config)]
        )


def _to_line(argv: list[str]) -> float:
    """Seconds from spawning ``argv`` until it prints a READY line."""
    started = time.perf_counter()
    with _spawned(argv, dict(os.environ), subprocess.PIPE) as proc:
        assert proc.stdout is not None
        while proc.stdout.readline().strip() != b"READY":
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[1:3]} exited with {proc.returncode}")
        return time.perf_counter() - started


def _config_file(root: Path, tracker: FakeTracker, smtp: SmtpCapture) -> Path:
    data = config_data(root, tracker, smtp)
    data["metrics_listen"] = f"127.0.0.1:{free_port()}"
    path = root / "tracker-bridge.toml"
    path.write_text(toml_text(data), encoding="utf-8")
    return path


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="bench-ready-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _spawned(
    argv: list[str], env: dict[str, str], stdout: int
) -> Iterator[subprocess.Popen[bytes]]:
    """The process, stopped with SIGTERM (SIGKILL after 10 s) on the way out."""
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.DEVNULL
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


# --- helpers (the IDLE baseline and the percentiles come from bench_imap) -------------------


def _child_json(
    args: list[str], stdin: str = "", env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``python ARGS`` from the project root (with ``env`` added to this process's
    environment); its stdout's last line as JSON."""
    done = subprocess.run(
        [PYTHON, *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# one part on its own: ``python -m benchmarks daemon:backlog``
PARTS = {
    "latency": _part(_latency_rows),
    "backlog": _part(_backlog_rows),
    "memory": _part(_memory_rows),
    "ready": _part(_ready_rows),
}
