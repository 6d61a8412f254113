"""What only the SQLite store does: persistence, WAL, migrations, threads, surviving SIGKILL."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tracker_bridge.mail.source import Watermark
from tracker_bridge.store import (
    SCHEMA_VERSION,
    SchemaTooNewError,
    SqliteStore,
    StoreError,
    wal_sync,
)
from tracker_bridge.store.migrations import MIGRATIONS, migrate, statements
from tracker_bridge.store.records import MailOutcome, QuarantineItem, QueuedNotice, TrackedIssue
from tracker_bridge.store.sqlite import CACHE_KIB

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(name="path")
def fixture_path(tmp_path: Path) -> Path:
    return tmp_path / "bridge.db"


def raw_connection(path: Path) -> closing[sqlite3.Connection]:
    """A plain sqlite3 connection, to look at the file from outside the store."""
    return closing(sqlite3.connect(path, isolation_level=None))


def fill(store: SqliteStore) -> int:
    """One record of every kind; the quarantine item's id."""
    store.record_message("<m1@x>", "created", at=AT, issue_key="SUP-1", source_id="imap:1:1")
    store.remember_outgoing("<n1@bridge>", "SUP-1", AT)
    store.set_issue_for_unique("tb-1", "SUP-1")
    store.set_cursor("tracker", "c1")
    store.set_watermark("INBOX", Watermark(7, 42))
    store.journal_begin("k", "comment", "SUP-1", '{"text": "привет"}', AT)
    store.journal_done("k", "ok", AT)
    store.save_card("SUP-1", -100, 5, "fp", AT)
    store.count_answer("a@x", date(2026, 3, 2))
    store.mark_bounced("gone@x", "550", AT)
    store.track("SUP-1", "clinic", "a@x", AT)
    return store.quarantine_add("<q@x>", "imap:1:2", reason="r", sender="s", subject="t", at=AT,
                                raw=b"\x00\xffraw")  # fmt: skip


class TestPersistence:
    def test_everything_survives_close_and_reopen(self, path: Path) -> None:
        """A restart of the daemon finds every record where it left it."""
        with SqliteStore(path) as store:
            item_id = fill(store)
            before = (store.message_outcome("<m1@x>"), store.journal_get("k"), store.cards(),
                      store.quarantine_get(item_id), store.tracked_issues())  # fmt: skip
        with SqliteStore(path) as store:
            after = (store.message_outcome("<m1@x>"), store.journal_get("k"), store.cards(),
                     store.quarantine_get(item_id), store.tracked_issues())  # fmt: skip
            assert after == before
            assert store.issue_for_message("<n1@bridge>") == "SUP-1"
            assert store.issue_for_unique("tb-1") == "SUP-1"
            assert store.get_cursor("tracker") == "c1"
            assert store.get_watermark("INBOX") == Watermark(7, 42)
            assert store.answers("a@x", date(2026, 3, 2)) == 1
            assert store.is_bounced("gone@x")
            assert store.done_keys("SUP-1") == frozenset({"k"})

    def test_timestamps_are_stored_as_iso_utc_text(self, path: Path) -> None:
        """The file holds readable ISO-8601 UTC text, not opaque numbers."""
        with SqliteStore(path) as store:
            store.track("SUP-1", "clinic", "a@x", AT)
        with raw_connection(path) as db:
            (since,) = db.execute("SELECT since FROM tracked_issues").fetchone()
        assert since == "2026-03-02T09:30:00.000000+00:00"


