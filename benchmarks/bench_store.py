"""The state store, SQLite and PostgreSQL side by side in one run (issue 13.6).

1. **Store operations per mail** over a 1,000-email backlog through the whole daemon (Maildir,
   FakeTracker without added delay, default intervals and concurrency, real clock): the store
   is the daemon's own class with counters on its two entry points, reads (one statement each)
   and write transactions (each a commit: SQLite's durable ones fsync the WAL, PostgreSQL's
   commit is durable by default). Per mail, up to the moment every email is an issue.
2. **The 1,000-email backlog** on each store: seconds until all are issues, and until every
   deadline is written and every acknowledgment sent. Baseline: SQLite, the default store.
3. **One mail's outcome committed** (``commit_mail``: processed mark, thread entry, tracked
   issue, answer counter, one queued notice, one transaction): the median over 500; on
   PostgreSQL also as a leader's store does it, with the fencing token checked in the write.

PostgreSQL is a private cluster on loopback started for the run **with** fsync and full-page
writes (the tests' clusters run without), so both stores pay for durability.
4. **Failover time** (13.5): two daemon processes (the test entrypoint, ``--fast`` loops, the
   production ``failover`` settings: lease 20 s, checks every 5 s) on the PostgreSQL store and
   one shared Maildir; the leader is ``kill -9``-ed, :data:`FAILOVERS` times: the seconds from
   the kill to the new leader's READY, and to its first action (the next email becomes an
   issue). The killed one comes back as the standby each time. Median and worst.
"""

from __future__ import annotations

import asyncio
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks._timing import Row, table
from benchmarks._world import config_data, email, fakes, settings_for, toml_text
from benchmarks.bench_daemon import BACKLOG, _settled, _until, service_logging
from tracker_bridge.foundation.clock import SystemClock
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.runtime.wiring import Overrides, open_bridge
from tracker_bridge.store.leadership import Leadership
from tracker_bridge.store.postgres import PostgresStore
from tracker_bridge.store.protocol import Store
from tracker_bridge.store.records import MailOutcome, QueuedNotice, TrackedIssue
from tracker_bridge.store.sql_store import SqlStore
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.testing.daemon_process import READY_LINE
from tracker_bridge.testing.postgres import PostgresCluster

TITLE = "State store: SQLite and PostgreSQL"
COMMITS = 500
FAILOVERS = 5
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class _Counts:
    """Reads and write transactions, counted from any thread."""

    def __init__(self) -> None:
        self.reads = self.writes = 0
        self._lock = threading.Lock()

    def read(self) -> None:
        with self._lock:
            self.reads += 1

    def write(self) -> None:
        with self._lock:
            self.writes += 1


class _Counted(SqlStore):
    """The store's two entry points, counted (placed before the real store in the MRO)."""

    counts: _Counts

    def _read(self) -> AbstractContextManager[Any]:
        self.counts.read()
        return super()._read()

    def _tx(self, durable: bool = False) -> AbstractContextManager[Any]:
        self.counts.write()
        return super()._tx(durable)


class CountedSqlite(_Counted, SqliteStore):  # type: ignore[misc]
    counts = _Counts()


class CountedPostgres(_Counted, PostgresStore):
    counts = _Counts()


def run() -> str:
    with service_logging(), PostgresCluster(durable=True) as pg:
        sqlite = asyncio.run(_backlog(lambda root: CountedSqlite(root / "state.sqlite3")))
        postgres = asyncio.run(_backlog(lambda _root: CountedPostgres(pg.create_database())))
        commit_sqlite = _commit_median(lambda root: SqliteStore(root / "c.sqlite3"))
        commit_pg = _commit_median(lambda _root: PostgresStore(pg.create_database()))
        leaders: list[Leadership] = []
        commit_fenced = _commit_median(lambda _root: _leaders_store(pg.create_database(), leaders))
        for leader in leaders:
            leader.release()
        ready, acting = _failovers(pg.create_database())
    rows = [
        Row(
            f"store operations per mail, {BACKLOG:,}-email backlog (PostgreSQL)",
            f"{postgres['reads']:.1f} reads, {postgres['writes']:.1f} write transactions",
            "",
            f"SQLite: {sqlite['reads']:.1f} reads, {sqlite['writes']:.1f} write transactions",
        ),
        Row(
            f"{BACKLOG:,}-email backlog → all issues (PostgreSQL)",
            f"{postgres['issues']:.1f} s; all settled {postgres['settled']:.1f} s",
            "",
            f"SQLite: {sqlite['issues']:.1f} s; all settled {sqlite['settled']:.1f} s "
            f"(PostgreSQL ×{postgres['issues'] / sqlite['issues']:.2f})",
        ),
        Row(
            "one mail's outcome committed (commit_mail, median of 500, PostgreSQL)",
            f"{commit_pg * 1000:.2f} ms",
            "",
            f"SQLite: {commit_sqlite * 1000:.2f} ms (PostgreSQL ×{commit_pg / commit_sqlite:.2f})",
        ),
        Row(
            "the same, on a leader's store (every write checks the fencing token, 13.5)",
            f"{commit_fenced * 1000:.2f} ms",
            "",
            f"unfenced: {commit_pg * 1000:.2f} ms (×{commit_fenced / commit_pg:.2f})",
        ),
    ]
    rows.append(
        Row(
            f"failover: kill -9 of the leader → new leader READY / first new issue "
            f"({FAILOVERS} repeats)",
            f"median {statistics.median(ready):.1f} s / {statistics.median(acting):.1f} s; "
            f"worst {max(ready):.1f} s / {max(acting):.1f} s",
            "≤ 30 s",
            "check interval 5 s (a killed leader's lock is free at once)",
            "ok" if max(acting) <= 30 else "MISSED",
        )
    )
    return table(rows)


