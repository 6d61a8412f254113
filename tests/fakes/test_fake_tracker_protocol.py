"""FakeTracker at the HTTP level: headers, error bodies and parameters the client hides."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.fake_tracker.query import Condition, Or, parse_query
from tracker_bridge.testing.fake_tracker.state import ApiError

START = datetime(2026, 11, 26, 9, 15, tzinfo=UTC)


@pytest.fixture
def http(fake: FakeTracker) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers.update({"Authorization": f"OAuth {fake.token}", "X-Org-ID": fake.org_id})
        yield session


def _create(fake: FakeTracker, http: requests.Session, **body: Any) -> requests.Response:
    return http.post(f"{fake.url}/v2/issues/", json={"queue": "SUP", "summary": "x", **body})


def test_401_body_is_trackers_error_format(fake: FakeTracker) -> None:
    """No/invalid token → 401 {"errors": {}, "errorMessages": ["bad oauth status: …"], …}."""
    answer = requests.get(f"{fake.url}/v2/myself", headers={"X-Org-ID": fake.org_id}, timeout=5)
    body = answer.json()
    assert answer.status_code == 401
    assert body["errors"] == {}
    assert body["statusCode"] == 401
    assert body["errorMessages"][0].startswith("bad oauth status")
    assert answer.headers["Content-Type"] == "application/json; charset=UTF-8"


def test_patch_honours_the_version_query_parameter(
    fake: FakeTracker, http: requests.Session
) -> None:
    """PATCH ?version=N (docs patch-issue.md) is checked like If-Match."""
    _create(fake, http)
    stale = http.patch(f"{fake.url}/v2/issues/SUP-1?version=5", json={"summary": "y"})
    fresh = http.patch(f"{fake.url}/v2/issues/SUP-1?version=1", json={"summary": "y"})
    assert (stale.status_code, fresh.status_code) == (412, 200)
    assert fresh.json()["version"] == 2


def test_version_conflict_status_can_be_409() -> None:
    """version_conflict_status=409 follows patch-issue.md's wording instead of If-Match's 412."""
    with (
        FakeTracker(clock=ManualClock(START), version_conflict_status=409) as fake,
        requests.Session() as http,
    ):
        http.headers.update({"Authorization": f"OAuth {fake.token}", "X-Org-ID": fake.org_id})
        _create(fake, http)
        answer = http.patch(
            f"{fake.url}/v2/issues/SUP-1", json={"summary": "y"}, headers={"If-Match": '"9"'}
        )
        assert answer.status_code == 409


def test_search_link_header_has_first_next_and_seek(
    fake: FakeTracker, http: requests.Session
) -> None:
    """Paged _search answers X-Total-Count/X-Total-Pages and Link first/next/seek with perPage."""
    for _ in range(3):
        fake.create_issue("SUP", "x")
    answer = http.post(
        f"{fake.url}/v2/issues/_search?perPage=2&expand=transitions", json={"query": "Queue: SUP"}
    )
    assert (answer.headers["X-Total-Count"], answer.headers["X-Total-Pages"]) == ("3", "2")
    assert set(answer.links) == {"first", "next", "seek"}
    assert "page=2" in answer.links["next"]["url"]
    assert "expand=transitions" in answer.links["next"]["url"]
    assert answer.links["seek"]["url"].endswith("{&page}")
    last = http.post(answer.links["next"]["url"], json={"query": "Queue: SUP"})
    assert "next" not in last.links


def test_find_by_unique_unknown_is_404_and_body_may_be_absent(
    fake: FakeTracker, http: requests.Session
) -> None:
    """POST _findByUnique with no body: 404 for an unknown unique, 200 + issue for a known one."""
    _create(fake, http, unique="u-1")
    missing = http.post(f"{fake.url}/v2/issues/_findByUnique?unique=nope")
    found = http.post(f"{fake.url}/v2/issues/_findByUnique?unique=u-1")
    assert (missing.status_code, found.status_code, found.json()["key"]) == (404, 200, "SUP-1")


def test_missing_required_fields_is_422_with_field_errors(
    fake: FakeTracker, http: requests.Session
) -> None:
    """Create without summary → 422 with `errors` naming the field (an object, never a list)."""
    answer = http.post(f"{fake.url}/v2/issues", json={"queue": "SUP"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"summary": "required"}


def test_concurrent_creates_get_distinct_sequential_keys(fake: FakeTracker) -> None:
    """State is behind one lock: 40 creates from 4 threads make SUP-1..SUP-40 exactly once each."""

    def create_ten() -> None:
        with fake.client() as client:
            for _ in range(10):
                client.issues.create(queue="SUP", summary="parallel")

    threads = [threading.Thread(target=create_ten) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(fake.issues, key=lambda k: int(k.split("-")[1])) == [
        f"SUP-{n}" for n in range(1, 41)
    ]


def test_request_log_counts_the_hidden_fields_call_once_per_client(fake: FakeTracker) -> None:
    """fake.requests records (method, path); the client loads /v2/fields once and caches it."""
    fake.create_issue("SUP", "x")
    with fake.client() as client:
        for _ in range(3):
            assert client.issues["SUP-1"].summary == "x"
    assert fake.request_count("GET", "/v2/fields/") == 1
    assert fake.requests.count(("GET", "/v2/issues/SUP-1")) == 3


def test_query_parser_builds_conditions_sort_and_precedence() -> None:
    """The parser reads AND (space) tighter than OR and takes "Sort by" off the end."""
    parsed = parse_query('Queue: SUP Key: SUP-1 OR Key: SUP-2 "Sort by": Updated DESC, Key')
    assert isinstance(parsed.where, Or)
    assert parsed.sort == (("Updated", False), ("Key", True))
    single = parse_query('Updated: "2026-01-01".."2026-02-01"').where
    assert isinstance(single, Condition)
    assert single.terms[0].op == ".."
    assert single.terms[0].upper is not None
    with pytest.raises(ApiError):  # functions are not part of what the bridge sends
        parse_query('Created: >= today()-"1w 1d"')
