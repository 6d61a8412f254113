"""The Store contract, run against every implementation: in memory, SQLite (each durable commit
fsynced, and in group commit) and PostgreSQL (a real private cluster on loopback)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tracker_bridge.mail.source import Watermark
from tracker_bridge.store import (
    CardRecord,
    MemoryStore,
    ProcessedMessage,
    SqliteStore,
    Store,
    StoreClosedError,
    TrackedIssue,
)
from tracker_bridge.store.postgres import PostgresStore
from tracker_bridge.store.records import MailOutcome, QuarantineItem, QueuedNotice

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MSK = timezone(timedelta(hours=3), "MSK")
NAIVE = datetime(2026, 3, 2, 9, 30)
DAY = date(2026, 3, 2)

StoreFactory = Callable[[], Store]


@pytest.fixture(name="make_store", params=["memory", "sqlite", "sqlite-grouped", "postgres"])
def fixture_make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory of fresh stores of one implementation; every store made is closed afterwards.
    PostgreSQL: a fresh database in the session's private cluster for each store."""
    made: list[Store] = []

    def make() -> Store:
        store: Store
        if request.param == "memory":
            store = MemoryStore()
        elif request.param == "sqlite":
            store = SqliteStore(tmp_path / f"store{len(made)}.db")
        elif request.param == "sqlite-grouped":  # the daemon's mode (issue 11.10)
            store = SqliteStore(tmp_path / f"store{len(made)}.db", group_commit=True)
        else:
            store = PostgresStore(request.getfixturevalue("postgres").create_database())
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture(name="store")
def fixture_store(make_store: StoreFactory) -> Store:
    return make_store()


def later(minutes: int) -> datetime:
    return AT + timedelta(minutes=minutes)


class TestLifecycle:
    def test_a_store_is_a_context_manager_that_closes_it(self, make_store: StoreFactory) -> None:
        """Leaving the ``with`` block closes the store; using it afterwards is an error."""
        with make_store() as store:
            store.set_cursor("tracker", "1")
        with pytest.raises(StoreClosedError):
            store.get_cursor("tracker")

    def test_close_is_idempotent(self, store: Store) -> None:
        """Closing twice is harmless."""
        store.close()
        store.close()
        with pytest.raises(StoreClosedError):
            store.journal_pending()


class TestProcessedMessages:
    def test_a_recorded_message_comes_back_with_every_field(self, store: Store) -> None:
        """The outcome, issue, source id, reason and time of a message are kept."""
        assert store.record_message(
            "<m1@clinic.ru>", "commented", at=AT, issue_key="SUP-1", source_id="imap:7:3",
            reason="reply to SUP-1",
        )  # fmt: skip
        assert store.message_outcome("<m1@clinic.ru>") == ProcessedMessage(
            "<m1@clinic.ru>", "commented", AT, "SUP-1", "imap:7:3", "reply to SUP-1"
        )

    def test_an_unknown_message_has_no_outcome(self, store: Store) -> None:
        """A message never recorded is None, so it gets processed."""
        assert store.message_outcome("<never@clinic.ru>") is None

    def test_recording_a_message_twice_keeps_the_first_outcome(self, store: Store) -> None:
        """The duplicate guard: a second record is refused and changes nothing."""
        assert store.record_message("<m1@x>", "created", at=AT, issue_key="SUP-1")
        assert not store.record_message("<m1@x>", "quarantined", at=later(5), reason="again")
        assert store.message_outcome("<m1@x>") == ProcessedMessage("<m1@x>", "created", AT, "SUP-1")


class TestThreadMap:
    def test_an_outgoing_message_id_leads_to_its_issue(self, store: Store) -> None:
        """Replies to our notification find the issue through its Message-ID."""
        assert store.remember_outgoing("<n1@bridge>", "SUP-1", AT)
        assert store.issue_for_message("<n1@bridge>") == "SUP-1"

    def test_the_requesters_own_message_id_leads_to_its_issue(self, store: Store) -> None:
        """A reply to the requester's own first mail threads into the same issue."""
        assert store.remember_inbound("<first@clinic.ru>", "SUP-2", AT)
        assert store.issue_for_message("<first@clinic.ru>") == "SUP-2"

    def test_an_unknown_message_id_leads_nowhere(self, store: Store) -> None:
        """An id we never saw belongs to no issue."""
        assert store.issue_for_message("<stranger@x>") is None

    def test_a_message_id_keeps_its_first_issue(self, store: Store) -> None:
        """Mapping an id again (either direction) is refused: one id, one issue."""
        store.remember_outgoing("<n1@bridge>", "SUP-1", AT)
        assert not store.remember_outgoing("<n1@bridge>", "SUP-9", AT)
        assert not store.remember_inbound("<n1@bridge>", "SUP-9", AT)
        assert store.issue_for_message("<n1@bridge>") == "SUP-1"


