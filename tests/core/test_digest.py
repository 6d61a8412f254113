"""R21: the daily digest of open requests for support."""

from __future__ import annotations

from tests.core.builders import POLICY, an_issue, cal, msk
from tracker_bridge.regulation.digest import daily_digests
from tracker_bridge.regulation.statuses import Status

ISSUES = [
    an_issue(key="SUP-1", priority="critical"),  # due Thu 5 March 12:00
    an_issue(key="SUP-2", priority="critical", created="2026-02-26 12:00"),  # breached
    an_issue(key="SUP-3"),  # normal, due 23 March
    an_issue(key="SUP-4", history=[("2026-03-02 13:00", Status.CLOSED)]),  # finished
    an_issue(key="SUP-5", customer="clinic-two"),
    an_issue(key="SUP-6", issue_type="improvement"),  # R18: no clock
]


def test_r21_the_digest_lists_open_requests_by_priority_due_today_and_breached() -> None:
    """R21: at the opening, support sees what to take today."""
    (item,) = daily_digests(ISSUES, ["clinic-one"], msk("2026-03-05 10:00"), cal(), POLICY)
    digest = item.digest
    assert digest.by_priority == {"critical": 2, "normal": 2}
    assert digest.open_total == 4
    assert [line.key for line in digest.due_today] == ["SUP-1"]
    assert [line.key for line in digest.breached] == ["SUP-2"]
    assert item.key == "digest:clinic-one:2026-03-05"


def test_r21_no_digest_before_the_opening_or_on_days_off() -> None:
    """R21/R6: nothing at 9:59, nothing on the 9 March holiday."""
    assert not daily_digests(ISSUES, ["clinic-one"], msk("2026-03-05 09:59"), cal(), POLICY)
    assert not daily_digests(ISSUES, ["clinic-one"], msk("2026-03-09 11:00"), cal(), POLICY)


def test_r21_every_customer_gets_one_even_with_nothing_open() -> None:
    """R21: an empty digest still tells support there is nothing waiting."""
    items = daily_digests([], ["a", "b"], msk("2026-03-05 15:00"), cal(), POLICY)
    assert [(i.digest.customer, i.digest.open_total) for i in items] == [("a", 0), ("b", 0)]
