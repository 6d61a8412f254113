"""Mail handled side by side, in order where it matters (tracker_bridge.service.lanes through the
daemon).

Every test delivers its emails before the daemon's next look at the mailbox, so they arrive as
one batch, and slows Tracker's issue creation (real time) so that the messages' work overlaps:
without the ordering, a reply handled beside the request it answers would find no issue yet.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.harness import CHIEF, DOCTOR, running_world
from tests.reliability.support import message_id_counts
from tracker_bridge.runtime.daemon import OUTBOX_GIVES_WAY
from tracker_bridge.testing.waiting import eventually

CREATE = "POST /v2/issues"
DOMAIN = "clinic1.example"
SLOW = 0.15  # seconds of real time per creation: long enough for the batch to overlap


async def test_r1_a_reply_in_the_same_batch_as_its_request_becomes_a_comment_on_it(
    tmp_path: Path,
) -> None:
    """R1/R8: a colleague's answer to a request, fetched together with it, waits for the request
    to be registered and lands as a comment on that issue, not as a second issue."""
    async with running_world(tmp_path) as world:
        world.tracker.delay_next(CREATE, SLOW, times=10)
        first = world.mail(subject="Не печатается рецепт", body="Логин: ivanova", sender=DOCTOR)
        world.mail(
            subject="Re: Не печатается рецепт",
            body="Добавлю: принтер в кабинете 12.",
            sender=CHIEF,
            in_reply_to=first,
        )
        await world.run_until(lambda: not world.folder(""), limit=120.0)
        await world.settle()
        assert list(world.tracker.issues) == ["SUP-1"]
        assert any("кабинете 12" in text for text in world.comments("SUP-1"))


async def test_r1_one_senders_requests_are_registered_in_the_order_they_came(
    tmp_path: Path,
) -> None:
    """R1: two requests from one person in one batch become issues in arrival order."""
    async with running_world(tmp_path) as world:
        world.tracker.delay_next(CREATE, 3 * SLOW)  # the first creation is the slowest
        world.tracker.delay_next(CREATE, SLOW / 3, times=10)
        subjects = [f"Запрос {n}: не сохраняется протокол" for n in range(3)]
        for subject in subjects:
            world.mail(subject=subject, body="Логин: ivanova", sender=DOCTOR)
        await world.run_until(lambda: len(world.tracker.issues) == 3, limit=120.0)
        assert [world.tracker.issues[f"SUP-{n}"].summary for n in (1, 2, 3)] == subjects


async def test_r1_independent_requests_are_registered_side_by_side_exactly_once(
    tmp_path: Path,
) -> None:
    """R1: requests from different people in one batch are worked on at once (Tracker sees
    several creations in flight), and each still becomes exactly one issue and one answer."""
    async with running_world(tmp_path, concurrency=4) as world:
        world.tracker.delay_next(CREATE, SLOW, times=10)
        senders = [f"doctor{n}@clinic1.example" for n in range(8)]
        for n, sender in enumerate(senders):
            world.mail(subject=f"Запрос {n}", body=f"Логин: user{n}", sender=sender)
        await world.run_until(lambda: len(world.smtp.messages) == 8, limit=120.0)
        await world.settle()
        assert world.tracker.peak_in_flight >= 2
        assert world.tracker.peak_in_flight <= 4  # the gateway's pool bounds Tracker's load
        assert sorted(i.summary for i in world.tracker.issues.values()) == [
            f"Запрос {n}" for n in range(8)
        ]
        assert sorted(message_id_counts(world.smtp.messages).values()) == [1] * 8


async def test_r1_concurrency_one_registers_a_batch_strictly_in_arrival_order(
    tmp_path: Path,
) -> None:
    """R1 with ``tracker.concurrency = 1``: one message at a time, issue numbers follow arrival
    and Tracker never serves two requests at once."""
    async with running_world(tmp_path, concurrency=1) as world:
        world.tracker.delay_next(CREATE, 0.02, times=10)
        senders = [f"doctor{n}@clinic1.example" for n in range(4)]
        for n, sender in enumerate(senders):
            world.mail(subject=f"Запрос {n}", body=f"Логин: user{n}", sender=sender)
        await world.run_until(lambda: len(world.tracker.issues) == 4, limit=120.0)
        await world.settle()
        assert [world.tracker.issues[f"SUP-{n + 1}"].summary for n in range(4)] == [
            f"Запрос {n}" for n in range(4)
        ]
        assert world.tracker.peak_in_flight == 1


async def test_r1_notices_wait_for_the_round_in_hand_but_not_past_the_bound(
    tmp_path: Path,
) -> None:
    """Issue 11.10: while an intake round's jobs run, the outbox gives way (a backlog is
    registered first, its notices follow) — but for ``OUTBOX_GIVES_WAY`` of the clock at the
    most: a round held up by a slow Tracker does not hold the notices up for longer."""
    async with running_world(tmp_path) as world:
        world.tracker.delay_next(CREATE, 8.0)  # real time: one creation hangs
        for n in range(2):
            world.mail(subject=f"Запрос {n}", body=f"Логин: user{n}", sender=f"doctor{n}@{DOMAIN}")

        def queued() -> list[str]:
            return [e.key for e in world.bridge.store.journal_pending() if e.kind == "notify"]

        # the other request is registered and its acknowledgement queued meanwhile
        await world.run_until(lambda: len(world.tracker.issues) == 1 and bool(queued()), step=0.2)
        await asyncio.sleep(0.5)  # real time, the clock standing still: the outbox gives way
        assert world.smtp.messages == [] and len(queued()) == 1
        assert len(world.tracker.issues) == 1  # the round is still in hand
        world.clock.advance(OUTBOX_GIVES_WAY)
        await eventually(lambda: len(world.smtp.messages) == 1, 5.0, "sent past the bound")
        assert len(world.tracker.issues) == 1  # while the round was still in hand
        await world.run_until(lambda: len(world.smtp.messages) == 2)


async def test_r1_twice_as_many_messages_in_hand_as_tracker_requests_in_flight(
    tmp_path: Path,
) -> None:
    """Issue 11.10: the intake works on twice ``tracker.concurrency`` messages at once, so their
    other steps overlap the round trips, while the gateway's pool still holds Tracker to
    ``tracker.concurrency`` requests in flight."""
    async with running_world(tmp_path, concurrency=2) as world:
        world.tracker.delay_next(CREATE, 1.0, times=10)  # real time: creations overlap
        for n in range(8):
            world.mail(subject=f"Запрос {n}", body=f"Логин: user{n}", sender=f"doctor{n}@{DOMAIN}")

        def begun() -> int:  # creations whose journal entry is written and not yet done
            return sum(1 for e in world.bridge.store.journal_pending() if e.kind == "CreateIssue")

        await world.run_until(lambda: begun() == 4, step=0.2, limit=60.0)
        assert world.tracker.peak_in_flight <= 2
        await world.run_until(lambda: len(world.smtp.messages) == 8)
        assert world.tracker.peak_in_flight == 2
        assert sorted(i.summary for i in world.tracker.issues.values()) == [
            f"Запрос {n}" for n in range(8)
        ]