class TestUniques:
    def test_a_unique_leads_to_the_issue_created_under_it(self, store: Store) -> None:
        """Tracker's unique of a created issue maps to its key."""
        assert store.issue_for_unique("tb-1") is None
        assert store.set_issue_for_unique("tb-1", "SUP-1")
        assert store.issue_for_unique("tb-1") == "SUP-1"

    def test_a_unique_keeps_its_first_issue(self, store: Store) -> None:
        """A second mapping of the same unique is refused."""
        store.set_issue_for_unique("tb-1", "SUP-1")
        assert not store.set_issue_for_unique("tb-1", "SUP-2")
        assert store.issue_for_unique("tb-1") == "SUP-1"


class TestCursors:
    def test_a_cursor_is_absent_until_set_and_then_replaced(self, store: Store) -> None:
        """Sync cursors start empty; each set replaces the value."""
        assert store.get_cursor("tracker.updated") is None
        store.set_cursor("tracker.updated", "2026-03-02T09:00:00Z")
        store.set_cursor("tracker.updated", "2026-03-02T10:00:00Z")
        store.set_cursor("telegram.offset", "42")
        assert store.get_cursor("tracker.updated") == "2026-03-02T10:00:00Z"
        assert store.get_cursor("telegram.offset") == "42"


class TestWatermarks:
    def test_a_watermark_is_kept_per_mailbox_and_replaced(self, store: Store) -> None:
        """The mail source's WatermarkStore: per mailbox, the last value wins."""
        assert store.get_watermark("imap://a@x/INBOX") is None
        store.set_watermark("imap://a@x/INBOX", Watermark(7, 10))
        store.set_watermark("imap://a@x/INBOX", Watermark(8, 2))
        store.set_watermark("imap://b@x/INBOX", Watermark(1, 99))
        assert store.get_watermark("imap://a@x/INBOX") == Watermark(8, 2)
        assert store.get_watermark("imap://b@x/INBOX") == Watermark(1, 99)


