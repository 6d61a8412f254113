"""APPEND-to-seen latency of ImapSource with IDLE, against Dovecot's own notification delay.

A private Dovecot runs on loopback. The baseline is a bare imapclient IDLE loop: the time from an
APPEND on a second connection to the EXISTS push, which is Dovecot's own delay (about 0.5 s: it
batches mailbox-change notifications). Then the same through ImapSource: APPEND until
``wait_for_new`` has returned and ``fetch`` has handed the message over. The goal is that our
source adds less than 100 ms (p50) to what the server itself takes.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from structlog.testing import capture_logs

from benchmarks._timing import Row, table
from tracker_bridge.foundation.clock import SystemClock
from tracker_bridge.mail.imap_source import ImapSettings, ImapSource
from tracker_bridge.testing.dovecot import Dovecot, MailAccount

TITLE = "IMAP intake"
APPENDS = 50
GOAL_OVERHEAD = 0.100


def run() -> str:
    with Dovecot() as dc, capture_logs():  # keep the per-message log events off the report
        raw = _raw_idle_latencies(dc.add_user("bench-raw"))
        ours = asyncio.run(_source_latencies(dc.add_user("bench-source")))
    overhead = _p(ours, 50) - _p(raw, 50)
    rows = [
        Row(
            f"APPEND → EXISTS, bare imapclient IDLE ({APPENDS} appends)",
            _fmt(raw),
            "",
            "(this is the baseline: Dovecot's own delay)",
        ),
        Row(
            f"APPEND → fetched by ImapSource with IDLE ({APPENDS} appends)",
            _fmt(ours),
            f"p50 ≤ baseline p50 + {GOAL_OVERHEAD * 1000:.0f} ms",
            f"p50 {_p(raw, 50) * 1000:.0f} ms",
            "ok" if overhead <= GOAL_OVERHEAD else "MISSED",
        ),
        Row("ImapSource overhead beyond the server (p50)", f"{overhead * 1000:.0f} ms"),
    ]
    return table(rows)


def _raw_idle_latencies(account: MailAccount) -> list[float]:
    samples = []
    with account.client() as idler, account.client() as writer:
        idler.select_folder("INBOX")
        for n in range(APPENDS):
            idler.idle()
            started = time.perf_counter()
            writer.append("INBOX", _message(n))
            while not any(r[1:2] == (b"EXISTS",) for r in idler.idle_check(timeout=5)):
                pass
            samples.append(time.perf_counter() - started)
            idler.idle_done()
    return samples


async def _source_latencies(account: MailAccount) -> list[float]:
    settings = ImapSettings(
        host=account.host,
        port=account.port,
        user=account.user,
        password=account.password,
        security="plain",
    )
    samples = []
    with account.client() as writer:
        async with ImapSource(settings, clock=SystemClock()) as source:
            await source.fetch()
            for n in range(APPENDS):
                waiting = asyncio.create_task(source.wait_for_new(timeout=10))
                await _until_idling(source)
                started = time.perf_counter()
                await asyncio.to_thread(writer.append, "INBOX", _message(n))
                await waiting
                got = await source.fetch()
                samples.append(time.perf_counter() - started)
                assert len(got) == 1, f"expected the one new message, got {len(got)}"
                await source.settle(got[0], "done")
    return samples


async def _until_idling(source: ImapSource) -> None:
    for _ in range(5000):  # at most ~5 s
        if source.idling:
            return
        await asyncio.sleep(0.001)
    raise RuntimeError("the source never entered IDLE")


def _message(n: int) -> bytes:
    return f"Message-ID: <bench{n}@example.test>\r\nSubject: bench {n}\r\n\r\nbody\r\n".encode()


def _p(samples: list[float], pct: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


def _fmt(samples: list[float]) -> str:
    return f"p50 {_p(samples, 50) * 1000:.0f} ms, p99 {_p(samples, 99) * 1000:.0f} ms"
