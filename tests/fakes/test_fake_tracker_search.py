"""FakeTracker conformance: _search (query, keys, paging, scroll) and _count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from yandex_tracker_client.exceptions import BadRequest, NotFound

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_tracker import FakeTracker

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def start() -> datetime:
    return START


def _seed(fake: FakeTracker, clock: ManualClock, count: int) -> None:
    """``count`` issues, one a minute, created as by a human so the client is not involved."""
    for n in range(count):
        fake.create_issue("SUP", f"issue {n}")
        clock.advance(timedelta(minutes=1))


def _headers(fake: FakeTracker) -> dict[str, str]:
    return {"Authorization": f"OAuth {fake.token}", "X-Org-ID": fake.org_id}


def test_query_pages_over_more_than_fifty_issues_following_link_next(
    fake: FakeTracker, client: Any, clock: ManualClock
) -> None:
    """A 120-issue query in pages of 50 yields all of them, sorted, via Link next + X-Total-*."""
    _seed(fake, clock, 120)
    found = client.issues.find(query='Queue: SUP "Sort by": Updated DESC', per_page=50)

    assert (len(found), found.pages_count) == (120, 3)
    keys = [i.key for i in found]
    assert keys == [f"SUP-{n}" for n in range(120, 0, -1)]
    assert fake.request_count("POST", "/v2/issues/_search") == 3


def test_seek_jumps_to_a_page(fake: FakeTracker, client: Any, clock: ManualClock) -> None:
    """rel="seek" lets SeekablePaginatedList.get_page(n) fetch page n directly."""
    _seed(fake, clock, 12)
    found = client.issues.find(query="Queue: SUP", per_page=5)
    assert [i.key for i in found.get_page(3)] == ["SUP-11", "SUP-12"]


def test_updated_cursor_query_selects_changes_since_the_cursor(
    fake: FakeTracker, client: Any, clock: ManualClock
) -> None:
    """`Updated: >= "<tracker time>"` with Sort by Updated ASC is the daemon's polling query."""
    _seed(fake, clock, 5)
    fake.update_issue("SUP-2", summary="touched")
    query = 'Queue: SUP Updated: >= "2026-11-26T09:04:00.000+0000" "Sort by": Updated ASC'
    assert [i.key for i in client.issues.find(query=query)] == ["SUP-5", "SUP-2"]


def test_query_conditions_keys_dates_and_or(
    fake: FakeTracker, client: Any, clock: ManualClock
) -> None:
    """The bridge's vocabulary: Queue by key or name, Key lists, date comparisons and ranges,
    AND, OR and parentheses."""
    _seed(fake, clock, 4)

    def keys(query: str) -> list[str]:
        return [i.key for i in client.issues.find(query=query)]

    assert keys("Queue: SUP Key: SUP-1, SUP-3") == ["SUP-1", "SUP-3"]
    assert keys('Queue: "Поддержка" Key: SUP-4') == ["SUP-4"]
    assert keys('Created: "2026-11-26 09:01:00".."2026-11-26 09:02:00"') == ["SUP-2", "SUP-3"]
    assert keys("Created: 2026-11-26..2026-11-26") == ["SUP-1", "SUP-2", "SUP-3", "SUP-4"]
    assert keys("Created: < 2026-11-27 AND (Key: SUP-4 OR Key: SUP-2)") == ["SUP-2", "SUP-4"]
    assert keys('Created: >= "2026-11-26 09:02:00" "Sort by": Created DESC') == ["SUP-4", "SUP-3"]


def test_zone_less_dates_are_read_in_the_configured_zone(clock: ManualClock) -> None:
    """query_tz decides how "YYYY-MM-DD HH:MM:SS" is read (the real zone is unverified)."""
    with FakeTracker(clock=clock, query_tz=ZoneInfo("Europe/Moscow")) as fake, fake.client() as c:
        fake.create_issue("SUP", "at 09:00 UTC = 12:00 MSK")
        assert len(c.issues.find(query='Created: >= "2026-11-26 12:00:00"')) == 1
        assert len(c.issues.find(query='Created: > "2026-11-26 12:00:00"')) == 0