class TestJournal:
    def test_begin_records_a_pending_first_attempt(self, store: Store) -> None:
        """A new key is journaled pending, attempt 1, with its kind, issue and payload."""
        entry = store.journal_begin("comment:SUP-1:<m1>", "comment", "SUP-1", '{"a": 1}', AT)
        assert (entry.key, entry.kind, entry.issue_key, entry.payload) == (
            "comment:SUP-1:<m1>", "comment", "SUP-1", '{"a": 1}',
        )  # fmt: skip
        assert (entry.state, entry.attempts, entry.created_at, entry.updated_at) == (
            "pending", 1, AT, AT,
        )  # fmt: skip
        assert store.journal_get("comment:SUP-1:<m1>") == entry

    def test_begin_then_done_marks_it_done_with_its_result(self, store: Store) -> None:
        """The side effect happened: done, with its result, and settled."""
        store.journal_begin("k", "comment", "SUP-1", "{}", AT)
        done = store.journal_done("k", "comment 17", later(1))
        assert (done.state, done.result, done.updated_at, done.created_at) == (
            "done", "comment 17", later(1), AT,
        )  # fmt: skip
        assert done.settled
        assert store.journal_get("k") == done

    def test_a_failed_action_is_retried_with_one_more_attempt(self, store: Store) -> None:
        """begin → failed → begin: pending again, attempts 2, the last error kept."""
        store.journal_begin("k", "notify", None, "{}", AT)
        failed = store.journal_failed("k", "SMTP 451", permanent=False, at=later(1))
        assert (failed.state, failed.last_error, failed.settled) == ("failed", "SMTP 451", False)
        again = store.journal_begin("k", "notify", None, "{}", later(2))
        assert (again.state, again.attempts, again.last_error) == ("pending", 2, "SMTP 451")
        assert store.journal_get("k") == again

    def test_beginning_a_pending_entry_again_counts_an_attempt(self, store: Store) -> None:
        """After a crash the same key is begun again: attempts count up, the record stays."""
        first = store.journal_begin("k", "comment", "SUP-1", '{"v": 1}', AT)
        again = store.journal_begin("k", "other", "SUP-2", '{"v": 2}', later(1))
        assert (again.attempts, again.updated_at) == (2, later(1))
        assert (again.kind, again.issue_key, again.payload, again.created_at) == (
            first.kind, first.issue_key, first.payload, first.created_at,
        )  # fmt: skip

    def test_done_stays_done(self, store: Store) -> None:
        """A done entry comes back unchanged from begin and from failed: skip the side effect."""
        store.journal_begin("k", "comment", "SUP-1", "{}", AT)
        done = store.journal_done("k", "first", later(1))
        assert store.journal_begin("k", "comment", "SUP-1", "{}", later(2)) == done
        assert store.journal_failed("k", "late error", permanent=True, at=later(3)) == done
        assert store.journal_done("k", "second", later(4)) == done
        assert store.journal_get("k") == done

    def test_a_permanent_failure_is_not_retried(self, store: Store) -> None:
        """A permanent failure is settled: begin returns it unchanged."""
        store.journal_begin("k", "transition", "SUP-1", "{}", AT)
        failed = store.journal_failed("k", "400 no such transition", permanent=True, at=later(1))
        assert failed.settled and failed.permanent
        assert store.journal_begin("k", "transition", "SUP-1", "{}", later(2)) == failed

    def test_finishing_an_unknown_key_is_an_error(self, store: Store) -> None:
        """done/failed without begin is a bug in the caller, not a silent insert."""
        with pytest.raises(KeyError):
            store.journal_done("never", None, AT)
        with pytest.raises(KeyError):
            store.journal_failed("never", "x", permanent=False, at=AT)
        assert store.journal_get("never") is None

    def test_pending_lists_unfinished_entries_oldest_first(self, store: Store) -> None:
        """Recovery sees entries begun but never finished, in the order they began."""
        store.journal_begin("b", "comment", "SUP-1", "{}", later(2))
        store.journal_begin("a", "comment", "SUP-1", "{}", later(2))
        store.journal_begin("c", "comment", "SUP-1", "{}", later(1))
        store.journal_begin("done", "comment", "SUP-1", "{}", AT)
        store.journal_done("done", None, AT)
        store.journal_begin("failed", "comment", "SUP-1", "{}", AT)
        store.journal_failed("failed", "x", permanent=False, at=AT)
        assert [e.key for e in store.journal_pending()] == ["c", "a", "b"]

    def test_done_keys_are_the_issues_done_actions_only(self, store: Store) -> None:
        """IssueView.done gets the done keys of that issue, nothing pending or foreign."""
        for key, issue in [("k1", "SUP-1"), ("k2", "SUP-1"), ("k3", "SUP-1"), ("k4", "SUP-2")]:
            store.journal_begin(key, "comment", issue, "{}", AT)
        for key in ("k1", "k2", "k4"):
            store.journal_done(key, None, AT)
        store.journal_failed("k2", "ignored: done stays done", permanent=False, at=AT)
        assert store.done_keys("SUP-1") == frozenset({"k1", "k2"})
        assert store.done_keys("SUP-3") == frozenset()

    def test_own_comments_are_the_done_add_comments_by_their_tracker_ids(
        self, store: Store
    ) -> None:
        """Issue 11.6: the comment ids the bridge created, as customer words or its own notes,
        from the journal (an AddComment's result is the id Tracker gave it)."""
        customer = '{"on_behalf_of": "d@clinic.ru", "text": "x"}'
        rows = [
            ("comment:SUP-1:<m1>", "SUP-1", customer, "101"),
            ("comment:SUP-1:tg-5", "SUP-1", '{"on_behalf_of": null}', "102"),
            ("comment:SUP-1:<m2>", "SUP-1", customer, None),  # begun, never done
            ("comment:SUP-2:<m3>", "SUP-2", customer, "201"),
        ]
        for key, issue, payload, result in rows:
            store.journal_begin(key, "AddComment", issue, payload, AT)
            if result is not None:
                store.journal_done(key, result, AT)
        store.journal_begin("transition:SUP-1:x", "Transition", "SUP-1", "{}", AT)
        store.journal_done("transition:SUP-1:x", "moved", AT)
        assert store.own_comments("SUP-1") == {"101": "customer", "102": "bridge"}
        assert store.own_comments("SUP-3") == {}

    def test_rekey_gives_placeholder_entries_the_real_issue(self, store: Store) -> None:
        """Entries recorded against new:<unique> move to the created issue; keys stay."""
        store.journal_begin("create:tb-1", "create", "new:tb-1", "{}", AT)
        store.journal_begin("notify:new:tb-1:registered", "notify", "new:tb-1", "{}", AT)
        store.journal_begin("other", "comment", "new:tb-2", "{}", AT)
        store.journal_done("create:tb-1", "SUP-5", AT)
        assert store.journal_rekey_issue("new:tb-1", "SUP-5") == 2
        assert store.done_keys("SUP-5") == frozenset({"create:tb-1"})
        assert store.done_keys("new:tb-1") == frozenset()
        moved = store.journal_get("notify:new:tb-1:registered")
        assert moved is not None and (moved.issue_key, moved.state) == ("SUP-5", "pending")
        assert [e.issue_key for e in store.journal_pending()] == ["SUP-5", "new:tb-2"]

    def test_a_payload_must_be_json_text(self, store: Store) -> None:
        """Payloads are JSON text; anything else is refused before it is stored."""
        with pytest.raises(ValueError, match="JSON"):
            store.journal_begin("k", "comment", "SUP-1", "{not json", AT)
        assert store.journal_get("k") is None


