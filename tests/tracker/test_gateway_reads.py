"""TrackerGateway reads, through the real client against the FakeTracker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.errors import TrackerNotFound
from tracker_bridge.tracker.gateway import TrackerGateway
from tracker_bridge.tracker.snapshots import IssueSnapshot

from .conftest import START


async def test_issue_snapshot_carries_fields_status_and_local_fields(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """A snapshot has status/priority/type keys, tags, assignee, local fields and times."""
    fake.create_issue(
        summary="Ошибка в отчёте",
        priority="critical",
        type="bug",
        tags=["clinic"],
        assignee="ivanov",
        department="Хирургия",
        unique="u-1",
    )
    issue = await gateway.issue("SUP-1")
    assert (issue.key, issue.status, issue.priority, issue.issue_type) == (
        "SUP-1",
        "open",
        "critical",
        "bug",
    )
    assert issue.tags == ("clinic",)
    assert issue.assignee_display == "Иван Иванов"
    assert issue.local == {"department": "Хирургия"}
    assert issue.unique == "u-1"
    assert issue.version == "1"
    assert issue.created_at == START
    assert issue.updated_at == START
    assert issue.last_comment_updated_at is None


async def test_snapshot_is_our_dataclass_not_a_client_object(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """What the gateway returns is plain data that needs no network to read."""
    fake.create_issue(summary="x")
    issue = await gateway.issue("SUP-1")
    assert type(issue) is IssueSnapshot
    before = len(fake.requests)
    assert issue.status == "open"
    assert len(fake.requests) == before


async def test_a_missing_issue_is_tracker_not_found(gateway: TrackerGateway) -> None:
    """404 becomes TrackerNotFound, chained from the client's NotFound."""
    with pytest.raises(TrackerNotFound) as error:
        await gateway.issue("SUP-404")
    assert type(error.value.__cause__).__name__ == "NotFound"


async def test_find_by_unique_finds_the_issue_or_none(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """_findByUnique: the issue for a unique, None for an unknown one."""
    fake.create_issue(summary="x", unique="tb-abc")
    found = await gateway.find_by_unique("tb-abc")
    assert found is not None
    assert found.key == "SUP-1"
    assert await gateway.find_by_unique("tb-nothing") is None


async def test_comments_are_listed_in_order_across_pages(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """All comments come back, oldest first, even past one page (Link: next is followed)."""
    fake.create_issue(summary="x")
    for n in range(120):
        fake.add_comment("SUP-1", f"comment {n}")
    comments = await gateway.comments("SUP-1")
    assert [c.text for c in comments] == [f"comment {n}" for n in range(120)]
    assert fake.request_count("GET", "/v2/issues/SUP-1/comments") == 2


async def test_changelog_gives_status_and_priority_history(
    fake: FakeTracker, gateway: TrackerGateway, clock: ManualClock
) -> None:
    """The changelog filtered to status and priority, with who and when."""
    fake.create_issue(summary="x")
    clock.advance(timedelta(hours=1))
    fake.transition("SUP-1", "start_progress", by="ivanov")
    clock.advance(timedelta(hours=1))
    fake.update_issue("SUP-1", by="petrova", priority="critical")
    fake.update_issue("SUP-1", by="petrova", summary="y")
    entries = await gateway.changelog("SUP-1")
    assert [e.at - START for e in entries] == [timedelta(hours=1), timedelta(hours=2)]
    status, priority = entries[0].diff("status"), entries[1].diff("priority")
    assert status is not None
    assert (status.before, status.after) == ("open", "inProgress")
    assert priority is not None
    assert (priority.before, priority.after) == ("normal", "critical")
    assert entries[1].by == fake.users["1120000000000003"].uid


async def test_transitions_are_those_offered_from_the_current_status(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """The transitions list names each transition's target status key."""
    fake.create_issue(summary="x")
    offered = {t.id: t.to for t in await gateway.transitions("SUP-1")}
    assert offered["start_progress"] == "inProgress"
    assert offered["request_info"] == "needInfo"
    assert "verified" not in offered


async def test_attachments_list_and_download(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """An issue's files are listed and their bytes downloaded from the content URL."""
    fake.create_issue(summary="x")
    with fake.client() as client:
        client.issues["SUP-1"].attachments.create(
            _named_bytes(b"\x89PNG data", "shot.png"), params={"filename": "shot.png"}
        )
    (found,) = await gateway.attachments("SUP-1")
    assert (found.name, found.size) == ("shot.png", 9)
    assert await gateway.download(found) == b"\x89PNG data"


async def test_links_are_read_from_both_sides(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """A link made from SUP-2 shows on SUP-1 too, naming the other issue."""
    fake.create_issue(summary="old")
    fake.create_issue(summary="new")
    with fake.client() as client:
        client.issues["SUP-2"].links.create(relationship="relates", issue="SUP-1")
    assert [x.other for x in await gateway.links("SUP-1")] == ["SUP-2"]
    assert [x.other for x in await gateway.links("SUP-2")] == ["SUP-1"]


async def test_search_pages_and_scroll_find_every_issue(
    fake: FakeTracker, gateway: TrackerGateway, clock: ManualClock
) -> None:
    """Paged search follows every page; scroll returns the same issues in the same order."""
    for n in range(230):
        clock.advance(1)
        fake.create_issue(summary=f"issue {n}")
    query = 'Queue: SUP "Sort by": Updated ASC'
    paged = await gateway.search(query)
    scrolled = await gateway.search(query, scroll=True)
    assert [i.key for i in paged] == [f"SUP-{n}" for n in range(1, 231)]
    assert [i.key for i in scrolled] == [i.key for i in paged]
    assert fake.request_count("POST", "/v2/issues/_search") == 3 + 1


async def test_search_keys_and_count(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """A keys search returns just those issues; _count counts a query."""
    for n in range(5):
        fake.create_issue(summary=f"issue {n}")
    assert sorted(i.key for i in await gateway.search_keys(["SUP-2", "SUP-4"])) == [
        "SUP-2",
        "SUP-4",
    ]
    assert await gateway.count("Queue: SUP") == 5


async def test_myself_queue_workflow_fields_and_dictionaries(
    gateway: TrackerGateway,
) -> None:
    """What check reads: the robot user, the queue, its workflow and the dictionaries."""
    me = await gateway.myself()
    assert me.login == "robot-tracker-bridge"
    queue = await gateway.queue("SUP")
    assert queue.workflows == ("regulationWorkflow",)
    flow = await gateway.workflow("regulationWorkflow")
    assert ("needInfo", "start_progress", "inProgress") in flow.transitions
    assert "slaDeadline" in {f.key for f in await gateway.local_fields("SUP")}
    assert "deadline" in {f.id for f in await gateway.fields()}
    assert "closedNoResponse" in {s.key for s in await gateway.statuses()}
    assert "noResponse" in {r.key for r in await gateway.resolutions()}


def _named_bytes(data: bytes, name: str) -> object:
    import io

    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer
