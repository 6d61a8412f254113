"""What only the PostgreSQL store does (issue 13.4): migrations, atomic units under a real
server's failure, a broken connection, the instance lock. A real private cluster on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tracker_bridge.foundation.clock import SystemClock
from tracker_bridge.store.instance import AnotherInstanceError
from tracker_bridge.store.leadership import FencedError, Leadership, LeaseSettings
from tracker_bridge.store.pg_migrations import SCHEMA_VERSION
from tracker_bridge.store.postgres import (
    IDLE_IN_WRITE,
    PostgresStore,
    StaleLeaderError,
    redacted,
)
from tracker_bridge.store.records import (
    MailOutcome,
    QueuedNotice,
    SchemaTooNewError,
    StoreError,
    TrackedIssue,
)
from tracker_bridge.testing.postgres import PostgresCluster

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def version_of(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0]) if row else 0


def test_a_new_database_is_migrated_once_even_by_two_openers_at_once(
    postgres: PostgresCluster,
) -> None:
    url = postgres.create_database()
    errors: list[BaseException] = []
    stores: list[PostgresStore] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == []
    assert version_of(url) == SCHEMA_VERSION
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone() == (SCHEMA_VERSION,)


def test_a_database_from_a_newer_tracker_bridge_is_refused(postgres: PostgresCluster) -> None:
    url = postgres.create_database()
    PostgresStore(url).close()
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO schema_version VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaTooNewError, match="newer than this tracker-bridge knows"):
        PostgresStore(url)


def test_everything_survives_closing_and_reopening(postgres: PostgresCluster) -> None:
    url = postgres.create_database()
    with PostgresStore(url) as store:
        store.commit_mail(MailOutcome("<m@x>", "created", AT, issue_key="SUP-1"))
        store.save_card("SUP-1", -100123, 77, "fp", AT)
    with PostgresStore(url) as again:
        assert again.issue_for_message("<m@x>") == "SUP-1"
        card = again.card("SUP-1")
        assert card is not None and (card.chat_id, card.message_id) == (-100123, 77)


def test_one_mail_is_one_transaction_a_failure_at_its_last_write_leaves_no_trace(
    postgres: PostgresCluster,
) -> None:
    """Issue 13.3 on PostgreSQL: the server refuses the processed mark (a trigger, as a full
    disk would); every part written before it in the unit is rolled back."""
    url = postgres.create_database()
    day = date(2026, 3, 2)
    with PostgresStore(url) as store:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
            )
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON processed_messages "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        outcome = MailOutcome(
            "<m1@clinic>", "created", AT, issue_key="SUP-1",
            tracked=TrackedIssue("SUP-1", "clinic", "doc@clinic", AT), answered=("doc@clinic",),
            day=day, notices=(QueuedNotice("notify:ack", "SUP-1", "{}"),),
        )  # fmt: skip
        with pytest.raises(psycopg.errors.RaiseException, match="disk full"):
            store.commit_mail(outcome)
        assert store.issue_for_message("<m1@clinic>") is None
        assert store.tracked("SUP-1") is None
        assert store.answers("doc@clinic", day) == 0
        assert store.journal_pending() == []
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP TRIGGER refuse ON processed_messages")
        assert store.commit_mail(outcome)
        assert [e.key for e in store.journal_pending()] == ["notify:ack"]


def test_a_server_restart_is_an_outage_and_the_store_reconnects_after() -> None:
    """The call that meets the dropped connection raises StoreError (the daemon waits it out);
    the next one, with the server back, reconnects and sees everything committed before."""
    with PostgresCluster() as own:
        url = own.create_database()
        with PostgresStore(url) as store:
            store.set_cursor("sync", "a")
            own.stop(mode="immediate")  # a crash of the server
            with pytest.raises(StoreError, match=redacted(url)):
                store.get_cursor("sync")
            own.start()
            assert store.get_cursor("sync") == "a"


async def test_the_leadership_admits_one_daemon_and_names_it(postgres: PostgresCluster) -> None:
    """Issue 13.1 on PostgreSQL, with standby off: a second claim is refused with the holder's
    pid, host and since; when the holder's connection ends (its process died) the store is
    free at once."""
    url = postgres.create_database()
    clock = SystemClock()
    first = Leadership(url, clock=clock)
    me = await first.acquire(since=AT)
    try:
        refusing = Leadership(url, clock=clock, lease=LeaseSettings(standby=False))
        with pytest.raises(AnotherInstanceError) as refused:
            await refusing.acquire(since=AT)
        assert refused.value.holder == me
        assert "since 2026-03-02T09:30:00.000000+00:00" in str(refused.value)
        _terminate_leader(url)
        second = Leadership(url, clock=clock, lease=LeaseSettings(standby=False))
        await second.acquire(since=AT)
        assert second.epoch == first.epoch + 1  # the fencing token moved on
        second.release()
    finally:
        first.release()


async def test_a_former_leader_is_fenced_and_told(postgres: PostgresCluster) -> None:
    """Issue 13.5: once a newer leader holds the store, every check of the old one fails —
    its effects are refused before they start — and it is told once (to stop its daemon)."""
    url = postgres.create_database()
    clock = SystemClock()
    old = Leadership(url, clock=clock)
    await old.acquire(since=AT)
    lost: list[str] = []
    old.on_lost = lambda: lost.append("lost")
    old.check()  # the leader acts
    _terminate_leader(url)  # as a standby does once the lease ran out
    new = Leadership(url, clock=clock)
    await new.acquire(since=AT)
    try:
        with pytest.raises(FencedError):
            old.check()
        with pytest.raises(FencedError):
            old.check()
        assert lost == ["lost"] and old.role == "fenced"
        new.check()
    finally:
        new.release()
        old.release()


async def test_a_fence_answer_that_came_late_is_not_trusted(postgres: PostgresCluster) -> None:
    """Issue 13.5, the gate before SMTP's final "." at the production lease (20 s): a leader
    paused while its check was on the wire wakes to a "still yours" given before the pause, when
    a standby may lead already. Here the answer is held back by a row lock another session keeps
    for more than a quarter of the lease: the check itself says yes, the gate refuses to trust
    it. The leader still leads, and its next gate, answered at once, passes."""
    url = postgres.create_database()
    leader = Leadership(url, clock=SystemClock())
    await leader.acquire(since=AT)
    try:
        leader.gate()
        hold = LeaseSettings().lease.total_seconds() / 4 + 1
        with psycopg.connect(url) as blocker:
            blocker.execute("SELECT * FROM instance_holder FOR UPDATE")
            releaser = threading.Timer(hold, blocker.commit)
            releaser.start()
            started = time.monotonic()
            with pytest.raises(FencedError, match="too long to trust"):
                await asyncio.to_thread(leader.gate)
            assert time.monotonic() - started >= hold - 0.5
            releaser.join()
        assert leader.role == "active"
        leader.gate()
    finally:
        leader.release()


async def test_a_standby_takes_over_from_a_leader_that_stopped_renewing(
    postgres: PostgresCluster,
) -> None:
    """A leader whose connection stays open but who renews nothing (paused) keeps the role
    for its lease only; the standby then ends its backend and leads. A shortened lease (1 s,
    checks every 0.2 s); the production values are in tests/reliability/test_failover.py."""
    url = postgres.create_database()
    clock = SystemClock()
    quick = LeaseSettings(lease=timedelta(seconds=1), check_interval=timedelta(seconds=0.2))
    silent = Leadership(url, clock=clock, lease=quick)
    await silent.acquire(since=AT)  # and never renews
    standby = Leadership(url, clock=clock, lease=quick)
    started = time.monotonic()
    await asyncio.wait_for(standby.acquire(since=AT), 10)
    try:
        assert 1.0 <= time.monotonic() - started <= 5.0
        assert standby.role == "active" and standby.epoch == silent.epoch + 1
        with pytest.raises(FencedError):
            silent.check()
    finally:
        standby.release()
        silent.release()


async def test_a_former_leaders_store_writes_are_refused(postgres: PostgresCluster) -> None:
    """Issue 13.5, the fence in the store's write: each write transaction of a leader's store
    first takes a share lock on the fencing token and finds it still its own. Once a newer
    leader bumped it, whatever the former one still writes (woken from a pause between a
    passed check and its commit) is refused and rolled back; the new leader's writes go on."""
    url = postgres.create_database()
    clock = SystemClock()
    old = Leadership(url, clock=clock)
    await old.acquire(since=AT)
    stale = PostgresStore(url, fence_epoch=old.epoch)
    stale.journal_begin("notify:before", "notify", "SUP-1", "{}", AT)
    _terminate_leader(url)
    new = Leadership(url, clock=clock)
    await new.acquire(since=AT)
    current = PostgresStore(url, fence_epoch=new.epoch)
    try:
        with pytest.raises(StaleLeaderError):
            stale.journal_begin("notify:after", "notify", "SUP-1", "{}", AT)
        with pytest.raises(StaleLeaderError):
            stale.journal_done("notify:before", "<x@y>", AT)
        current.journal_done("notify:before", "<x@y>", AT)
        assert current.journal_get("notify:after") is None
        entry = current.journal_get("notify:before")
        assert entry is not None and entry.state == "done"
    finally:
        stale.close()
        current.close()
        new.release()
        old.release()


