"""Parser workers die with the daemon, even a worker stuck in a parse and even on ``kill -9``
(issue 17.2: a watchdog kill, the OOM killer).

The daemon's parses run in forkserver worker processes (:mod:`tracker_bridge.mail.parse_pool`).
A SIGKILLed daemon runs no cleanup, so nothing of its own can stop them: the forkserver leaves
when the daemon's end of its liveness pipe closes, and each worker has asked the kernel for
SIGKILL when its parent dies. Under systemd the control group would sweep them up too, but a
daemon run by hand or by a test has none — before this, a worker in a hanging parse outlived
every restart.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.reliability.support import child_environment, descendants, eventually, running

# A stand-in for the daemon: a parser pool with one parse that never ends (the fault-injecting
# parser) and one that ends, so one worker is busy and one idle when the kill comes.
_DAEMON = """
import asyncio, sys
from tracker_bridge.mail.parse_pool import ParsePool
from tracker_bridge.testing.hostile_parser import parse_or_misbehave

HEAD = b"From: a@clinic1.example\\r\\nMessage-ID: <%s@x>\\r\\nSubject: s\\r\\n"

async def main() -> None:
    pool = ParsePool(workers=2, timeout=3600, parser=parse_or_misbehave)
    mark = b"X-Test-Hang: yes\\r\\nX-Test-Count: " + sys.argv[1].encode() + b"\\r\\n"
    hung = asyncio.ensure_future(pool.parse(mark + HEAD % b"h" + b"\\r\\nbody"))
    await pool.parse(HEAD % b"ok" + b"\\r\\nbody")
    print("READY", flush=True)
    await hung

asyncio.run(main())
"""


async def test_a_sigkilled_daemon_leaves_no_parser_process_behind(tmp_path: Path) -> None:
    counter, out = tmp_path / "parsed.count", tmp_path / "daemon.out"
    with out.open("wb") as stdout:  # a file, not a pipe: a survivor holding it blocks nothing
        daemon = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _DAEMON, str(counter), stdout=stdout, env=child_environment()
        )
    below: set[int] = set()
    try:
        await eventually(lambda: out.read_bytes().strip() == b"READY", 60, "the pool started")
        await eventually(counter.exists, 30, "the hanging parse started")
        below = descendants(daemon.pid)
        # the forkserver and its two workers (the busy one and the idle one)
        assert len(running(below)) >= 3, below
        daemon.send_signal(signal.SIGKILL)
        await daemon.wait()
        await eventually(
            lambda: not running(below), 10, "every parser process gone",
            lambda: f"still running: {sorted(running(below))}",
        )  # fmt: skip
    finally:
        if daemon.returncode is None:
            daemon.kill()
            await daemon.wait()
        for pid in running(below):  # a failed run leaves nothing behind
            os.kill(pid, signal.SIGKILL)
