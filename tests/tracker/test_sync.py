"""Incremental polling against the FakeTracker: cursor, overlap, comments, full resync."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.gateway import TrackerGateway
from tracker_bridge.tracker.sync import CURSOR, TrackerSync, learn_query_zone

from .conftest import START, make_gateway

MINUTE = timedelta(minutes=1)


@pytest.fixture(name="store")
def store_fixture() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(name="sync")
def sync_fixture(gateway: TrackerGateway, store: MemoryStore) -> TrackerSync:
    return TrackerSync(gateway, store, queues=["SUP"])


def _searches(fake: FakeTracker) -> int:
    return fake.request_count("POST", "/v2/issues/_search")


async def _settled(fake: FakeTracker, sync: TrackerSync, clock: ManualClock, n: int = 3) -> None:
    """n issues made a minute apart, the first sync done, and the clock well past them."""
    for i in range(n):
        fake.create_issue(summary=f"issue {i}")
        clock.advance(MINUTE)
    await sync.cycle()
    clock.advance(timedelta(hours=1))


async def test_first_cycle_reads_everything_and_sets_the_cursor(
    fake: FakeTracker, sync: TrackerSync, clock: ManualClock, store: MemoryStore
) -> None:
    """No cursor yet: a full read (scroll), every issue reported, cursor = latest updatedAt."""
    for i in range(3):
        fake.create_issue(summary=f"issue {i}")
        clock.advance(MINUTE)
    result = await sync.cycle()
    assert result.full
    assert result.keys == ("SUP-1", "SUP-2", "SUP-3")
    assert result.cursor == START + 2 * MINUTE
    assert store.get_cursor(CURSOR) == (START + 2 * MINUTE).isoformat()


async def test_an_idle_cycle_is_one_request_and_reports_nothing(
    fake: FakeTracker, sync: TrackerSync, clock: ManualClock
) -> None:
    """Steady state with no change: one search, nothing changed, cursor unmoved."""
    await _settled(fake, sync, clock)
    before = len(fake.requests)
    result = await sync.cycle()
    assert result.changed == ()
    assert len(fake.requests) - before == 1
    assert result.cursor == START + 2 * MINUTE


async def test_the_cursor_never_follows_the_wall_clock(
    fake: FakeTracker, sync: TrackerSync, clock: ManualClock
) -> None:
    """Days pass with no change: the cursor stays at the last updatedAt seen."""
    await _settled(fake, sync, clock)
    for _ in range(3):
        clock.advance(timedelta(days=1))
        assert (await sync.cycle()).cursor == START + 2 * MINUTE


async def test_a_change_is_reported_once_with_its_fresh_snapshot(
    fake: FakeTracker, sync: TrackerSync, clock: ManualClock
) -> None:
    """One edited issue: reported with the new version; the overlap re-read does not repeat it."""
    await _settled(fake, sync, clock)
    fake.update_issue("SUP-2", summary="edited", by="ivanov")
    result = await sync.cycle()
    assert result.keys == ("SUP-2",)
    assert (result.changed[0].summary, result.changed[0].version) == ("edited", "2")
    assert result.cursor == clock.now()
    clock.advance(MINUTE)  # still inside the 5-minute overlap: the search returns SUP-2 again
    assert (await sync.cycle()).changed == ()


async def test_two_issues_in_the_same_second_are_both_seen(
    fake: FakeTracker, store: MemoryStore, gateway: TrackerGateway, clock: ManualClock
) -> None:
    """A change landing in the cursor's own second after a cycle is found by the next one."""
    sync = TrackerSync(gateway, store, queues=["SUP"], overlap=timedelta(0))
    await _settled(fake, sync, clock)
    fake.update_issue("SUP-1", summary="first")
    assert (await sync.cycle()).keys == ("SUP-1",)
    fake.update_issue("SUP-3", summary="same second, after the search")
    assert (await sync.cycle()).keys == ("SUP-3",)
    assert (await sync.cycle()).keys == ()


@pytest.mark.parametrize("bumps", [True, False], ids=["comment-bumps-updated", "it-does-not"])
async def test_a_new_comment_is_found_whether_or_not_it_moves_updated_at(
    fake: FakeTracker, sync: TrackerSync, clock: ManualClock, bumps: bool
) -> None:
    """R8: a customer's or support's comment is news either way (lastCommentUpdatedAt)."""
    await _settled(fake, sync, clock)
    fake.comment_bumps_updated = bumps
    fake.add_comment("SUP-2", "Добрый день", by="ivanov")
    before = len(fake.requests)
    result = await sync.cycle()
    assert result.keys == ("SUP-2",)
    assert result.changed[0].last_comment_updated_at == clock.now()
    assert result.cursor == clock.now()
    assert len(fake.requests) - before == 1
    clock.advance(MINUTE)
    assert (await sync.cycle()).changed == ()


