"""Issue 11.8: docs/tracker.md lists every FakeTracker switch with all its values, and each
switch really changes what the fake does."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from yandex_tracker_client.exceptions import BadRequest, Conflict, PreconditionFailed

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.fake_tracker.switches import PROFILES, SWITCHES

DOC = Path(__file__).resolve().parents[2] / "docs" / "tracker.md"


def _shown(value: Any) -> str:
    return "UTC" if value is UTC else str(getattr(value, "key", value))


def test_docs_list_every_switch_with_every_value() -> None:
    rows = {
        cells[0].strip("`"): cells[1]
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if len(cells := [c.strip() for c in line.strip().strip("|").split("|")]) >= 3
    }
    for switch in SWITCHES:
        assert switch.name in rows, switch.name
        listed = [v.strip(" `") for v in rows[switch.name].split(",")]
        assert listed == [_shown(v) for v in switch.values], switch.name


def test_profiles_move_each_switch_to_each_other_value_once() -> None:
    moved = [change for _, change in PROFILES[1:]]
    assert sum(len(s.values) - 1 for s in SWITCHES) == len(moved)
    assert all(len(change) == 1 for change in moved)


def test_an_unknown_switch_is_refused(clock: ManualClock) -> None:
    with pytest.raises(AttributeError, match="no switch"):
        FakeTracker(clock=clock, marker_style="x")


@pytest.mark.parametrize(("value", "expected"), [("keep", True), ("strip", False), ("show", True)])
def test_marker_rendering(clock: ManualClock, value: str, expected: bool) -> None:
    with FakeTracker(clock=clock, marker_rendering=value) as fake, fake.client() as client:
        issue = client.issues.create(queue="SUP", summary="x")
        issue.comments.create(text="Текст\n\n<!-- tracker-bridge:customer:abc123abc123 -->")
        (comment,) = issue.comments.get_all(expand="html")
        assert ("<!--" in comment.text) is expected
        assert ("tracker-bridge" in comment.textHtml) is (value == "show")


@pytest.mark.parametrize(
    ("value", "error"), [("honoured", (Conflict, PreconditionFailed)), ("ignored", None)]
)
def test_if_match(clock: ManualClock, value: str, error: Any) -> None:
    with FakeTracker(clock=clock, if_match=value) as fake, fake.client() as client:
        issue = client.issues.create(queue="SUP", summary="x")
        fake.update_issue(issue.key, summary="someone else")
        if error is None:
            issue.update(summary="mine")  # If-Match "1", ignored
        else:
            with pytest.raises(error):
                issue.update(summary="mine")
        with pytest.raises((Conflict, PreconditionFailed)):  # ?version= always counts
            client._connection.patch(
                path=f"/v2/issues/{issue.key}", data={"summary": "x"}, params={"version": 1}
            )


@pytest.mark.parametrize("value", ["supported", "rejected"])
def test_last_comment_query(clock: ManualClock, value: str) -> None:
    with FakeTracker(clock=clock, last_comment_query=value) as fake, fake.client() as client:
        query = 'Queue: SUP "Last comment": >= "2020-01-01"'
        if value == "rejected":
            with pytest.raises(BadRequest):
                client.issues.find(query=query, count_only=True)
        else:
            assert client.issues.find(query=query, count_only=True) == 0


@pytest.mark.parametrize(("value", "found"), [("last", 1), ("first", 0), ("error", None)])
def test_repeated_param(clock: ManualClock, value: str, found: int | None) -> None:
    with FakeTracker(clock=clock, repeated_param=value) as fake, fake.client() as client:
        issue = client.issues.create(queue="SUP", summary="x")
        fake.transition(issue.key, "start_progress")
        path = f"/v2/issues/{issue.key}/changelog"
        params = {"field": ["priority", "status"]}
        if found is None:
            with pytest.raises(BadRequest):
                client._connection.get(path=path, params=params)
        else:
            assert len(list(client._connection.get(path=path, params=params))) == found