async def _backlog(make: Any) -> dict[str, float]:
    root = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        with fakes() as (tracker, smtp):
            for n in range(BACKLOG):
                deliver(root / "Maildir", email(n))
            store: SqlStore = make(root)
            counts: _Counts = store.counts  # type: ignore[attr-defined]
            counts.reads = counts.writes = 0
            settings = settings_for(root, tracker, smtp)
            started = time.perf_counter()
            try:
                over = Overrides(store=store)
                async with open_bridge(settings, clock=SystemClock(), overrides=over) as bridge:
                    task = asyncio.create_task(bridge.daemon.run())
                    await _until(lambda: len(tracker.issues) >= BACKLOG, task, limit=900.0)
                    issues = time.perf_counter() - started
                    reads, writes = counts.reads, counts.writes
                    await _until(partial(_settled, tracker, smtp), task, limit=900.0, every=0.02)
                    settled = time.perf_counter() - started
                    bridge.daemon.stop()
                    await task
            finally:
                store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"issues": issues, "settled": settled, "reads": reads / BACKLOG,
            "writes": writes / BACKLOG}  # fmt: skip


def _leaders_store(url: str, leaders: list[Leadership]) -> PostgresStore:
    """The store as an active/passive leader opens it: fenced with its token."""
    leader = Leadership(url, clock=SystemClock())
    asyncio.run(leader.acquire(since=AT))
    leaders.append(leader)
    return PostgresStore(url, fence_epoch=leader.epoch)


def _commit_median(make: Any) -> float:
    root = Path(tempfile.mkdtemp(prefix="bench-commit-"))
    samples: list[float] = []
    try:
        store: Store = make(root)
        try:
            for n in range(COMMITS):
                outcome = MailOutcome(
                    f"<m{n}@bench>", "created", AT + timedelta(seconds=n), issue_key=f"SUP-{n}",
                    tracked=TrackedIssue(f"SUP-{n}", "clinic", f"d{n}@c", AT),
                    answered=(f"d{n}@c",), day=date(2026, 3, 2),
                    notices=(QueuedNotice(f"notify:{n}", f"SUP-{n}", '{"template": "x"}'),),
                )  # fmt: skip
                started = time.perf_counter()
                store.commit_mail(outcome)
                samples.append(time.perf_counter() - started)
        finally:
            store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return statistics.median(samples)


def _failovers(url: str) -> tuple[list[float], list[float]]:
    """Kill the leader :data:`FAILOVERS` times; seconds to the new READY and to a new issue."""
    root = Path(tempfile.mkdtemp(prefix="bench-failover-"))
    ready: list[float] = []
    acting: list[float] = []
    try:
        with fakes() as (tracker, smtp):
            configs = []
            for host in ("a", "b"):
                data = config_data(root / host, tracker, smtp)
                data["mail"]["source"] = str(root / "Maildir")
                data["store_url"] = url
                (root / host).mkdir()
                configs.append(root / host / "tracker-bridge.toml")
                configs[-1].write_text(toml_text(data), encoding="utf-8")
            leader = _spawn(configs[0])
            standby = None
            try:
                _ready(leader)
                standby = _spawn(configs[1])
                time.sleep(1.0)  # the standby started and waits
                for n in range(FAILOVERS):
                    leader.kill()
                    leader.wait()
                    killed = time.perf_counter()
                    deliver(root / "Maildir", email(n, tag="failover"))
                    _ready(standby)
                    ready.append(time.perf_counter() - killed)
                    while len(tracker.issues) <= n:
                        time.sleep(0.01)
                    acting.append(time.perf_counter() - killed)
                    leader, standby = standby, _spawn(configs[n % 2])
                    time.sleep(1.0)  # let the new standby start before the next kill
            finally:
                for process in (leader, standby):
                    if process is not None:
                        process.kill()
                        process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return ready, acting


def _spawn(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tracker_bridge.testing.daemon_process", "--config", str(config),
         "--fast"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _ready(process: subprocess.Popen[bytes], within: float = 60.0) -> None:
    """Block until ``process`` prints READY (it leads)."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], within)
    if not ready or process.stdout.readline().strip() != READY_LINE.encode():
        raise RuntimeError("no READY from the standby")
