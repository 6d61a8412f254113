"""SMTP is away for an hour, then answers 451 a few times (issue 6 §7; R12, R22).

In process, on the e2e harness: the SMTP capture is stopped (connections refused) while requests
keep arriving. Intake must not wait for mail to go out: issues are made and the inbox empties;
the notifications queue in the journal and each is delivered exactly once when SMTP is back.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import World, running_world
from tests.reliability.support import (
    CLINIC_DOMAIN,
    folder_files,
    issue_by_summary,
    message_id_counts,
)

REQUESTS = 8
OUTAGE_SECONDS = 3600.0
DAY_SECONDS = 24 * 3600.0


def _request(world: World, n: int) -> str:
    summary = f"Запрос {n}: не открывается расписание"
    world.mail(subject=summary, body=f"Логин: user{n}\n", sender=f"doctor{n}@{CLINIC_DOMAIN}")
    return summary


async def test_notifications_queued_during_an_smtp_outage_are_all_delivered_once_after(
    tmp_path: Path,
) -> None:
    """R12/R22: with SMTP down, every request is still registered and its acknowledgement waits
    in the queue; once SMTP is back (after a few 451s too), each goes out exactly once."""
    async with running_world(tmp_path) as world:
        world.smtp.stop()
        summaries = [_request(world, n) for n in range(REQUESTS)]
        # intake never waits for SMTP: every request is registered and out of the inbox
        await world.run_until(
            lambda: len(world.tracker.issues) == REQUESTS and not folder_files(world.maildir),
            step=5.0,
            limit=600.0,
        )
        assert len(folder_files(world.maildir, "Processed")) == REQUESTS
        await world.settle(OUTAGE_SECONDS, 60.0)
        assert len(world.bridge.outbox.backlog()) == REQUESTS
        world.smtp.start()
        world.smtp.fail_next(451, times=3)
        await world.run_until(
            lambda: len(message_id_counts(world.smtp.messages)) == REQUESTS,
            step=30.0,
            limit=7200.0,
        )
        await world.settle()
        assert world.bridge.outbox.backlog() == []
        counts = message_id_counts(world.smtp.messages)
        assert sorted(counts.values()) == [1] * REQUESTS
        recipients = sorted(str(m["To"]) for m in world.smtp.messages)
        assert recipients == sorted(f"doctor{n}@{CLINIC_DOMAIN}" for n in range(REQUESTS))
        keys = {k for ks in issue_by_summary(world.tracker).values() for k in ks}
        assert {s: len(k) for s, k in issue_by_summary(world.tracker).items()} == dict.fromkeys(
            summaries, 1
        )
        for message in world.smtp.messages:
            assert any(f"[{key}]" in str(message["Subject"]) for key in keys)


async def test_a_day_long_smtp_outage_loses_no_notification(tmp_path: Path) -> None:
    """R22: "notifications are never lost": acknowledgements queued through a whole day without
    SMTP (a relay down over a night and a day) all go out, once each, when it returns."""
    async with running_world(tmp_path) as world:
        world.smtp.stop()
        for n in range(3):
            _request(world, n)
        await world.run_until(lambda: len(world.tracker.issues) == 3, step=5.0)
        await world.settle(DAY_SECONDS, 600.0)
        world.smtp.start()
        await world.run_until(
            lambda: len(message_id_counts(world.smtp.messages)) == 3, step=60.0, limit=7200.0
        )
        await world.settle()
        assert sorted(message_id_counts(world.smtp.messages).values()) == [1, 1, 1]
        assert world.bridge.outbox.backlog() == []