class TestOneUnit:
    """Writes the effects and the outbox commit together (fewer transactions per mail)."""

    def test_issue_created_records_the_unique_moves_the_entries_and_settles_the_create(
        self, store: Store
    ) -> None:
        store.journal_begin("create:u1", "CreateIssue", None, "{}", AT)
        store.journal_begin("comment:x", "AddComment", "new:u1", "{}", AT)
        done = store.issue_created("u1", "new:u1", "SUP-7", "create:u1", later(1))
        assert (done.state, done.result, done.updated_at) == ("done", "SUP-7", later(1))
        assert store.journal_get("create:u1") == done
        assert store.issue_for_unique("u1") == "SUP-7"
        comment = store.journal_get("comment:x")
        assert comment is not None and comment.issue_key == "SUP-7"
        # again (a replay): the first issue kept, the entry stays settled
        store.issue_created("u1", "new:u1", "SUP-8", "create:u1", later(2))
        assert store.issue_for_unique("u1") == "SUP-7"

    def test_notice_begin_begins_the_attempt_and_threads_its_message_id(self, store: Store) -> None:
        entry = store.notice_begin("notify:SUP-1:ack", "notify", "SUP-1", "{}", AT, outgoing="m@x")
        assert (entry.state, entry.attempts) == ("pending", 1)
        again = store.notice_begin("notify:SUP-1:ack", "notify", "SUP-1", "{}", AT, outgoing="m@x")
        assert again.attempts == 2 and store.issue_for_message("m@x") == "SUP-1"
        store.notice_begin("notify:x", "notify", None, "{}", AT, outgoing="n@x")
        assert store.issue_for_message("n@x") is None  # no issue: nothing to thread to


class TestCards:
    def test_a_saved_card_comes_back_and_is_replaced_by_the_next(self, store: Store) -> None:
        """An issue has one card: saving again replaces chat, message and fingerprint."""
        assert store.card("SUP-1") is None
        store.save_card("SUP-1", -100123, 5, "fp1", AT)
        saved = store.save_card("SUP-1", -100123, 9, "fp2", later(3))
        assert saved == CardRecord("SUP-1", -100123, 9, "fp2", later(3))
        assert store.card("SUP-1") == saved

    def test_cards_lists_every_card_by_issue_key(self, store: Store) -> None:
        """All cards, sorted by issue key."""
        store.save_card("SUP-2", 1, 20, "b", AT)
        store.save_card("SUP-1", 1, 10, "a", AT)
        assert [(c.issue_key, c.message_id) for c in store.cards()] == [
            ("SUP-1", 10),
            ("SUP-2", 20),
        ]