async def test_poll_mode_checks_the_tracked_issues_in_one_request(
    fake: FakeTracker, store: MemoryStore, gateway: TrackerGateway, clock: ManualClock
) -> None:
    """comments="poll": one keys search over tracked issues finds a comment that moved nothing."""
    fake.comment_bumps_updated = False
    sync = TrackerSync(
        gateway, store, queues=["SUP"], comments="poll", tracked=lambda: ["SUP-1", "SUP-3"]
    )
    await _settled(fake, sync, clock)
    fake.add_comment("SUP-3", "ответ", kind="incoming", transport="email")
    fake.add_comment("SUP-2", "not tracked, found by the query anyway")
    before = len(fake.requests)
    result = await sync.cycle()
    assert sorted(result.keys) == ["SUP-2", "SUP-3"]
    assert len(fake.requests) - before == 2


async def test_full_resync_on_demand_reports_everything_again(
    fake: FakeTracker, sync: TrackerSync, clock: ManualClock
) -> None:
    """request_full_resync: the next cycle re-reads and reports every issue."""
    await _settled(fake, sync, clock)
    sync.request_full_resync()
    result = await sync.cycle()
    assert result.full
    assert result.keys == ("SUP-1", "SUP-2", "SUP-3")
    assert (await sync.cycle()).changed == ()


async def test_the_cursor_survives_a_restart(
    fake: FakeTracker, gateway: TrackerGateway, store: MemoryStore, clock: ManualClock
) -> None:
    """A new TrackerSync on the same store continues incrementally from the stored cursor;
    only the overlap window is reported again (the rules pass is idempotent)."""
    for i in range(3):
        fake.create_issue(summary=f"issue {i}")
        clock.advance(10 * MINUTE)
    await TrackerSync(gateway, store, queues=["SUP"]).cycle()
    fake.update_issue("SUP-1", summary="while we were down")
    restarted = TrackerSync(gateway, store, queues=["SUP"])
    result = await restarted.cycle()
    assert not result.full
    assert result.keys == ("SUP-3", "SUP-1")  # SUP-3 is inside the 5-minute overlap


async def test_several_queues_are_searched_together(
    fake: FakeTracker, gateway: TrackerGateway, store: MemoryStore, clock: ManualClock
) -> None:
    """Configured queues share the one search per cycle."""
    fake.add_queue("OPS")
    sync = TrackerSync(gateway, store, queues=["SUP", "OPS"])
    await _settled(fake, sync, clock, n=1)
    fake.create_issue("OPS", summary="ops")
    fake.create_issue("SUP", summary="sup")
    before = _searches(fake)
    assert sorted((await sync.cycle()).keys) == ["OPS-1", "SUP-2"]
    assert _searches(fake) - before == 1


@pytest.fixture(name="moscow_fake")
def moscow_fake_fixture(clock: ManualClock) -> Iterator[FakeTracker]:
    with FakeTracker(clock=clock, query_tz=ZoneInfo("Europe/Moscow")) as tracker:
        yield tracker


@pytest.fixture(name="moscow_gateway")
async def moscow_gateway_fixture(moscow_fake: FakeTracker) -> AsyncIterator[TrackerGateway]:
    async with make_gateway(moscow_fake) as gateway:
        yield gateway


async def test_query_times_are_written_in_the_trackers_zone(
    moscow_fake: FakeTracker, moscow_gateway: TrackerGateway, clock: ManualClock
) -> None:
    """A Tracker reading query dates in Moscow time still yields exactly the new change."""
    sync = TrackerSync(
        moscow_gateway, MemoryStore(), queues=["SUP"], query_zone=ZoneInfo("Europe/Moscow")
    )
    await _settled(moscow_fake, sync, clock)
    moscow_fake.update_issue("SUP-3", summary="x")
    assert (await sync.cycle()).keys == ("SUP-3",)
    clock.advance(timedelta(hours=2))
    assert (await sync.cycle()).keys == ()


