"""FakeTracker fault knobs: what the real client (retries=0) raises, and the state afterwards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from yandex_tracker_client.exceptions import (
    InvalidJSONResponse,
    OutOfRetries,
    TrackerRequestError,
    TrackerServerError,
)

from tracker_bridge.testing.fake_tracker import FakeTracker

START = datetime(2026, 11, 26, 9, 15, tzinfo=UTC)


def test_fail_next_fails_exactly_n_calls_and_changes_nothing(
    fake: FakeTracker, client: Any
) -> None:
    """fail_next(status=503, times=2): two OutOfRetries with no issue made, then success."""
    fake.fail_next("POST /v2/issues", status=503, times=2)
    for _ in range(2):
        with pytest.raises(OutOfRetries) as error:
            client.issues.create(queue="SUP", summary="x", unique="u1")
        assert error.value.status_code == 503
    assert fake.issues == {}
    assert client.issues.create(queue="SUP", summary="x", unique="u1").key == "SUP-1"
    assert fake.pending_faults == 0


def test_fail_next_matches_only_its_route(fake: FakeTracker, client: Any) -> None:
    """ "POST /v2/issues" is creation only: _search and GETs are unaffected."""
    fake.fail_next("POST /v2/issues", status=500)
    assert list(client.issues.find(query="Queue: SUP")) == []
    assert client.myself.login == "robot-tracker-bridge"
    assert fake.pending_faults == 1


def test_route_templates_match_any_issue(fake: FakeTracker, client: Any) -> None:
    """ "{key}" stands for one path segment, so one knob covers comments on any issue."""
    issue = client.issues.create(queue="SUP", summary="x")
    fake.fail_next("POST /v2/issues/{key}/comments", status=502)
    with pytest.raises(OutOfRetries):
        issue.comments.create(text="hi")
    assert fake.comments["SUP-1"] == []


def test_the_clients_own_retries_absorb_5xx(fake: FakeTracker) -> None:
    """With the client's default retry loop two 503s are retried and the third call succeeds."""
    fake.fail_next("POST /v2/issues", status=503, times=2)
    with fake.client(retries=2) as retrying:
        assert retrying.issues.create(queue="SUP", summary="x").key == "SUP-1"
    assert fake.request_count("POST", "/v2/issues") == 3


def test_rate_limit_is_429_with_retry_after(fake: FakeTracker, client: Any) -> None:
    """A 429 (undocumented by Tracker) raises a plain TrackerServerError carrying Retry-After."""
    fake.rate_limit_next("POST /v2/issues/_search", retry_after=7)
    with pytest.raises(TrackerServerError) as error:
        client.issues.find(query="Queue: SUP")
    assert error.value.status_code == 429
    assert error.value.response.headers["Retry-After"] == "7"
    assert error.value.error_messages == ["Too many requests"]


def test_drop_closes_the_connection_without_an_answer(fake: FakeTracker, client: Any) -> None:
    """drop_next: the client gets a transport error (TrackerRequestError); nothing is made."""
    fake.drop_next("POST /v2/issues")
    with pytest.raises(TrackerRequestError) as error:
        client.issues.create(queue="SUP", summary="x")
    assert isinstance(error.value.original_error, requests.ConnectionError)
    assert fake.issues == {}
    assert client.issues.create(queue="SUP", summary="x").key == "SUP-1"


def test_delay_longer_than_the_client_timeout_is_a_timeout(fake: FakeTracker) -> None:
    """delay_next beyond the client's timeout raises TrackerRequestError(ReadTimeout)."""
    fake.delay_next("GET /v2/myself", seconds=0.3)
    with fake.client(timeout=0.05) as impatient, pytest.raises(TrackerRequestError) as error:
        impatient.myself  # noqa: B018  (the access is the request)
    assert isinstance(error.value.original_error, requests.Timeout)


def test_short_delay_then_a_normal_answer(fake: FakeTracker, client: Any) -> None:
    """delay_next within the timeout answers normally after the wait."""
    fake.delay_next("POST /v2/issues", seconds=0.02)
    assert client.issues.create(queue="SUP", summary="x").key == "SUP-1"
    assert fake.pending_faults == 0


def test_apply_then_fail_creates_and_a_retry_with_the_same_unique_finds_it(
    fake: FakeTracker, client: Any
) -> None:
    """apply_then_fail: the issue exists despite the 500; retrying with `unique` makes no twin."""
    fake.apply_then_fail("POST /v2/issues", status=500)
    with pytest.raises(OutOfRetries):
        client.issues.create(queue="SUP", summary="x", unique="mail-42")
    assert list(fake.issues) == ["SUP-1"]
    again = client.issues.create(queue="SUP", summary="x", unique="mail-42")
    assert again.key == "SUP-1"
    assert list(fake.issues) == ["SUP-1"]


def test_apply_then_fail_on_a_comment_keeps_the_comment(fake: FakeTracker, client: Any) -> None:
    """A comment whose answer was lost is still stored (so a blind retry would duplicate it)."""
    issue = client.issues.create(queue="SUP", summary="x")
    fake.apply_then_fail("POST /v2/issues/SUP-1/comments", status=503)
    with pytest.raises(OutOfRetries):
        issue.comments.create(text="[tb:1] ответ клиенту")
    assert [c.text for c in fake.comments["SUP-1"]] == ["[tb:1] ответ клиенту"]


def test_invalid_json_answer(fake: FakeTracker, client: Any) -> None:
    """invalid_json_next: a 200 HTML page makes the client raise InvalidJSONResponse."""
    fake.invalid_json_next("GET /v2/issues/{key}")
    client.issues.create(queue="SUP", summary="x")
    with pytest.raises(InvalidJSONResponse):
        client.issues["SUP-1"]


def test_clear_faults_disarms_everything(fake: FakeTracker, client: Any) -> None:
    """clear_faults() removes armed knobs."""
    fake.fail_next("* /v2/*", status=500, times=5)
    fake.clear_faults()
    assert client.myself.login == "robot-tracker-bridge"


def test_bad_route_spec_is_rejected(fake: FakeTracker) -> None:
    """A route must be "METHOD /path"; a typo fails at arming time, not silently."""
    with pytest.raises(ValueError, match="route must look like"):
        fake.fail_next("/v2/issues")
