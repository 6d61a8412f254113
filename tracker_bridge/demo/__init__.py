"""``tracker-bridge demo``: the real daemon plays two weeks of the regulation, and checks itself.

No configuration and no network: :mod:`.world` starts a FakeTracker, a FakeTelegram, a local SMTP
capture and a Maildir in a temporary directory, wires the bridge with :func:`open_bridge` and runs
``daemon.run()`` on a ManualClock. :mod:`.scenes_week1` and :mod:`.scenes_week2` play the story
through the :class:`~tracker_bridge.demo.story.Stage`; :mod:`.observe` reads what really happened
from the records and :mod:`.timeline` prints it with the clause (R1…R22) that owed it, then a
summary. The exit code is 0 only if every expected outcome was observed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from tracker_bridge.demo.scenes_week1 import week_one
from tracker_bridge.demo.scenes_week2 import week_two
from tracker_bridge.demo.story import Keys, Stage
from tracker_bridge.demo.timeline import Timeline
from tracker_bridge.demo.world import msk, world
from tracker_bridge.observability.log import configure_logging, reset_logging

__all__ = ["run_demo"]

START = "2026-02-28 12:00"  # a Saturday
LEGEND = """
Each [stamp] line is something from outside (Moscow time). The lines under it are read back
from the records, not from the script: "mail:" the intake's outcome in the bridge's store,
"Tracker:" the fake Tracker's changelog (by whom), "Telegram:" the bot's messages in the group,
"email:" what the local SMTP server received. ✓/✗ lines check them against the clause.
"""


def run_demo(out: TextIO) -> int:
    """Play the story into ``out``; 0 if every clause was shown to hold, 1 otherwise."""
    # The daemon's own log would drown the timeline: warnings and errors only, on stderr.
    configure_logging(json=False, level="warning", stream=sys.stderr)
    try:
        return asyncio.run(_play(out))
    finally:
        reset_logging()


async def _play(out: TextIO) -> int:
    started = time.monotonic()
    out.write(
        "tracker-bridge demo — the real daemon against a fake Tracker, Telegram, SMTP and a "
        "Maildir,\non a manual clock: two weeks of a clinic's support, clause by clause.\n"
    )
    out.write(LEGEND)
    stopped: Exception | None = None
    async with world(msk(START)) as here:
        timeline = Timeline(out, here.clock.now)
        stage = Stage(here, timeline)
        keys = Keys()
        try:
            await week_one(stage, keys)
            await week_two(stage, keys)
        except Exception as exc:  # the summary still says what was shown before it
            stopped = exc
            out.write(f"\nthe story stopped: {type(exc).__name__}: {exc}\n")
    timeline.summary()
    held = timeline.ok and stopped is None
    verdict = "all clauses held" if held else "SOME EXPECTED OUTCOMES DID NOT HAPPEN"
    out.write(f"\n{verdict} — {time.monotonic() - started:.1f} s of real time\n")
    return 0 if held else 1