@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow", "America/New_York", "Asia/Kolkata"])
async def test_the_literal_zone_is_learned_so_only_the_new_change_is_reported(
    clock: ManualClock, zone: str
) -> None:
    """Point 5: however Tracker reads a zone-less literal, the sync learns it at the full
    resync (a few _count requests) and a cycle then reports exactly the new change — not every
    issue active in the last hours, and none missed."""
    with FakeTracker(clock=clock, query_tz=ZoneInfo(zone)) as tracker:
        async with make_gateway(tracker) as gateway:
            sync = TrackerSync(gateway, MemoryStore(), queues=["SUP"])
            await _settled(tracker, sync, clock)
            offset = ZoneInfo(zone).utcoffset(clock.now())
            assert sync.query_zone is not None
            assert sync.query_zone.utcoffset(None) == offset
            assert tracker.request_count("POST", "/v2/issues/_count") <= 9
            for _ in range(3):
                clock.advance(timedelta(hours=1))
                tracker.update_issue("SUP-2", summary=f"at {clock.now()}")
                assert (await sync.cycle()).keys == ("SUP-2",)
                clock.advance(10 * MINUTE)
                assert (await sync.cycle()).keys == ()


async def test_a_tracker_without_count_is_read_in_utc_and_still_synced(clock: ManualClock) -> None:
    """An emulator without _count (404): the zone cannot be learned, UTC is assumed (what the
    API uses everywhere else) and the sync works on."""
    with FakeTracker(clock=clock) as tracker:
        tracker.fail_next("POST /v2/issues/_count", status=404, times=1000)
        async with make_gateway(tracker) as gateway:
            sync = TrackerSync(gateway, MemoryStore(), queues=["SUP"])
            await _settled(tracker, sync, clock)
            assert sync.query_zone is UTC
            tracker.update_issue("SUP-2", summary="x")
            assert (await sync.cycle()).keys == ("SUP-2",)


async def test_a_tracker_refusing_last_comment_is_polled_instead(
    clock: ManualClock,
) -> None:
    """A 400 for "Last comment" turns on polling of the tracked issues by itself: a comment
    that moves nothing else is still found, in one extra request per cycle."""
    with FakeTracker(clock=clock, last_comment_query="rejected") as tracker:
        async with make_gateway(tracker) as gateway:
            sync = TrackerSync(gateway, MemoryStore(), queues=["SUP"], tracked=lambda: ["SUP-1"])
            await _settled(tracker, sync, clock)
            clock.advance(timedelta(days=1))
            tracker.update_issue("SUP-3", summary="moves the cursor past every issue")
            await sync.cycle()
            clock.advance(timedelta(hours=1))
            tracker.add_comment("SUP-1", "ответ", kind="incoming", transport="email")
            before = len(tracker.requests)
            assert (await sync.cycle()).keys == ("SUP-1",)
            assert len(tracker.requests) - before == 2


async def test_a_full_resync_follows_every_scroll_page(
    fake: FakeTracker, sync: TrackerSync, clock: ManualClock
) -> None:
    """1,200 issues: two scroll requests (1,000 a page), every issue reported once."""
    for i in range(1200):
        if i % 100 == 0:
            clock.advance(1)
        fake.create_issue(summary=f"issue {i}")
    before = _searches(fake)
    result = await sync.cycle()
    assert len(set(result.keys)) == 1200
    assert _searches(fake) - before == 2


@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow"])
async def test_an_issue_changed_while_the_zone_is_learned_does_not_skew_it(
    clock: ManualClock, zone: str
) -> None:
    """Point 5: the sample issue updated an hour later between two of the counting queries
    (the bridge's own card tag after a clock jump, a person's edit) read as a zone an hour
    ahead when the zone was learned from ``Updated``, and every change of the next hour was
    missed (seen under load in test_r10_taken_into_work_an_hour_later_is_never_overdue). It is
    learned from ``Created``, which no edit moves, with no extra request."""
    with FakeTracker(clock=clock, query_tz=ZoneInfo(zone)) as tracker:
        async with make_gateway(tracker) as gateway:
            tracker.create_issue(summary="sample")
            counts = 0

            async def count(query: str) -> int:
                nonlocal counts
                counts += 1
                if counts == 2:  # mid-search: an edit an hour of clock later
                    clock.advance(timedelta(hours=1))
                    tracker.update_issue("SUP-1", summary="edited")
                return await gateway.count(query)

            (sample,) = await gateway.search_keys(["SUP-1"])
            learned = await learn_query_zone(count, sample)
            assert learned.utcoffset(None) == ZoneInfo(zone).utcoffset(clock.now())
            assert counts <= 8  # the binary search alone: nothing re-read
