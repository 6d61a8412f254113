"""Issue 11.7: a write Tracker applies after the client gave up on it is not sent again.

A comment (or an upload) whose send got no answer within the client's timeout may still be
applied. Until ``LATE_WRITE_WINDOW`` (2 min: the client's timeout plus the whole retry budget,
with room) has passed since that send, the gateway only re-reads; it sends again only after.
FakeTracker's ``delay`` fault applies the request late, in real time (the client's timeout is
real); the window runs on the gateway's clock (a ManualClock where the test moves it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tracker_bridge.foundation import retry
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.regulation.actions import AddComment, AttachFiles
from tracker_bridge.regulation.model import Attachment
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.errors import TrackerUnavailable
from tracker_bridge.tracker.writes import LATE_WRITE_WINDOW

from .conftest import make_gateway

COMMENTS = "POST /v2/issues/{key}/comments"
UPLOADS = "POST /v2/issues/{key}/attachments"


@pytest.fixture(name="tracker")
def tracker_fixture(clock: ManualClock) -> Iterator[FakeTracker]:
    with FakeTracker(clock=clock) as fake:
        fake.create_issue(summary="x")
        yield fake


async def test_a_comment_applied_after_the_timeout_and_its_recheck_is_not_posted_twice(
    tracker: FakeTracker, clock: ManualClock
) -> None:
    """Applied at 0.9 s, the client gives up at 0.3 s and re-reads at 0.6 s (after the timeout
    again): not there yet. The old gateway posted again (two copies); now it keeps re-reading
    inside the window and finds the late one."""
    tracker.delay_next(COMMENTS, seconds=0.9)
    patient = RetryPolicy(attempts=10, initial_wait=0.1, max_wait=0.2, jitter=0)
    with retry.testing(False):
        async with make_gateway(tracker, timeout=0.3, retry=patient) as gateway:
            found = await gateway.add_comment(AddComment("SUP-1", "t", "<late>"), "SUP-1")
    (comment,) = tracker.comments["SUP-1"]
    assert str(comment.id) == found
    assert tracker.request_count("POST", "/v2/issues/SUP-1/comments") == 1


async def test_at_the_real_timeout_a_write_landing_after_two_timeouts_is_found(
    tracker: FakeTracker, clock: ManualClock
) -> None:
    """The twin at production values (10 s timeout, the default retry policy): a comment
    applied 25 s after it was sent — past the timeout and the re-check one timeout later — is
    found by the re-reads, not posted again."""
    tracker.delay_next(COMMENTS, seconds=25.0)
    with retry.testing(False):
        async with make_gateway(tracker, retry=RetryPolicy()) as gateway:
            await gateway.add_comment(AddComment("SUP-1", "t", "<late-25>"), "SUP-1")
    assert len(tracker.comments["SUP-1"]) == 1
    assert tracker.request_count("POST", "/v2/issues/SUP-1/comments") == 1


async def test_an_unanswered_send_is_repeated_only_after_the_window(
    tracker: FakeTracker, clock: ManualClock
) -> None:
    """No answer within the timeout and the comment never lands (lost on the way): within the
    window every call only re-reads and fails transiently (the journal tries again later);
    once the window has passed on the injected clock, the comment is sent again — once."""
    tracker.hang_next(COMMENTS, seconds=0.5)
    action = AddComment("SUP-1", "t", "<lost>")
    once = RetryPolicy(attempts=1)  # each call one attempt: the journal's tries, one by one
    async with make_gateway(tracker, timeout=0.3, retry=once, clock=clock) as gateway:
        with pytest.raises(TrackerUnavailable, match="no answer"):
            await gateway.add_comment(action, "SUP-1")  # timed out
        with pytest.raises(TrackerUnavailable, match="re-reading, not re-sending"):
            await gateway.add_comment(action, "SUP-1")
        clock.advance(LATE_WRITE_WINDOW / 2)
        with pytest.raises(TrackerUnavailable, match="re-reading, not re-sending"):
            await gateway.add_comment(action, "SUP-1")  # the journal's next try
        assert tracker.request_count("POST", "/v2/issues/SUP-1/comments") == 1
        clock.advance(LATE_WRITE_WINDOW / 2)
        await gateway.add_comment(action, "SUP-1")
    assert len(tracker.comments["SUP-1"]) == 1
    assert tracker.request_count("POST", "/v2/issues/SUP-1/comments") == 2


async def test_an_upload_applied_late_is_not_uploaded_twice(
    tracker: FakeTracker, clock: ManualClock
) -> None:
    """The same for an attachment: applied at 0.9 s after a 0.3 s timeout, found, not re-sent."""
    tracker.delay_next(UPLOADS, seconds=0.9)
    files = AttachFiles("SUP-1", (Attachment("a.txt", "text/plain", b"abc"),), "<f>")
    patient = RetryPolicy(attempts=10, initial_wait=0.1, max_wait=0.2, jitter=0)
    with retry.testing(False):
        async with make_gateway(tracker, timeout=0.3, retry=patient) as gateway:
            await gateway.attach(files, "SUP-1")
    assert [a.name for a in tracker.attachments.values() if a.issue == "SUP-1"] == ["a.txt"]
    assert tracker.request_count("POST", "/v2/issues/SUP-1/attachments") == 1
