"""The month's figures from issue views alone: boundaries, enhancements, empty customers."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.commands.world import msk
from tracker_bridge.cli.sla_figures import month_bounds, render_table, tally
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.statuses import Status

CAL = WorkCalendar.default()


def test_december_ends_at_the_first_midnight_of_january_in_moscow() -> None:
    """A month is bounded by midnights in the calendar's zone, across a year's end."""
    assert month_bounds("2026-12", CAL) == (msk("2026-12-01 00:00"), msk("2027-01-01 00:00"))


@pytest.mark.parametrize("text", ["2026-13", "26-03", "2026/03", "March"])
def test_a_malformed_month_is_refused(text: str) -> None:
    """Only YYYY-MM with a real month number is a month."""
    with pytest.raises(ValueError, match="expected YYYY-MM"):
        month_bounds(text, CAL)


def test_an_enhancement_counts_as_a_request_without_a_clock() -> None:
    """R18: enhancements are counted, have no clock, and leave the median alone."""
    enhancement = IssueView(
        key="SUP-1", customer="clinic-one", requester="a@b.example",
        created_at=msk("2026-03-02 11:00"), status=Status.OPEN, priority="normal",
        issue_type="improvement",
    )  # fmt: skip
    now = datetime.fromisoformat("2026-04-01T10:00+03:00")
    policy = Policy()  # "improvement" is an enhancement type by default
    (line, other) = tally([enhancement], ["clinic-one", "quiet-clinic"], now, CAL, policy)
    assert (line.requests, line.no_clock, line.met, line.breached, line.median_hours) == (
        1, 1, 0, 0, None,
    )  # fmt: skip
    assert other.requests == 0
    table = render_table([line, other], "March")
    (row,) = [r.split() for r in table.splitlines() if r.startswith("quiet-clinic")]
    assert row == ["quiet-clinic", "0", "0", "0", "0", "0", "0", "0", "0", "-", "0"]