def test_bad_query_is_a_400_in_tracker_error_format(fake: FakeTracker, client: Any) -> None:
    """Unknown fields, stray tokens, bad dates and functions the bridge never sends fail loudly
    with BadRequest."""
    for query in ("Bogus: 1", "Queue: SUP )", 'Updated: >= "yesterday-ish"', "Updated: >= now()"):
        with pytest.raises(BadRequest):
            client.issues.find(query=query)


def test_keys_with_a_query_is_a_400_and_queue_or_filter_are_not_sent(
    fake: FakeTracker, client: Any
) -> None:
    """keys together with a query → 400 (docs search-issues.md); the ``queue`` and ``filter``
    modes, which the bridge does not use, are refused rather than imitated."""
    with pytest.raises(BadRequest, match="You can only use keys"):
        client.issues.find(query="Queue: SUP", keys=["SUP-1"])
    for mode in ({"queue": "SUP"}, {"filter": {"queue": "SUP"}}):
        with pytest.raises(BadRequest, match="not supported by the fake"):
            client.issues.find(**mode)


def test_keys_mode_returns_the_named_issues(
    fake: FakeTracker, client: Any, clock: ManualClock
) -> None:
    """`keys` returns the named issues, in the order named."""
    _seed(fake, clock, 3)
    assert [i.key for i in client.issues.find(keys=["SUP-3", "SUP-1"])] == ["SUP-3", "SUP-1"]


def test_count_is_a_bare_integer_and_not_capped(fake: FakeTracker, client: Any) -> None:
    """_count answers an int; paged search caps X-Total-Count at the 10,000 limit."""
    fake.settings.max_search_results = 7  # the 10,000 cap, scaled down for speed
    for n in range(9):
        fake.create_issue("SUP", f"i{n}")
    assert client.issues.find(query="Queue: SUP", count_only=True) == 9
    found = client.issues.find(query="Queue: SUP", per_page=5)
    assert len(found) == 7
    assert len(list(found)) == 7


def test_search_expand_transitions_adds_available_transitions(
    fake: FakeTracker, client: Any
) -> None:
    """expand=transitions puts each issue's available transitions into the result."""
    fake.create_issue("SUP", "x")
    [issue] = client.issues.find(query="Key: SUP-1", expand="transitions")
    assert "start_progress" in {t["id"] for t in issue.as_dict()["transitions"]}


def test_scroll_returns_a_frozen_snapshot_page_by_page(
    fake: FakeTracker, clock: ManualClock
) -> None:
    """scrollType starts a snapshot; Link next carries scrollId/scrollToken until the end."""
    _seed(fake, clock, 5)
    body = {"filter": None, "query": "Queue: SUP", "queue": None, "keys": None}
    with requests.Session() as http:
        first = http.post(
            f"{fake.url}/v2/issues/_search?scrollType=sorted&perScroll=2",
            json=body,
            headers=_headers(fake),
        )
        fake.create_issue("SUP", "created after the scroll began")
        keys = [i["key"] for i in first.json()]
        following = first.links.get("next")
        while following:
            page = http.post(following["url"], json=body, headers=_headers(fake))
            keys += [i["key"] for i in page.json()]
            following = page.links.get("next")
    assert first.headers["X-Total-Count"] == "5"
    assert first.headers["X-Scroll-Id"]
    assert keys == ["SUP-1", "SUP-2", "SUP-3", "SUP-4", "SUP-5"]


def test_scroll_through_the_client_and_expiry(
    fake: FakeTracker, client: Any, clock: ManualClock
) -> None:
    """The client follows scroll links; an expired scroll id is a 404."""
    _seed(fake, clock, 3)
    found = client.issues.find(query="Queue: SUP", scrollType="unsorted", perScroll=2)
    assert [i.key for i in found] == ["SUP-1", "SUP-2", "SUP-3"]
    scroll_id = next(iter(fake.state.scrolls))
    clock.advance(timedelta(minutes=2))
    with pytest.raises(NotFound):
        client.issues.find(query="Queue: SUP", scrollId=scroll_id)


def test_scroll_with_keys_is_not_supported(fake: FakeTracker, client: Any) -> None:
    """scrollType with `keys` → 400 "Scroll is not supported"."""
    with pytest.raises(BadRequest, match="Scroll is not supported"):
        client.issues.find(keys=["SUP-1"], scrollType="sorted")
