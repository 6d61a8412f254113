"""Reading an older version's recorded verdict with today's taxonomy (issue 18, 11 §1)."""

from __future__ import annotations

import pytest

from tracker_bridge.tracker.errors import NoTransitionError, fixable_verdict, from_status


@pytest.mark.parametrize("status", [400, 401, 403, 422])
def test_what_a_person_fixes_is_tried_again(status: int) -> None:
    assert fixable_verdict(str(from_status(status, "token is not valid")))


def test_a_workflow_without_the_transition_is_tried_again() -> None:
    error = NoTransitionError("SUP-1", "open", "closed", ["start_progress"])
    assert fixable_verdict(str(error))


@pytest.mark.parametrize("status", [404, 409, 412])
def test_a_verdict_that_still_holds_stays_settled(status: int) -> None:
    assert not fixable_verdict(str(from_status(status, "no such issue")))


@pytest.mark.parametrize("text", ["", "boom", "SMTP 550 5.1.1 unknown user", "Tracker answered"])
def test_anything_else_stays_settled(text: str) -> None:
    assert not fixable_verdict(text)
