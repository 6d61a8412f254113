"""The issue reader reads only what a snapshot shows has changed (tracker/read_cache.py), and
still never sees a status change without the comment that came with it (R8)."""

from __future__ import annotations

from typing import Any

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.regulation.model import Customer
from tracker_bridge.regulation.statuses import Status, StatusMap
from tracker_bridge.service.issue_reader import TrackerIssueReader
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.gateway import DEFAULT_FIELD_IDS, TrackerGateway
from tracker_bridge.tracker.read_cache import ReadCache
from tracker_bridge.tracker.snapshots import IssueSnapshot
from tracker_bridge.tracker.views import ViewSettings

from .conftest import START, create_action

ROBOT = "1120000000000001"
SETTINGS = ViewSettings(StatusMap(), robot_uid=ROBOT, field_ids=DEFAULT_FIELD_IDS)
CUSTOMER = Customer("clinic", frozenset({"c@support.example"}), "SUP")


def _reader(gateway: Any, clock: ManualClock) -> TrackerIssueReader:
    return TrackerIssueReader(gateway, MemoryStore(), clock, [CUSTOMER], SETTINGS)


def _reads(fake: FakeTracker, since: int) -> list[str]:
    return [path.rsplit("/", 1)[-1] for _, path in fake.requests[since:]]


async def test_a_status_change_costs_the_snapshot_and_the_changelog(
    fake: FakeTracker, gateway: TrackerGateway, clock: ManualClock
) -> None:
    """Comments are reused while ``lastCommentUpdatedAt`` stands, the changelog while
    ``version`` does: a transition re-reads the changelog, a comment the comments, nothing
    changed reads neither."""
    key = await gateway.create_issue(create_action())
    reader = _reader(gateway, clock)
    await reader.view(key)
    clock.advance(60)
    fake.transition(key, "start_progress", by="ivanov")
    before = len(fake.requests)
    view = await reader.view(key)
    assert view is not None and view.status is Status.IN_PROGRESS
    assert _reads(fake, before) == [key, "changelog"]
    clock.advance(60)
    fake.add_comment(key, "Смотрим", by="ivanov")
    before = len(fake.requests)
    view = await reader.view(key)
    assert view is not None and [c.text for c in view.comments] == ["Смотрим"]
    # where a comment also moves the issue (a FakeTracker switch), its version moved too
    moved = ["changelog"] if fake.settings.comment_bumps_updated else []
    assert _reads(fake, before) == [key, *moved, "comments"]
    before = len(fake.requests)
    await reader.view(key)
    assert _reads(fake, before) == [key]


class _SupportActsAfterTheSnapshot:
    """The gateway, with support asking a question right after the snapshot was read."""

    def __init__(self, gateway: TrackerGateway, fake: FakeTracker, clock: ManualClock) -> None:
        self._gateway, self._fake, self._clock = gateway, fake, clock
        self.armed = False

    async def issue(self, key: str) -> IssueSnapshot:
        snapshot = await self._gateway.issue(key)
        if self.armed:
            self.armed = False
            self._clock.advance(5)
            self._fake.transition(key, "request_info", by="ivanov", comment="Какой логин?")
        return snapshot

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)


async def test_r8_a_question_made_after_the_snapshot_is_never_read_without_its_comment(
    fake: FakeTracker, gateway: TrackerGateway, clock: ManualClock
) -> None:
    """R8: the cached comments would lack the question while the fresh changelog shows the new
    status — the reader sees the changelog moved on and reads the comments again."""
    key = await gateway.create_issue(create_action())
    source = _SupportActsAfterTheSnapshot(gateway, fake, clock)
    reader = _reader(source, clock)
    await reader.view(key)
    clock.advance(60)
    fake.transition(key, "start_progress", by="ivanov")
    source.armed = True
    view = await reader.view(key)
    assert view is not None
    asked = Status.INFO_REQUESTED in [c.status for c in view.status_history]
    assert not asked or [c.text for c in view.comments] == ["Какой логин?"]
    assert asked  # the case under test did happen


def test_the_cache_is_bounded_least_recently_used_first_out() -> None:
    cache = ReadCache(limit=2)
    snaps = [
        IssueSnapshot(
            key=f"SUP-{n}",
            id=str(n),
            queue="SUP",
            version="1",
            summary="",
            status="open",
            created_at=START,
            updated_at=START,
        )
        for n in range(3)
    ]
    for snap in snaps:
        cache.store(snap, [], [])
    assert len(cache) == 2
    assert cache.changelog(snaps[0]) is None
    assert cache.changelog(snaps[2]) == []
    cache.drop("SUP-2")
    assert cache.comments(snaps[2]) is None