class TestSends:
    """The bot's send ledger (issue 13.5): an intent, then its message id."""

    def test_an_intent_has_the_chats_highest_recorded_id_as_its_floor(self, store: Store) -> None:
        """The first send to a chat has no floor; later ones the highest id recorded there."""
        first = store.send_begin("card-post:SUP-1", -100, '{"html": "a"}', AT)
        assert (first.floor, first.message_id, first.at) == (None, None, AT)
        assert store.sends_unresolved(-100) == [first]
        store.send_done("card-post:SUP-1", 7, later(1), prune=AT)
        store.send_begin("other-chat", -200, "{}", AT)
        second = store.send_begin("alert:SUP-1:breach", -100, '{"html": "b"}', later(2))
        assert (second.floor, second.message_id) == (7, None)
        assert store.send_get("card-post:SUP-1") == replace(first, message_id=7, at=later(1))
        assert store.sends_unresolved(-100) == [second]
        assert store.sends_known(-100, 6) == frozenset({7})
        assert store.sends_known(-100, 7) == frozenset()

    def test_a_forgotten_intent_goes_and_a_recorded_send_stays(self, store: Store) -> None:
        """Forgetting drops only an intent without a message id."""
        store.send_begin("a", -100, "{}", AT)
        store.send_begin("b", -100, "{}", AT)
        store.send_done("b", 3, AT, prune=AT)
        store.send_forget("a")
        store.send_forget("b")
        assert store.send_get("a") is None
        assert store.send_get("b") is not None
        assert store.sends_unresolved(-100) == []

    def test_a_send_prunes_the_chats_older_records_but_never_the_newest(self, store: Store) -> None:
        """Records older than ``prune`` below the new id go; the new one is the next floor."""
        for n, purpose in enumerate(("old1", "old2")):
            store.send_begin(purpose, -100, "{}", AT)
            store.send_done(purpose, n + 1, AT, prune=AT)
        store.send_begin("new", -100, "{}", later(60))
        store.send_done("new", 5, later(60), prune=later(30))
        assert [store.send_get(p) is None for p in ("old1", "old2", "new")] == [True, True, False]
        assert store.send_begin("next", -100, "{}", later(61)).floor == 5


