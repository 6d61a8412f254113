"""Tracker answers 503 to everything for ten minutes while mail keeps arriving (issue 6 §7).

In process, on the e2e harness's ManualClock: the fake Tracker fails every request until the
test lifts the fault; meanwhile new requests and replies to earlier ones land in the Maildir.
Nothing may leave the inbox while Tracker is down, and once it is back the backlog drains:
one issue per request, one comment per reply, one acknowledgement each, no quarantine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.harness import World, running_world
from tests.reliability.support import (
    CLINIC_DOMAIN,
    customer_comment_markers,
    folder_files,
    issue_by_summary,
    message_id_counts,
)
from tracker_bridge.testing.fake_tracker import FakeTracker

OUTAGE_SECONDS = 600.0
STEP = 10.0
EVERYTHING = "* /*"
FOREVER = 10**9  # requests: the outage ends when the test clears the faults


def _request(world: World, n: int) -> str:
    world.mail(
        subject=f"Запрос {n:02d}: не печатается рецепт",
        body=f"Рецепт {n} не печатается.\nЛогин: user{n}\n",
        sender=f"doctor{n}@{CLINIC_DOMAIN}",
    )
    return f"Запрос {n:02d}: не печатается рецепт"


def _unavailable(tracker: FakeTracker) -> None:
    tracker.fail_next(EVERYTHING, status=503, times=FOREVER)


def _unreachable(tracker: FakeTracker) -> None:
    tracker.drop_next(EVERYTHING, times=FOREVER)


def _proxy_error_page(tracker: FakeTracker) -> None:
    tracker.invalid_json_next(EVERYTHING, times=FOREVER)


@pytest.mark.parametrize(
    "outage",
    [_unavailable, _unreachable, _proxy_error_page],
    ids=["503", "connections-cut", "proxy-html-page"],
)
async def test_a_ten_minute_tracker_outage_keeps_mail_in_the_inbox_then_drains_it(
    tmp_path: Path, outage: Callable[[FakeTracker], None]
) -> None:
    """R1/R8/R12: during an outage (503s; cut connections; a proxy's 200 HTML page) every
    email stays in the inbox; afterwards each becomes one issue or one comment, each request is
    acknowledged once, nothing is quarantined."""
    async with running_world(tmp_path) as world:
        before = _request(world, 0)
        await world.run_until(lambda: len(world.smtp.messages) == 1)
        first_id = str(world.smtp.messages[0]["In-Reply-To"])
        outage(world.tracker)
        summaries, replies, moved = [before], 0, 0.0
        while moved < OUTAGE_SECONDS:
            if int(moved) % 60 == 0:  # a new request every simulated minute, a reply every two
                summaries.append(_request(world, len(summaries)))
                if int(moved) % 120 == 0:
                    world.mail(
                        subject=f"Re: {before}",
                        body=f"Дополнение {replies}: карта 42.",
                        sender=f"doctor0@{CLINIC_DOMAIN}",
                        in_reply_to=first_id,
                    )
                    replies += 1
            await _step(world, STEP)
            moved += STEP
        waiting = len(folder_files(world.maildir))
        assert waiting == len(summaries) - 1 + replies  # all still in the inbox
        assert len(world.tracker.issues) == 1
        assert len(folder_files(world.maildir, "Processed")) == 1
        assert folder_files(world.maildir, "Quarantine") == []
        assert world.tracker.pending_faults < FOREVER  # the bridge kept knocking meanwhile
        world.tracker.clear_faults()
        await world.run_until(
            lambda: (
                not folder_files(world.maildir)
                and len(message_id_counts(world.smtp.messages)) == len(summaries)
            ),
            step=5.0,
            limit=900.0,
        )
        await world.settle()
        _check(world, summaries, replies)


async def _step(world: World, seconds: float) -> None:
    """Let the loops run on what they have, then move the clock (the harness's run_until step)."""
    for _ in range(4):
        await asyncio.sleep(0.005)
    world.clock.advance(seconds)


def _check(world: World, summaries: list[str], replies: int) -> None:
    assert {s: len(k) for s, k in issue_by_summary(world.tracker).items()} == dict.fromkeys(
        summaries, 1
    )
    (first,) = issue_by_summary(world.tracker)[summaries[0]]
    markers = customer_comment_markers(world.tracker)
    assert sorted(markers.values()) == [1] * replies
    assert len(world.tracker.comments.get(first, [])) == replies
    assert folder_files(world.maildir, "Quarantine") == []
    assert len(folder_files(world.maildir, "Processed")) == len(summaries) + replies
    counts = message_id_counts(world.smtp.messages)
    assert sorted(counts.values()) == [1] * len(summaries)  # one acknowledgement each
    acknowledged = {str(m["To"]) for m in world.smtp.messages}
    assert acknowledged == {f"doctor{n}@{CLINIC_DOMAIN}" for n in range(len(summaries))}
