"""Every FakeTracker fault knob against the gateway: what is retried, what is not, and that a
change Tracker made before failing is never made twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from structlog.testing import capture_logs

from tracker_bridge.foundation import retry
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.regulation.actions import AddComment, AttachFiles, Link, SetFields, Transition
from tracker_bridge.regulation.model import Attachment
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.errors import (
    TrackerAuthError,
    TrackerBadRequest,
    TrackerRateLimited,
    TrackerUnavailable,
)
from tracker_bridge.tracker.gateway import TrackerGateway

from .conftest import create_action, make_gateway

COMMENTS = "POST /v2/issues/{key}/comments"
EXECUTE = "POST /v2/issues/{key}/transitions/{id}/_execute"


async def test_5xx_is_retried_until_it_succeeds(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """Two 503s on a read, then the answer: three requests, one result."""
    fake.create_issue(summary="x")
    fake.fail_next("GET /v2/issues/{key}", status=503, times=2)
    assert (await gateway.issue("SUP-1")).key == "SUP-1"
    assert fake.request_count("GET", "/v2/issues/SUP-1") == 3


async def test_retries_stop_at_the_attempt_cap(fake: FakeTracker) -> None:
    """A Tracker that keeps failing: exactly `attempts` requests, then TrackerUnavailable."""
    fake.create_issue(summary="x")
    fake.fail_next("GET /v2/issues/{key}", status=500, times=10)
    async with make_gateway(fake, retry=RetryPolicy(attempts=3)) as gateway:
        with pytest.raises(TrackerUnavailable) as error:
            await gateway.issue("SUP-1")
    assert error.value.status == 500
    assert fake.request_count("GET", "/v2/issues/SUP-1") == 3


async def test_429_waits_at_least_retry_after(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """A 429's Retry-After is the floor of the wait (logged; the suite does not sleep)."""
    fake.rate_limit_next("POST /v2/issues/_search", retry_after=7)
    with capture_logs() as logs:
        assert await gateway.search("Queue: SUP") == []
    (retry,) = [e for e in logs if e["event"] == "retry.scheduled"]
    assert retry["wait"] >= 7
    assert retry["error"] == "TrackerRateLimited"
    assert fake.request_count("POST", "/v2/issues/_search") == 2


async def test_a_retry_after_beyond_the_time_cap_is_not_waited_for(fake: FakeTracker) -> None:
    """When the asked wait passes the total-time cap, the rate limit is raised at once."""
    fake.rate_limit_next("POST /v2/issues/_search", retry_after=120)
    async with make_gateway(fake, retry=RetryPolicy(total_seconds=30)) as gateway:
        with pytest.raises(TrackerRateLimited) as error:
            await gateway.search("Queue: SUP")
    assert error.value.retry_after == 120
    assert fake.request_count("POST", "/v2/issues/_search") == 1


@pytest.mark.parametrize(
    ("inject", "requests"),
    [
        (lambda fake: fake.drop_next("GET /v2/issues/{key}"), 2),
        (lambda fake: fake.delay_next("GET /v2/issues/{key}", seconds=0.2), 1),
    ],
    ids=["a dropped connection is retried", "a slow answer within the timeout is just slow"],
)
async def test_a_dropped_connection_is_retried_and_a_slow_answer_waited_for(
    fake: FakeTracker, gateway: TrackerGateway, inject: Callable[[FakeTracker], None], requests: int
) -> None:
    """A connection closed without an answer is transient: the read is sent again; a delay
    shorter than the client timeout is waited for, with no retry."""
    fake.create_issue(summary="x")
    inject(fake)
    assert (await gateway.issue("SUP-1")).key == "SUP-1"
    assert fake.request_count("GET", "/v2/issues/SUP-1") == requests


async def test_an_answer_slower_than_the_timeout_is_retried(fake: FakeTracker) -> None:
    """A read that times out is sent again (the client's timeout is real time)."""
    fake.create_issue(summary="x")
    fake.delay_next("GET /v2/issues/{key}", seconds=0.6)
    async with make_gateway(fake, timeout=0.2) as gateway:
        assert (await gateway.issue("SUP-1")).key == "SUP-1"
    assert fake.request_count("GET", "/v2/issues/SUP-1") == 2


async def test_a_proxy_page_instead_of_json_is_transient(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """A 200 with HTML (a proxy's error page) is retried like an outage."""
    fake.create_issue(summary="x")
    fake.invalid_json_next("GET /v2/issues/{key}")
    assert (await gateway.issue("SUP-1")).key == "SUP-1"


@pytest.mark.parametrize(
    ("wrong", "status"),
    [({"token": "wrong"}, 401), ({"org_id": "999"}, 403)],
    ids=["bad token", "wrong organisation"],
)
async def test_a_bad_token_or_organisation_is_an_auth_error_without_retries(
    fake: FakeTracker, wrong: dict[str, str], status: int
) -> None:
    """401 (bad token) or 403 (organisation not found): TrackerAuthError at once, one request."""
    async with make_gateway(fake, **wrong) as gateway:
        with pytest.raises(TrackerAuthError) as error:
            await gateway.myself()
    assert error.value.status == status
    assert fake.request_count("GET", "/v2/myself") == 1


async def test_other_4xx_are_not_retried(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """422 (an unknown field) is permanent: one request, TrackerBadRequest."""
    fake.create_issue(summary="x")
    with pytest.raises(TrackerBadRequest):
        await gateway.set_fields(SetFields("SUP-1", {"noSuchField": "x"}), "SUP-1")
    assert fake.request_count("PATCH", "/v2/issues/SUP-1") == 1


async def test_iam_token_and_cloud_org_work(fake: FakeTracker) -> None:
    """An IAM token with a Cloud organisation id is accepted as well."""
    options = {"token": None, "org_id": None}
    cloud = {"iam_token": fake.iam_token, "cloud_org_id": fake.cloud_org_id}
    async with make_gateway(fake, **options, **cloud) as gateway:
        assert (await gateway.myself()).login == "robot-tracker-bridge"


class TestApplyThenFail:
    """Tracker made the change, then answered 500: the retry must not make it again."""

    async def test_create_is_not_duplicated(
        self, fake: FakeTracker, gateway: TrackerGateway
    ) -> None:
        """R1: the retry finds the issue by its unique."""
        fake.apply_then_fail("POST /v2/issues")
        assert await gateway.create_issue(create_action()) == "SUP-1"
        assert list(fake.issues) == ["SUP-1"]

    async def test_comment_is_not_duplicated(
        self, fake: FakeTracker, gateway: TrackerGateway
    ) -> None:
        """R8: the retry sees the marker and posts nothing."""
        fake.create_issue(summary="x")
        fake.apply_then_fail(COMMENTS, status=502)
        comment_id = await gateway.add_comment(AddComment("SUP-1", "t", "<m1>"), "SUP-1")
        assert [str(c.id) for c in fake.comments["SUP-1"]] == [comment_id]

    async def test_transition_is_not_duplicated(
        self, fake: FakeTracker, gateway: TrackerGateway
    ) -> None:
        """R13: the retry sees the target status reached; it reports the move as made."""
        fake.create_issue(summary="x")
        fake.apply_then_fail(EXECUTE)
        action = Transition("SUP-1", Status.IN_PROGRESS, "take:1", comment="Взято")
        assert await gateway.transition(action, "SUP-1") is True
        workflow = [e for e in fake.changelog["SUP-1"] if e.type == "IssueWorkflow"]
        assert len(workflow) == 1
        assert len(fake.comments["SUP-1"]) == 1

    async def test_attachment_is_not_duplicated(
        self, fake: FakeTracker, gateway: TrackerGateway
    ) -> None:
        """R7: the retry sees the file on the issue."""
        fake.create_issue(summary="x")
        fake.apply_then_fail("POST /v2/issues/{key}/attachments")
        files = (Attachment("a.txt", "text/plain", b"abc"),)
        await gateway.attach(AttachFiles("SUP-1", files, "<m>"), "SUP-1")
        assert [a.name for a in fake.attachments.values() if a.issue == "SUP-1"] == ["a.txt"]

    async def test_link_is_not_duplicated(self, fake: FakeTracker, gateway: TrackerGateway) -> None:
        """R20: the re-sent link is Tracker's 422 duplicate, which counts as done."""
        fake.create_issue(summary="old")
        fake.create_issue(summary="new")
        fake.apply_then_fail("POST /v2/issues/{key}/links")
        await gateway.link(Link("SUP-2", "SUP-1"), "SUP-2")
        assert len(fake.links) == 1

    async def test_comment_after_a_drop_is_posted_once(
        self, fake: FakeTracker, gateway: TrackerGateway
    ) -> None:
        """A comment whose request was dropped before Tracker saw it is posted on the retry."""
        fake.create_issue(summary="x")
        fake.drop_next(COMMENTS)
        await gateway.add_comment(AddComment("SUP-1", "t", "<m2>"), "SUP-1")
        assert len(fake.comments["SUP-1"]) == 1


async def test_a_timed_out_comment_is_rechecked_only_after_the_timeout_again(
    fake: FakeTracker,
) -> None:
    """A write Tracker finishes after our timeout is found by the re-check, not posted twice."""
    fake.create_issue(summary="x")
    fake.delay_next(COMMENTS, seconds=0.45)  # applied at 0.45 s; we give up at 0.3 s
    fast = RetryPolicy(initial_wait=0.01, max_wait=0.01, jitter=0)
    with retry.testing(False):
        async with make_gateway(fake, timeout=0.3, retry=fast) as gateway:
            await gateway.add_comment(AddComment("SUP-1", "t", "<slow>"), "SUP-1")
    assert len(fake.comments["SUP-1"]) == 1
    assert fake.request_count("POST", "/v2/issues/SUP-1/comments") == 1


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({"token": "t", "iam_token": "i", "org_id": "1"}, "exactly one of token"),
        ({"org_id": "1"}, "exactly one of token"),
        ({"token": "t", "org_id": "1", "cloud_org_id": "c"}, "exactly one of org_id"),
        ({"token": "t"}, "exactly one of org_id"),
    ],
)
def test_credentials_must_name_one_token_and_one_organisation(
    credentials: dict[str, str], message: str
) -> None:
    """Mixed or missing credentials are refused at construction, before any request."""
    with pytest.raises(ValueError, match=message):
        TrackerGateway(base_url="http://127.0.0.1:9", **credentials)  # type: ignore[arg-type]