class TestAnswerCounters:
    def test_count_answer_counts_per_sender_and_day(self, store: Store) -> None:
        """Each call adds one and returns the day's count; other days and senders apart."""
        assert [store.count_answer("a@clinic.ru", DAY) for _ in range(3)] == [1, 2, 3]
        assert store.count_answer("a@clinic.ru", DAY + timedelta(days=1)) == 1
        assert store.count_answer("b@clinic.ru", DAY) == 1
        assert store.answers("a@clinic.ru", DAY) == 3
        assert store.answers("c@clinic.ru", DAY) == 0

    def test_senders_are_counted_case_insensitively(self, store: Store) -> None:
        """``A@Clinic.RU`` and ``a@clinic.ru`` are one sender."""
        store.count_answer("A@Clinic.RU", DAY)
        assert store.count_answer(" a@clinic.ru ", DAY) == 2

    def test_a_datetime_is_not_a_day(self, store: Store) -> None:
        """Counters take a date; a datetime (which zone's day?) is refused."""
        with pytest.raises(TypeError):
            store.count_answer("a@clinic.ru", AT)

    def test_concurrent_counting_loses_no_increment(self, store: Store) -> None:
        """Eight threads counting at once: every increment is kept."""
        threads = [
            threading.Thread(target=lambda: [store.count_answer("a@x", DAY) for _ in range(50)])
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert store.answers("a@x", DAY) == 400


class TestBounces:
    def test_a_bounced_address_is_remembered_case_insensitively(self, store: Store) -> None:
        """Permanent bounces stop mail to that address, however it is spelled."""
        assert not store.is_bounced("gone@clinic.ru")
        store.mark_bounced("Gone@Clinic.ru", "550 5.1.1 user unknown", AT)
        store.mark_bounced("gone@clinic.ru", "550 again", later(1))
        assert store.is_bounced("GONE@clinic.ru")
        assert not store.is_bounced("other@clinic.ru")


class TestQuarantine:
    def add(self, store: Store, message_id: str = "<q1@x>", raw: bytes | None = b"raw") -> int:
        return store.quarantine_add(
            message_id, "imap:1:5", reason="unknown sender", sender="who@nowhere.test",
            subject="Помогите", at=AT, raw=raw,
        )  # fmt: skip

    def test_an_added_message_keeps_its_fields_and_raw_bytes(self, store: Store) -> None:
        """The item holds everything ``quarantine release`` needs, raw bytes byte-exact."""
        raw = bytes(range(256)) * 4
        item_id = self.add(store, raw=raw)
        item = store.quarantine_get(item_id)
        assert item is not None
        assert (item.id, item.message_id, item.source_id, item.reason) == (
            item_id, "<q1@x>", "imap:1:5", "unknown sender",
        )  # fmt: skip
        assert (item.sender, item.subject, item.at, item.raw) == (
            "who@nowhere.test", "Помогите", AT, raw,
        )  # fmt: skip
        assert not item.released

    def test_ids_count_up_and_unknown_ids_are_none(self, store: Store) -> None:
        """Each new message gets the next id; raw may be absent."""
        first, second = self.add(store, "<a@x>"), self.add(store, "<b@x>", raw=None)
        assert second == first + 1
        item = store.quarantine_get(second)
        assert item is not None and item.raw is None
        assert store.quarantine_get(second + 1) is None

    def test_a_message_already_held_keeps_its_item(self, store: Store) -> None:
        """Quarantining the same message again (a redelivery) returns the held item's id."""
        first = self.add(store)
        assert self.add(store) == first
        assert len(store.quarantine_list()) == 1

    def test_release_takes_an_item_off_the_list(self, store: Store) -> None:
        """Released items leave the list, stay readable, and keep their first release time."""
        kept, released = self.add(store, "<a@x>"), self.add(store, "<b@x>")
        item = store.quarantine_release(released, later(10))
        assert item.released_at == later(10)
        assert store.quarantine_release(released, later(20)).released_at == later(10)
        assert [i.id for i in store.quarantine_list()] == [kept]
        assert [i.id for i in store.quarantine_list(include_released=True)] == [kept, released]
        assert store.quarantine_get(released) == item

    def test_a_released_message_can_be_quarantined_anew(self, store: Store) -> None:
        """Re-injected and held again: a new item, not the released one."""
        first = self.add(store)
        store.quarantine_release(first, later(1))
        assert self.add(store) == first + 1

    def test_releasing_an_unknown_item_is_an_error(self, store: Store) -> None:
        """There is nothing to release under an id never handed out."""
        with pytest.raises(KeyError):
            store.quarantine_release(404, AT)


class TestTrackedIssues:
    def test_a_tracked_issue_keeps_customer_requester_and_since(self, store: Store) -> None:
        """tracked_since comes from the first track; a second track changes nothing."""
        assert store.tracked("SUP-1") is None
        assert store.track("SUP-1", "clinic", "a@clinic.ru", AT)
        assert not store.track("SUP-1", "other", "b@clinic.ru", later(60))
        assert store.tracked("SUP-1") == TrackedIssue("SUP-1", "clinic", "a@clinic.ru", AT)

    def test_tracked_issues_are_listed_by_key(self, store: Store) -> None:
        """Every watched issue, sorted by key."""
        store.track("SUP-2", "clinic", "a@x", AT)
        store.track("SUP-1", "clinic", "b@x", later(1))
        assert [t.issue_key for t in store.tracked_issues()] == ["SUP-1", "SUP-2"]

    def test_a_finished_issue_is_not_listed_but_still_known(self, store: Store) -> None:
        """Start-up and polling skip a finished issue; a reply to it still finds its facts."""
        store.track("SUP-1", "clinic", "a@x", AT)
        store.track("SUP-2", "clinic", "b@x", AT)
        assert store.finish("SUP-1", "closed")
        assert [t.issue_key for t in store.tracked_issues()] == ["SUP-2"]
        assert store.tracked("SUP-1") == TrackedIssue("SUP-1", "clinic", "a@x", AT, "closed")

    def test_finishing_again_or_an_unknown_issue_changes_nothing(self, store: Store) -> None:
        """finish is idempotent and never invents a tracked issue."""
        store.track("SUP-1", "clinic", "a@x", AT)
        assert store.finish("SUP-1", "completed")
        assert not store.finish("SUP-1", "completed")
        assert not store.finish("SUP-9", "completed")
        assert store.tracked("SUP-9") is None

    def test_a_reopened_issue_is_listed_again(self, store: Store) -> None:
        """finish(key, None) makes a finished issue open again."""
        store.track("SUP-1", "clinic", "a@x", AT)
        store.finish("SUP-1", "closed")
        assert store.finish("SUP-1", None)
        assert [t.finished for t in store.tracked_issues()] == [None]


NAIVE_CALLS: dict[str, Callable[[Store], Any]] = {
    "record_message": lambda s: s.record_message("m", "created", at=NAIVE),
    "remember_outgoing": lambda s: s.remember_outgoing("m", "SUP-1", NAIVE),
    "remember_inbound": lambda s: s.remember_inbound("m", "SUP-1", NAIVE),
    "journal_begin": lambda s: s.journal_begin("k", "comment", "SUP-1", "{}", NAIVE),
    "save_card": lambda s: s.save_card("SUP-1", 1, 2, "fp", NAIVE),
    "mark_bounced": lambda s: s.mark_bounced("a@x", "550", NAIVE),
    "quarantine_add": lambda s: s.quarantine_add(
        "m", "s", reason="r", sender="a@x", subject="s", at=NAIVE
    ),
    "track": lambda s: s.track("SUP-1", "clinic", "a@x", NAIVE),
}


class TestTime:
    @pytest.mark.parametrize("call", NAIVE_CALLS.values(), ids=NAIVE_CALLS.keys())
    def test_a_naive_datetime_is_refused(self, store: Store, call: Callable[[Store], Any]) -> None:
        """A datetime without a zone is a ValueError; the store cannot guess the zone."""
        with pytest.raises(ValueError, match="naive"):
            call(store)

    def test_naive_times_are_refused_when_finishing_too(self, store: Store) -> None:
        """journal_done, journal_failed and quarantine_release refuse naive times as well."""
        store.journal_begin("k", "comment", "SUP-1", "{}", AT)
        item_id = store.quarantine_add("m", "s", reason="r", sender="a@x", subject="s", at=AT)
        with pytest.raises(ValueError, match="naive"):
            store.journal_done("k", None, NAIVE)
        with pytest.raises(ValueError, match="naive"):
            store.journal_failed("k", "x", permanent=False, at=NAIVE)
        with pytest.raises(ValueError, match="naive"):
            store.quarantine_release(item_id, NAIVE)
        entry, item = store.journal_get("k"), store.quarantine_get(item_id)
        assert entry is not None and entry.state == "pending"
        assert item is not None and not item.released

    def test_times_in_any_zone_come_back_as_the_same_instant_in_utc(self, store: Store) -> None:
        """Moscow time in, the same instant out, expressed in UTC."""
        moscow = datetime(2026, 3, 2, 12, 30, 15, 123456, tzinfo=MSK)
        store.track("SUP-1", "clinic", "a@x", moscow)
        tracked = store.tracked("SUP-1")
        assert tracked is not None and tracked.since == moscow
        assert tracked.since.utcoffset() == timedelta(0)


class TestUnicode:
    def test_cyrillic_text_round_trips_everywhere(self, store: Store) -> None:
        """Russian text survives every kind of record unchanged."""
        text = "Не открывается карта пациента — ошибка «Ё»"
        store.record_message(f"<{text}@клиника.рф>", "ignored", at=AT, reason=text)
        store.set_cursor("курсор", text)
        store.journal_begin("ключ", "comment", "SUP-1", f'{{"текст": "{text}"}}', AT)
        store.save_card("SUP-1", 1, 2, text, AT)
        store.track("SUP-1", "Клиника «Здоровье»", "врач@клиника.рф", AT)
        outcome = store.message_outcome(f"<{text}@клиника.рф>")
        assert outcome is not None and outcome.reason == text
        assert store.get_cursor("курсор") == text
        entry = store.journal_get("ключ")
        assert entry is not None and entry.payload == f'{{"текст": "{text}"}}'
        card = store.card("SUP-1")
        assert card is not None and card.fingerprint == text
        assert store.tracked("SUP-1") == TrackedIssue(
            "SUP-1", "Клиника «Здоровье»", "врач@клиника.рф", AT
        )


class TestCommitMail:
    """Issue 13.3: one mail's outcome is one unit of work, all of it or nothing."""

    def outcome(self, **changes: Any) -> MailOutcome:
        fields: dict[str, Any] = {
            "message_id": "<m1@clinic>",
            "outcome": "created",
            "at": AT,
            "issue_key": "SUP-1",
            "source_id": "imap:1:7",
            "reason": "new request",
            "tracked": TrackedIssue("SUP-1", "clinic", "doc@clinic", AT - timedelta(seconds=3)),
            "answered": ("Doc@Clinic",),
            "day": DAY,
            "notices": (QueuedNotice("notify:ack:SUP-1", "SUP-1", '{"template": "ack"}'),),
        }
        return MailOutcome(**(fields | changes))

    def test_every_part_of_the_outcome_is_written(self, store: Store) -> None:
        assert store.commit_mail(self.outcome())
        assert store.message_outcome("<m1@clinic>") == ProcessedMessage(
            "<m1@clinic>", "created", AT, "SUP-1", "imap:1:7", "new request"
        )
        assert store.issue_for_message("<m1@clinic>") == "SUP-1"
        tracked = store.tracked("SUP-1")
        assert tracked is not None and tracked.since == AT - timedelta(seconds=3)
        assert store.answers("doc@clinic", DAY) == 1
        (queued,) = store.journal_pending()
        assert (queued.key, queued.kind, queued.issue_key) == (
            "notify:ack:SUP-1",
            "notify",
            "SUP-1",
        )
        assert store.quarantine_list() == []

    def test_a_malformed_part_writes_nothing_at_all(self, store: Store) -> None:
        """The last notice's payload is not JSON: the processed mark, thread entry, tracked
        issue and counters before it are not written either."""
        bad = (*self.outcome().notices, QueuedNotice("notify:x", "SUP-1", "not json"))
        with pytest.raises(ValueError, match="JSON"):
            store.commit_mail(self.outcome(notices=bad))
        assert store.message_outcome("<m1@clinic>") is None
        assert store.issue_for_message("<m1@clinic>") is None
        assert store.tracked("SUP-1") is None
        assert store.answers("doc@clinic", DAY) == 0
        assert store.journal_pending() == []

    def test_a_quarantined_mail_is_held_with_its_raw_bytes(self, store: Store) -> None:
        held = QuarantineItem(0, "<m1@clinic>", "imap:1:7", "unknown sender", "x@y", "Тема", AT,
                              b"\xff raw")  # fmt: skip
        outcome = self.outcome(outcome="quarantined", issue_key=None, tracked=None, answered=(),
                               notices=(), quarantine=held)  # fmt: skip
        assert store.commit_mail(outcome)
        (item,) = store.quarantine_list()
        assert (item.message_id, item.reason, item.raw, item.at) == (
            "<m1@clinic>",
            "unknown sender",
            b"\xff raw",
            AT,
        )
        assert not store.commit_mail(outcome)  # already recorded, already held: one item
        assert len(store.quarantine_list()) == 1

    def test_a_second_commit_keeps_the_first_record_and_queues_nothing_twice(
        self, store: Store
    ) -> None:
        assert store.commit_mail(self.outcome())
        store.journal_done("notify:ack:SUP-1", "<sent@x>", later(1))
        assert not store.commit_mail(self.outcome(outcome="commented", at=later(2)))
        record = store.message_outcome("<m1@clinic>")
        assert record is not None and record.outcome == "created"
        entry = store.journal_get("notify:ack:SUP-1")
        assert entry is not None and entry.state == "done" and entry.attempts == 1

    def test_a_notice_that_failed_for_now_is_queued_again(self, store: Store) -> None:
        store.journal_begin("notify:ack:SUP-1", "notify", "SUP-1", "{}", AT)
        store.journal_failed("notify:ack:SUP-1", "smtp down", False, AT)
        store.commit_mail(self.outcome())
        entry = store.journal_get("notify:ack:SUP-1")
        assert entry is not None and (entry.state, entry.attempts) == ("pending", 2)


# --- 12. intake attempts (the poison-mail breaker) --------------------------------------------
def test_intake_attempts_count_until_ended(store: Store) -> None:
    assert store.attempt_get("d1") == (0, None)
    assert store.attempts_begin([("d1", "uid:1"), ("d2", "uid:2")], AT) == [(0, None), (0, None)]
    store.attempt_failed("d1", "parse took longer than 10 s")
    assert store.attempts_begin([("d1", "uid:1")], AT) == [(1, "parse took longer than 10 s")]
    assert store.attempt_get("d1") == (2, "parse took longer than 10 s")
    assert store.attempt_get("d2") == (1, None)
    store.attempt_end("d1")
    assert store.attempt_get("d1") == (0, None)
    assert store.attempt_get("d2") == (1, None)
    store.attempt_end("d1")  # ending twice is harmless
    store.attempt_failed("unknown", "nothing to note")  # nor is a failure never begun
    assert store.attempt_get("unknown") == (0, None)