async def test_a_leader_paused_inside_a_write_does_not_hold_up_the_next_one(
    postgres: PostgresCluster,
) -> None:
    """A leader frozen with a write transaction open holds the share lock on the fencing
    token, which the next leader's bump waits for. The store's sessions end such a transaction
    after 10 s idle (``idle_in_transaction_session_timeout``, below the 20 s lease), so the
    takeover waits for that at most, never for the pause."""
    url = postgres.create_database()
    clock = SystemClock()
    old = Leadership(url, clock=clock)
    await old.acquire(since=AT)
    paused = PostgresStore(url, fence_epoch=old.epoch)
    opened, release = threading.Event(), threading.Event()

    def write_and_freeze() -> None:
        with contextlib.suppress(StoreError), paused._tx():
            opened.set()
            release.wait(60)

    frozen = threading.Thread(target=write_and_freeze)
    frozen.start()
    try:
        assert opened.wait(10)
        _terminate_leader(url)
        new = Leadership(url, clock=clock)
        started = time.monotonic()
        await asyncio.wait_for(new.acquire(since=AT), 30)
        waited = time.monotonic() - started
        assert new.epoch == old.epoch + 1
        assert waited <= IDLE_IN_WRITE + 5
        new.release()
    finally:
        release.set()
        frozen.join()
        paused.close()
        old.release()


def _terminate_leader(url: str) -> None:
    """End the leader's connection from outside (a crash of its process, seen by the server)."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(backend_pid) FROM instance_holder")


def test_redacted_urls_carry_no_password(tmp_path: Path) -> None:
    assert redacted("postgresql://bridge:s3cret@db:5432/tb") == "postgresql://bridge@db:5432/tb"
