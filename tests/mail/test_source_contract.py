"""The MailSource contract, run against both implementations (IMAP on Dovecot, Maildir)."""

from __future__ import annotations

import asyncio

import pytest

from tests.mail.conftest import SourceKit, message
from tracker_bridge.mail.source import Outcome

FOLDER: dict[Outcome, str] = {"done": "Processed", "quarantine": "Quarantine"}


class TestFetch:
    async def test_fetch_returns_delivered_messages_oldest_first(self, kit: SourceKit) -> None:
        """Messages come out byte-exact in delivery order."""
        for n in range(1, 4):
            kit.deliver(message(n))
        source = kit.open()
        try:
            got = await source.fetch()
        finally:
            await source.close()
        assert [m.raw for m in got] == [message(1), message(2), message(3)]

    async def test_fetch_hands_each_message_out_once_per_source(self, kit: SourceKit) -> None:
        """A second fetch returns only what arrived after the first."""
        kit.deliver(message(1))
        source = kit.open()
        try:
            first = await source.fetch()
            kit.deliver(message(2))
            second = await source.fetch()
            third = await source.fetch()
        finally:
            await source.close()
        assert [m.raw for m in first] == [message(1)]
        assert [m.raw for m in second] == [message(2)]
        assert third == []

    async def test_fetch_returns_at_most_one_batch(self, kit: SourceKit) -> None:
        """batch_size caps one fetch; the rest follows in the next ones, still in order."""
        for n in range(1, 6):
            kit.deliver(message(n))
        source = kit.open(batch_size=2)
        try:
            sizes = [len(await source.fetch()) for _ in range(4)]
        finally:
            await source.close()
        assert sizes == [2, 2, 1, 0]

    async def test_source_ids_are_distinct_and_typed(self, kit: SourceKit) -> None:
        """Every message has its own source_id, prefixed with the source kind."""
        kit.deliver(message(1))
        kit.deliver(message(1))  # the same bytes twice are still two messages
        source = kit.open()
        try:
            got = await source.fetch()
        finally:
            await source.close()
        ids = {m.source_id for m in got}
        assert len(ids) == 2
        assert all(i.startswith(f"{kit.kind}:") for i in ids)


class TestSettle:
    @pytest.mark.parametrize("outcome", ["done", "quarantine"])
    async def test_settle_moves_the_message_to_its_folder(
        self, kit: SourceKit, outcome: Outcome
    ) -> None:
        """Settling takes the message out of the inbox into the done or quarantine folder."""
        kit.deliver(message(1))
        kit.deliver(message(2))
        source = kit.open()
        try:
            first, _ = await source.fetch()
            await source.settle(first, outcome)
        finally:
            await source.close()
        other: Outcome = "quarantine" if outcome == "done" else "done"
        assert kit.inbox() == [message(2)]
        assert kit.folder(FOLDER[outcome]) == [message(1)]
        assert kit.folder(FOLDER[other]) == []

    async def test_settling_twice_changes_nothing(self, kit: SourceKit) -> None:
        """settle is idempotent: a retry after an unclear failure is safe."""
        kit.deliver(message(1))
        source = kit.open()
        try:
            [msg] = await source.fetch()
            await source.settle(msg, "done")
            await source.settle(msg, "done")
        finally:
            await source.close()
        assert kit.inbox() == []
        assert kit.folder("Processed") == [message(1)]

    async def test_nothing_leaves_the_inbox_without_settle(self, kit: SourceKit) -> None:
        """R1: fetching alone never moves or deletes mail; only settle does."""
        kit.deliver(message(1))
        source = kit.open()
        try:
            await source.fetch()
        finally:
            await source.close()
        assert kit.inbox() == [message(1)]


class TestRestart:
    async def test_unsettled_message_is_redelivered_by_the_next_source(
        self, kit: SourceKit
    ) -> None:
        """R1: a crash between fetch and settle loses nothing: the next start hands it out again."""
        kit.deliver(message(1))
        kit.deliver(message(2))
        crashed = kit.open()
        first, _unsettled = await crashed.fetch()
        await crashed.settle(first, "done")
        await crashed.close()  # the second was never settled: the process "died" here

        restarted = kit.open()
        try:
            again = await restarted.fetch()
        finally:
            await restarted.close()
        assert [m.raw for m in again] == [message(2)]

    async def test_settled_messages_are_not_handed_out_after_restart(self, kit: SourceKit) -> None:
        """Only the inbox is re-read at start; settled mail stays settled."""
        kit.deliver(message(1))
        source = kit.open()
        [msg] = await source.fetch()
        await source.settle(msg, "quarantine")
        await source.close()

        restarted = kit.open()
        try:
            assert await restarted.fetch() == []
        finally:
            await restarted.close()


class TestWaiting:
    async def test_wait_returns_at_once_when_mail_is_waiting(self, kit: SourceKit) -> None:
        """Mail not yet fetched makes wait_for_new return without waiting on the clock."""
        kit.deliver(message(1))
        source = kit.open()
        try:
            await asyncio.wait_for(source.wait_for_new(timeout=3600), 5)
            assert [m.raw for m in await source.fetch()] == [message(1)]
        finally:
            await source.close()


class TestFolders:
    async def test_cyrillic_folder_names_work(self, kit: SourceKit) -> None:
        """Done and quarantine folders may have Russian names."""
        kit.deliver(message(1))
        kit.deliver(message(2))
        source = kit.open(done_folder="Обработано", quarantine_folder="Карантин")
        try:
            done, bad = await source.fetch()
            await source.settle(done, "done")
            await source.settle(bad, "quarantine")
        finally:
            await source.close()
        assert kit.inbox() == []
        assert kit.folder("Обработано") == [message(1)]
        assert kit.folder("Карантин") == [message(2)]


@pytest.mark.slow
async def test_a_burst_of_500_is_fetched_in_batches_and_settled_exactly_once(
    kit: SourceKit,
) -> None:
    """R1: a burst of 500 comes out in order, in batches, each message settled exactly once."""
    kit.deliver_many([message(n) for n in range(500)])
    source = kit.open(batch_size=100)
    batches = []
    try:
        while batch := await source.fetch():
            batches.append(len(batch))
            for msg in batch:
                await source.settle(msg, "done")
    finally:
        await source.close()
    assert batches == [100] * 5
    assert kit.inbox() == []
    assert kit.folder("Processed") == [message(n) for n in range(500)]