class TestSettings:
    def test_the_database_runs_in_wal_mode_with_foreign_keys(self, path: Path) -> None:
        """WAL, synchronous=NORMAL, foreign keys and a busy timeout are set on open."""
        with SqliteStore(path, busy_timeout=2.5) as store:
            store.journal_begin("k", "comment", "SUP-1", "{}", AT)  # a FULL commit resets
            assert store.pragmas() == {
                "journal_mode": "wal", "synchronous": 1, "foreign_keys": 1,
                "busy_timeout": 2500, "user_version": SCHEMA_VERSION, "cache_size": -CACHE_KIB,
            }  # fmt: skip
        with raw_connection(path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def test_a_database_that_cannot_use_wal_is_refused(self) -> None:
        """An in-memory SQLite database has no WAL: use MemoryStore for that."""
        with pytest.raises(StoreError, match="WAL"):
            SqliteStore(":memory:")

    def test_an_unopenable_path_is_a_store_error_naming_the_file(self, tmp_path: Path) -> None:
        """A missing directory fails with the path in the message, for ``check`` to show."""
        missing = tmp_path / "no-such-dir" / "bridge.db"
        with pytest.raises(StoreError, match="no-such-dir"):
            SqliteStore(missing)

    def test_a_file_that_is_not_a_database_is_a_store_error(self, path: Path) -> None:
        """Pointing the store at some other file is refused, not overwritten."""
        path.write_bytes(b"this is not SQLite" * 100)
        with pytest.raises(StoreError, match="not a database"):
            SqliteStore(path)
        assert path.read_bytes() == b"this is not SQLite" * 100


class TestMigrations:
    def test_an_empty_file_is_migrated_to_the_current_schema(self, path: Path) -> None:
        """A zero-byte file (version 0) gets every migration and is usable at once."""
        path.touch()
        with SqliteStore(path) as store:
            store.set_cursor("c", "1")
            assert store.pragmas()["user_version"] == SCHEMA_VERSION == len(MIGRATIONS)
        with raw_connection(path) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert {"journal", "processed_messages", "quarantine", "cards"} <= tables

    def test_a_newer_schema_is_refused_and_left_alone(self, path: Path) -> None:
        """A database from a newer tracker-bridge raises a clear error and is not touched."""
        with raw_connection(path) as db:
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        with pytest.raises(SchemaTooNewError, match=rf"version {SCHEMA_VERSION + 1} is newer"):
            SqliteStore(path)
        with raw_connection(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
            assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0

    def test_an_older_database_gets_only_the_missing_scripts(self, path: Path) -> None:
        """At version 1 of [v1, v2], opening applies v2 alone and keeps the data."""
        v1 = "CREATE TABLE notes (text TEXT NOT NULL);"
        v2 = "ALTER TABLE notes ADD COLUMN lang TEXT NOT NULL DEFAULT 'ru';"
        with raw_connection(path) as db:
            assert migrate(db, [v1]) == 1
            db.execute("INSERT INTO notes (text) VALUES ('заметка')")
            assert migrate(db, [v1, v2]) == 2
            assert db.execute("SELECT text, lang FROM notes").fetchall() == [("заметка", "ru")]

    def test_a_failing_script_leaves_the_previous_version(self, path: Path) -> None:
        """A migration is one transaction: on error, neither its tables nor its version stay."""
        v1 = "CREATE TABLE a (x INTEGER);"
        broken = "CREATE TABLE b (y INTEGER); INSERT INTO missing VALUES (1);"
        with raw_connection(path) as db:
            migrate(db, [v1])
            with pytest.raises(sqlite3.OperationalError, match="missing"):
                migrate(db, [v1, broken])
            assert db.execute("PRAGMA user_version").fetchone()[0] == 1
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert names == {"a"}

    def test_issues_tracked_before_v2_are_open_after_it(self, path: Path) -> None:
        """A v1 file's tracked issues survive the v2 migration as open (not finished)."""
        with raw_connection(path) as db:
            migrate(db, MIGRATIONS[:1])
            db.execute(
                "INSERT INTO tracked_issues VALUES ('SUP-1', 'clinic', 'a@x', ?)",
                ("2026-03-02T09:30:00.000000+00:00",),
            )
        with SqliteStore(path) as store:
            assert store.tracked_issues() == [TrackedIssue("SUP-1", "clinic", "a@x", AT)]
            assert store.finish("SUP-1", "closed")
        with SqliteStore(path) as store:
            assert store.tracked_issues() == []
            assert store.tracked("SUP-1") == TrackedIssue("SUP-1", "clinic", "a@x", AT, "closed")

    def test_scripts_split_only_between_complete_statements(self) -> None:
        """A semicolon inside a string literal does not end a statement."""
        script = "CREATE TABLE t (x TEXT);\nINSERT INTO t VALUES ('a;b');\n"
        assert statements(script) == ["CREATE TABLE t (x TEXT);", "INSERT INTO t VALUES ('a;b');"]
        with pytest.raises(ValueError, match="incomplete"):
            statements("INSERT INTO t VALUES ('a;b)")


def run_threads(count: int, work: Callable[[int], None]) -> None:
    """Run ``work(n)`` in ``count`` threads at once; re-raise the first error."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def body(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as exc:  # collected, re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


class TestConcurrency:
    def test_one_store_shared_by_eight_threads_records_everything(self, path: Path) -> None:
        """8 threads × 200 journal entries through one store: no error, all 1600 done."""
        with SqliteStore(path) as store:

            def work(n: int) -> None:
                for i in range(200):
                    store.journal_begin(f"t{n}:{i}", "comment", f"SUP-{n}", "{}", AT)
                    store.journal_done(f"t{n}:{i}", None, AT)

            run_threads(8, work)
            assert all(len(store.done_keys(f"SUP-{n}")) == 200 for n in range(8))
            assert store.journal_pending() == []

    def test_separate_connections_to_one_file_wait_for_each_other(self, path: Path) -> None:
        """Four stores on one file (as daemon and CLI would be) write without 'locked' errors."""
        SqliteStore(path).close()  # migrate once, so the race is about data, not schema

        def work(n: int) -> None:
            with SqliteStore(path) as store:
                for i in range(50):
                    store.journal_begin(f"c{n}:{i}", "comment", "SUP-1", "{}", AT)
                    store.count_answer("a@x", date(2026, 3, 2))

        run_threads(4, work)
        with SqliteStore(path) as store:
            assert len(store.journal_pending()) == 200
            assert store.answers("a@x", date(2026, 3, 2)) == 200


CHILD = """
import sys
from datetime import UTC, datetime
from tracker_bridge.store import SqliteStore

at = datetime(2026, 3, 2, tzinfo=UTC)
store = SqliteStore(sys.argv[1], group_commit=sys.argv[2] == "grouped")
for n in range(1_000_000):
    key = f"k{n:07d}"
    store.journal_begin(key, "comment", "SUP-1", '{"n": %d}' % n, at)
    store.journal_done(key, "ok", at)
    print(n, flush=True)
"""


@pytest.fixture(name="killed_writer", params=["full", "grouped"])
def fixture_killed_writer(path: Path, request: pytest.FixtureRequest) -> Iterator[int]:
    """A child process journaling as fast as it can, SIGKILLed mid-way; the last n it reported.
    Each durable commit fsynced in it (``full``) or by the group-commit thread (``grouped``,
    the daemon's mode: a kill loses nothing committed either way, the kernel has it)."""
    command = [sys.executable, "-c", CHILD, str(path), request.param]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        reported = [int(line) for _, line in zip(range(150), child.stdout, strict=False)]
        child.send_signal(signal.SIGKILL)
        reported += [int(line) for line in child.stdout.read().split()]
        assert child.wait() == -signal.SIGKILL
    yield reported[-1]


class TestCrash:
    def test_a_killed_writer_leaves_only_committed_entries(
        self, path: Path, killed_writer: int
    ) -> None:
        """After SIGKILL: every reported entry is done, nothing torn, integrity_check ok."""
        with SqliteStore(path) as store:
            done = store.done_keys("SUP-1")
            pending = store.journal_pending()
        reported = {f"k{n:07d}" for n in range(killed_writer + 1)}
        assert reported <= done
        everything = sorted(done | {e.key for e in pending})
        assert everything == [f"k{n:07d}" for n in range(len(everything))]  # a prefix, no holes
        assert len(pending) <= 1 and all(e.key == everything[-1] for e in pending)
        with raw_connection(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_one_mail_is_one_transaction_a_failure_at_its_last_write_leaves_no_trace(
    path: Path,
) -> None:
    """Issue 13.3: the processed mark is written last; when SQLite refuses it (here a trigger,
    as a full disk or an I/O error would), the thread entry, tracked issue, counter, quarantine
    item and queued notice written before it in the same unit are rolled back with it."""
    day = date(2026, 3, 2)
    with SqliteStore(path) as store:
        with raw_connection(path) as db:
            db.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON processed_messages "
                "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
            )
        outcome = MailOutcome(
            "<m1@clinic>", "created", AT, issue_key="SUP-1", source_id="imap:1:7",
            tracked=TrackedIssue("SUP-1", "clinic", "doc@clinic", AT), answered=("doc@clinic",),
            day=day, notices=(QueuedNotice("notify:ack", "SUP-1", "{}"),),
            quarantine=QuarantineItem(0, "<m1@clinic>", "imap:1:7", "r", "s", "t", AT, b"raw"),
        )  # fmt: skip
        with pytest.raises(sqlite3.IntegrityError, match="disk I/O error"):
            store.commit_mail(outcome)
        assert store.issue_for_message("<m1@clinic>") is None
        assert store.tracked("SUP-1") is None
        assert store.answers("doc@clinic", day) == 0
        assert store.journal_pending() == []
        assert store.quarantine_list() == []
        with raw_connection(path) as db:
            db.execute("DROP TRIGGER refuse")
        assert store.commit_mail(outcome)  # the redelivered mail commits whole
        assert store.issue_for_message("<m1@clinic>") == "SUP-1"
        assert [e.key for e in store.journal_pending()] == ["notify:ack"]


class TestGroupCommit:
    """Issue 11.10: in group commit the event loop never waits on an fsync; the WalSyncer's
    thread syncs the WAL once for the commits made meanwhile, and ``flushed()`` returns only
    once the durable commits made before it are on disk."""

    def test_durable_commits_stay_at_normal_and_are_synced_by_the_syncer(
        self, path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        synced: list[str] = []
        monkeypatch.setattr(wal_sync, "fsync_file", synced.append)
        with SqliteStore(path, group_commit=True) as store:
            store.journal_begin("k", "comment", "SUP-1", "{}", AT)
            asyncio.run(store.flushed())
            assert synced and set(synced) == {f"{path}-wal"}
            assert store.pragmas()["synchronous"] == 1  # NORMAL: no fsync inside COMMIT
        with SqliteStore(path) as store:
            assert store.journal_get("k") is not None

    async def test_flushed_waits_for_the_sync_and_the_loop_runs_meanwhile(
        self, path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        gate = threading.Event()
        monkeypatch.setattr(wal_sync, "fsync_file", lambda _path: gate.wait())
        with SqliteStore(path, group_commit=True) as store:
            store.set_issue_for_unique("tb-1", "SUP-1")  # returns at once: the disk is held
            flushed = asyncio.ensure_future(store.flushed())
            ticks = 0
            for _ in range(20):  # the loop keeps running while the fsync hangs
                await asyncio.sleep(0.001)
                ticks += 1
            assert ticks == 20 and not flushed.done()
            gate.set()
            await asyncio.wait_for(flushed, timeout=10)

    async def test_one_fsync_covers_the_commits_made_while_the_last_one_ran(
        self, path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        gate, began, rounds = threading.Event(), threading.Event(), []

        def held(wal: str) -> None:
            rounds.append(wal)
            began.set()
            gate.wait()

        monkeypatch.setattr(wal_sync, "fsync_file", held)
        with SqliteStore(path, group_commit=True) as store:
            store.journal_begin("k0", "comment", "SUP-1", "{}", AT)
            first = asyncio.ensure_future(store.flushed())
            await asyncio.to_thread(began.wait)
            for n in range(1, 50):  # while the first fsync runs
                store.journal_begin(f"k{n}", "comment", "SUP-1", "{}", AT)
            later = asyncio.ensure_future(store.flushed())
            gate.set()
            await asyncio.wait_for(asyncio.gather(first, later), timeout=10)
            assert len(rounds) == 2  # the first commit's round, then one for the other 49

    async def test_a_failed_fsync_fails_its_waiters_and_the_next_commit_tries_again(
        self, path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        failures = [OSError(5, "Input/output error")]

        def flaky(_wal: str) -> None:
            if failures:
                raise failures.pop()

        monkeypatch.setattr(wal_sync, "fsync_file", flaky)
        with SqliteStore(path, group_commit=True) as store:
            store.journal_begin("k1", "comment", "SUP-1", "{}", AT)
            with pytest.raises(StoreError, match=r"cannot flush the store: .*Input/output"):
                await asyncio.wait_for(store.flushed(), timeout=10)
            store.journal_begin("k2", "comment", "SUP-1", "{}", AT)
            await asyncio.wait_for(store.flushed(), timeout=10)

    def test_close_syncs_what_was_committed(
        self, path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        synced: list[str] = []
        gate = threading.Event()

        def slow(wal: str) -> None:
            gate.wait()
            synced.append(wal)

        monkeypatch.setattr(wal_sync, "fsync_file", slow)
        store = SqliteStore(path, group_commit=True)
        store.journal_begin("k", "comment", "SUP-1", "{}", AT)
        threading.Timer(0.05, gate.set).start()
        store.close()
        assert synced  # the close waited for the round in hand

    def test_a_wal_that_is_gone_has_nothing_to_sync(self, tmp_path: Path) -> None:
        wal_sync.fsync_file(str(tmp_path / "none.db-wal"))  # checkpointed and removed: no error
