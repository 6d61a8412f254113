"""Mail is never lost to an outage and never blocks the mail behind it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import DOCTOR, running_world
from tracker_bridge.mail.source import IncomingMessage


async def test_mail_that_meets_a_tracker_outage_waits_in_the_inbox_and_goes_through_after(
    tmp_path: Path,
) -> None:
    """An outage longer than the retry policy: the email stays, then becomes one issue."""
    async with running_world(tmp_path) as world:
        world.tracker.fail_next("POST /v2/issues", status=503, times=12)
        world.mail(subject="Не работает печать", body="Логин: ivanova")
        await world.settle(30.0, step=1.0)
        assert world.tracker.issues == {}
        assert list((world.maildir / "new").iterdir()) or list((world.maildir / "cur").iterdir())
        await world.run_until(lambda: bool(world.tracker.issues), step=5.0)
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        assert [i.key for i in world.tracker.issues.values()] == ["SUP-1"]
        assert len(world.mails_to(DOCTOR)) == 1
        registry = world.bridge.metrics.registry
        retries = registry.get_sample_value("tracker_bridge_retries_total", {"system": "tracker"})
        # the first call retries within itself; once Tracker is taken for down, each scheduled
        # retry is one request (the daemon's backoff waits, not a burst per message)
        assert retries is not None and retries >= 2
        assert world.tracker.pending_faults == 0  # all 12 failures were met and waited out


async def test_a_message_that_cannot_be_handled_is_quarantined_with_its_reason(
    tmp_path: Path,
) -> None:
    """Bad input is kept aside, visible in the quarantine index, with why."""
    async with running_world(tmp_path) as world:
        message = IncomingMessage("maildir:poison", b"Subject: x\r\n\r\nbody")
        result = world.bridge.intake.quarantine(message, "could not be handled: boom")
        assert result.settle == "quarantine"
        (item,) = world.bridge.store.quarantine_list()
        assert item.reason == "could not be handled: boom"
        assert item.raw == message.raw
        outcome = world.bridge.store.message_outcome(result.message_id)
        assert outcome is not None and outcome.outcome == "quarantined"
