"""The parser pool: parsing off the event loop, each message bounded in time and memory (issue 17).

Real worker processes (forkserver), the real parser; the misbehaving messages come from
:mod:`tracker_bridge.testing.hostile_parser`, since no input can make the real parser hang.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.mail.build import message
from tracker_bridge.config.connections import MailLimits
from tracker_bridge.mail.parse_pool import ParseBoundExceeded, ParsePool
from tracker_bridge.testing.hostile_parser import parse_or_misbehave

HANG = b"X-Test-Hang: yes\r\n" + message("stuck")
BALLOON = b"X-Test-Balloon: yes\r\n" + message("huge")
DEFAULT_TIMEOUT = MailLimits().parse_timeout.total_seconds()


async def _ticks_while(work: asyncio.Future[object], period: float = 0.05) -> int:
    """How many times the event loop ran a periodic task while ``work`` was pending."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(period)
        ticks += 1
    return ticks


async def test_a_parse_past_its_bound_is_given_up_and_the_loop_keeps_running() -> None:
    """A hanging parse ends in ParseBoundExceeded after the timeout; meanwhile the event loop
    (watchdog pings, health) keeps running, and the next message parses in a fresh worker."""
    pool = ParsePool(workers=1, timeout=1.0, parser=parse_or_misbehave)
    try:
        hung = asyncio.ensure_future(pool.parse(HANG))
        ticks = await _ticks_while(hung)
        with pytest.raises(ParseBoundExceeded, match="longer than 1 s"):
            await hung
        assert ticks >= 10  # the loop ran throughout (0.05 s ticks over a 1 s bound)
        pool.timeout = DEFAULT_TIMEOUT  # a loaded machine may need more than 1 s for the next
        mail = await pool.parse(message("после зависшего", Message_ID="<next@x>"))
        assert mail.message_id == "next@x"
    finally:
        await pool.close()


async def test_the_production_parse_timeout_bounds_a_hanging_parse() -> None:
    """Twin of the test above at the real setting (mail.limits.parse_timeout)."""
    pool = ParsePool(workers=2, timeout=DEFAULT_TIMEOUT, parser=parse_or_misbehave)
    try:
        started = time.monotonic()
        hung = asyncio.ensure_future(pool.parse(HANG))
        others = [
            await pool.parse(message(f"письмо {n}", Message_ID=f"<o{n}@x>")) for n in range(5)
        ]
        assert [m.message_id for m in others] == [f"o{n}@x" for n in range(5)]
        assert not hung.done()  # the others went through the second worker meanwhile
        with pytest.raises(ParseBoundExceeded):
            await hung
        assert time.monotonic() - started >= DEFAULT_TIMEOUT
    finally:
        await pool.close()


async def test_a_message_needing_too_much_memory_kills_only_its_worker() -> None:
    pool = ParsePool(workers=1, timeout=DEFAULT_TIMEOUT, memory_mib=512, parser=parse_or_misbehave)
    try:
        with pytest.raises(ParseBoundExceeded, match="worker died"):
            await pool.parse(BALLOON)
        assert (await pool.parse(message("ok", Message_ID="<ok@x>"))).message_id == "ok@x"
    finally:
        await pool.close()
