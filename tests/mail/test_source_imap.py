"""ImapSource against a real private Dovecot: IDLE, polling, TLS, reconnects, UIDVALIDITY."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, MutableMapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from imapclient.exceptions import IMAPClientAbortError, LoginError
from structlog.testing import capture_logs

from tests.mail.conftest import imap_settings, message
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.mail.imap_source import ImapSource, is_transient
from tracker_bridge.mail.source import (
    IncomingMessage,
    MailSourceError,
    MailSourceUnavailable,
    MemoryWatermarkStore,
    Watermark,
)
from tracker_bridge.runtime.daemon import INTAKE_REFRESH
from tracker_bridge.testing.dovecot import Dovecot, DovecotMissingError, MailAccount
from tracker_bridge.testing.waiting import eventually  # a real server: real time

T = TypeVar("T")


def source_for(
    account: MailAccount, clock: ManualClock, store: Any = None, **overrides: Any
) -> ImapSource:
    return ImapSource(imap_settings(account, **overrides), clock=clock, store=store)


async def within(seconds: float, awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, seconds)


def events(logs: list[MutableMapping[str, Any]], name: str) -> list[MutableMapping[str, Any]]:
    return [e for e in logs if e["event"] == name]


def raws(messages: list[IncomingMessage]) -> list[bytes]:
    return [m.raw for m in messages]


async def idle_wait(source: ImapSource, length: float) -> asyncio.Task[None]:
    """An empty inbox read, then ``wait_for_new(length)`` under way, returned once in IDLE."""
    assert await source.fetch() == []
    waiting = asyncio.create_task(source.wait_for_new(timeout=length))
    await eventually(lambda: source.idling, 5.0)
    return waiting


class TestIdle:
    async def test_an_append_elsewhere_wakes_the_idle_within_a_second(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """IDLE: mail appended over another connection ends wait_for_new in ~0.5 s."""
        async with source_for(account, clock) as source:
            waiting = await idle_wait(source, length=30)
            started = time.monotonic()
            await asyncio.to_thread(account.append, "INBOX", message(1))
            await within(5, waiting)
            assert time.monotonic() - started < 1.5
            assert raws(await source.fetch()) == [message(1)]

    async def test_a_wait_without_mail_ends_at_its_timeout(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """An idle wait with nothing arriving returns after its timeout, empty-handed (real
        time bounds it too: the socket waits in real time)."""
        async with source_for(account, clock) as source:
            assert await source.fetch() == []
            started = time.monotonic()
            await within(5, source.wait_for_new(timeout=0.4))
            assert 0.35 < time.monotonic() - started < 2.0
            assert await source.fetch() == []

    async def test_a_wait_ends_when_the_injected_clock_says_so(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """The production wait (5 minutes) ends as soon as the injected clock has passed it:
        the daemon refreshes the IDLE on its own schedule, and tests run it in milliseconds."""
        async with source_for(account, clock) as source:
            waiting = await idle_wait(source, length=INTAKE_REFRESH)
            clock.advance(INTAKE_REFRESH - 1)
            await asyncio.sleep(0.3)
            assert not waiting.done()
            clock.advance(1)
            await within(2, waiting)
            assert await source.fetch() == []

    async def test_idle_is_reissued_during_a_long_wait(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """IDLE is renewed every idle_renew seconds and still reports new mail afterwards."""
        async with source_for(account, clock, idle_renew=0.2) as source:
            assert await source.fetch() == []
            with capture_logs() as logs:
                waiting = asyncio.create_task(source.wait_for_new(timeout=30))
                await eventually(lambda: len(events(logs, "imap.idle_renewed")) >= 2, 5.0)
                await eventually(lambda: source.idling, 5.0)
                await asyncio.to_thread(account.append, "INBOX", message(1))
                await within(5, waiting)
            assert raws(await source.fetch()) == [message(1)]

    async def test_cancelling_a_wait_leaves_idle_and_the_source_keeps_working(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """A cancelled wait_for_new (shutdown) releases the connection for the next call."""
        async with source_for(account, clock) as source:
            waiting = await idle_wait(source, length=30)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await asyncio.to_thread(account.append, "INBOX", message(1))
            assert raws(await within(3, source.fetch())) == [message(1)]

    async def test_settle_does_not_wait_behind_a_running_idle(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """Fetch and settle use their own connection: an IDLE in progress does not block them."""
        account.append("INBOX", message(1))
        async with source_for(account, clock) as source:
            [msg] = await source.fetch()
            waiting = asyncio.create_task(source.wait_for_new(timeout=30))
            await eventually(lambda: source.idling, 5.0)
            await within(1, source.settle(msg, "done"))
            assert source.idling
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        assert account.messages("Processed") == [message(1)]

    async def test_closing_the_source_ends_a_running_wait(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """Shutdown: close() takes the connection out of IDLE and the wait returns."""
        source = source_for(account, clock)
        assert await source.fetch() == []
        waiting = asyncio.create_task(source.wait_for_new(timeout=30))
        await eventually(lambda: source.idling, 5.0)
        await within(2, source.close())
        await within(2, waiting)
        with pytest.raises(MailSourceError, match="closed"):
            await source.fetch()

    @pytest.mark.slow
    async def test_a_dropped_connection_ends_the_wait_early(
        self, own_dovecot: Dovecot, clock: ManualClock
    ) -> None:
        """Dovecot killed during IDLE: wait_for_new returns at once (the clock standing still);
        fetch reconnects later, its backoff on the clock."""
        account = own_dovecot.account
        async with source_for(account, clock) as source:
            waiting = await idle_wait(source, length=30)
            own_dovecot.stop(kill=True)
            await within(3, waiting)
            own_dovecot.start()
            account.append("INBOX", message(1))
            fetching = asyncio.create_task(source.fetch())
            while not fetching.done():  # each reconnect's backoff, as soon as it waits
                await asyncio.sleep(0.002)
                if (due := clock.next_wakeup()) is not None:
                    clock.set(due)
            assert raws(await within(10, fetching)) == [message(1)]


class TestPolling:
    async def test_polling_checks_again_when_the_clock_says_so(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """use_idle=False: new mail is noticed at the next poll_interval tick of the clock."""
        async with source_for(account, clock, use_idle=False, poll_interval=30) as source:
            assert await source.fetch() == []
            waiting = asyncio.create_task(source.wait_for_new(timeout=300))
            await eventually(lambda: clock.sleepers == 1, 5.0)
            await asyncio.to_thread(account.append, "INBOX", message(1))
            clock.advance(29)
            await asyncio.sleep(0.05)
            assert not waiting.done()
            clock.advance(1)
            await within(5, waiting)
            assert raws(await source.fetch()) == [message(1)]

    async def test_a_poll_without_mail_returns_after_its_timeout(
        self, account: MailAccount, advancing: ManualClock
    ) -> None:
        """Polling waits exactly its timeout on the clock when nothing arrives."""
        start = advancing.now()
        async with source_for(account, advancing, use_idle=False, poll_interval=30) as source:
            assert await source.fetch() == []
            await within(5, source.wait_for_new(timeout=75))
        assert (advancing.now() - start).total_seconds() == 75

    async def test_a_server_without_idle_is_polled(
        self, plain_dovecot: Dovecot, clock: ManualClock
    ) -> None:
        """Where the server lacks IDLE the source falls back to polling on the clock."""
        account = plain_dovecot.add_user("no-idle")
        async with source_for(account, clock, poll_interval=10) as source:
            assert await source.fetch() == []
            waiting = asyncio.create_task(source.wait_for_new(timeout=60))
            await eventually(lambda: clock.sleepers == 1, 5.0)
            assert not source.idling
            await asyncio.to_thread(account.append, "INBOX", message(1))
            clock.advance(10)
            await within(5, waiting)


async def test_one_fetch_stays_within_batch_bytes(account: MailAccount, clock: ManualClock) -> None:
    """batch_bytes caps a batch by size, but a batch always holds at least one message."""
    for n in range(1, 4):
        account.append("INBOX", message(n))
    async with source_for(account, clock, batch_bytes=len(message(1)) * 2) as source:
        sizes = [len(await source.fetch()) for _ in range(3)]
    async with source_for(account, clock, batch_bytes=1) as source:
        single = [len(await source.fetch()) for _ in range(4)]
    assert sizes == [2, 1, 0]
    assert single == [1, 1, 1, 0]


class TestMoveFallback:
    async def test_without_move_settle_copies_and_expunges_only_that_message(
        self, plain_dovecot: Dovecot, clock: ManualClock
    ) -> None:
        """No MOVE capability: COPY + \\Deleted + UID EXPUNGE, other mail untouched."""
        account = plain_dovecot.add_user("no-move")
        account.append("INBOX", message(1))
        account.append("INBOX", message(2))
        async with source_for(account, clock) as source:
            first, _second = await source.fetch()
            await source.settle(first, "quarantine")
        assert account.messages("INBOX") == [message(2)]
        assert account.messages("Quarantine") == [message(1)]
        with account.client() as imap:
            imap.select_folder("INBOX", readonly=True)
            assert imap.search(["DELETED"]) == []


class TestTls:
    async def test_imaps_with_a_trusted_certificate(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """Implicit TLS on the IMAPS port, trusting the server's own certificate."""
        account.append("INBOX", message(1))
        ctx = account.ssl_context()
        async with source_for(
            account, clock, security="ssl", port=account.ssl_port, ssl_context=ctx
        ) as source:
            [msg] = await source.fetch()
            await source.settle(msg, "done")
        assert account.messages("Processed") == [message(1)]

    async def test_starttls_on_the_plain_port(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """STARTTLS upgrades the plain port before LOGIN."""
        account.append("INBOX", message(1))
        ctx = account.ssl_context()
        async with source_for(account, clock, security="starttls", ssl_context=ctx) as source:
            assert raws(await source.fetch()) == [message(1)]

    async def test_an_untrusted_certificate_fails_at_once(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """A self-signed cert against the system trust store is permanent: no retries."""
        ctx = ssl.create_default_context()
        with capture_logs() as logs:
            async with source_for(
                account, clock, security="ssl", port=account.ssl_port, ssl_context=ctx
            ) as source:
                with pytest.raises(MailSourceError) as caught:
                    await within(5, source.fetch())
        assert not isinstance(caught.value, MailSourceUnavailable)
        assert events(logs, "imap.reconnecting") == []

    async def test_a_wrong_password_fails_at_once(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """A refused login is a configuration error, not something to retry."""
        with capture_logs() as logs:
            async with source_for(account, clock, password="wrong") as source:
                with pytest.raises(MailSourceError, match="AUTHENTICATIONFAILED"):
                    await within(5, source.fetch())
        assert events(logs, "imap.reconnecting") == []


@pytest.mark.slow
class TestReconnect:
    async def test_fetch_and_settle_survive_a_dovecot_restart(
        self, own_dovecot: Dovecot, advancing: ManualClock
    ) -> None:
        """After a server restart the next call reconnects (one logged retry) and carries on."""
        account = own_dovecot.account
        account.append("INBOX", message(1))
        async with source_for(account, advancing) as source:
            [first] = await source.fetch()
            own_dovecot.restart()
            account.append("INBOX", message(2))
            with capture_logs() as logs:
                assert raws(await within(10, source.fetch())) == [message(2)]
                await source.settle(first, "done")
        assert len(events(logs, "imap.reconnecting")) == 1
        assert account.messages("INBOX") == [message(2)]
        assert account.messages("Processed") == [message(1)]

    async def test_fetch_waits_out_an_outage(
        self, own_dovecot: Dovecot, advancing: ManualClock
    ) -> None:
        """While the server is down each retry is logged; when it is back, fetch succeeds."""
        account = own_dovecot.account
        async with source_for(account, advancing, reconnect_attempts=20) as source:
            await source.fetch()
            own_dovecot.stop(kill=True)
            with capture_logs() as logs:
                fetching = asyncio.create_task(source.fetch())
                await eventually(lambda: len(events(logs, "imap.reconnecting")) >= 3, 5.0)
                own_dovecot.start()
                account.append("INBOX", message(1))
                assert raws(await within(10, fetching)) == [message(1)]
        attempts = [e["attempt"] for e in events(logs, "imap.reconnecting")]
        assert attempts == list(range(1, len(attempts) + 1))

    async def test_gives_up_after_the_configured_attempts_with_capped_waits(
        self, own_dovecot: Dovecot, advancing: ManualClock
    ) -> None:
        """4 attempts, backoff 1 s doubling, capped at 2 s plus the one formula's jitter (up to
        a quarter): three waits, 5-6.25 s in all."""
        account = own_dovecot.account
        start = advancing.now()
        own_dovecot.stop(kill=True)
        settings = {"reconnect_attempts": 4, "backoff_initial": 1.0, "backoff_max": 2.0}
        with capture_logs() as logs:
            async with source_for(account, advancing, **settings) as source:
                with pytest.raises(MailSourceUnavailable):
                    await within(10, source.fetch())
        waits = [e["wait"] for e in events(logs, "imap.reconnecting")]
        assert len(waits) == 3
        assert 1.0 <= waits[0] <= 1.25
        assert all(2.0 <= wait <= 2.5 for wait in waits[1:])
        assert 5.0 <= (advancing.now() - start).total_seconds() <= 6.25


class TestUidvalidity:
    async def test_a_recreated_mailbox_is_read_again_from_its_first_uid(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """New UIDVALIDITY: the watermark resets, so low UIDs of new mail are not skipped."""
        store = MemoryWatermarkStore()
        account.append("Support", message(1))
        account.append("Support", message(2))
        async with source_for(account, clock, store, mailbox="Support") as source:
            first, stale = await source.fetch()
            await source.settle(first, "done")
            account.recreate_folder("Support")
            account.append("Support", message(3))
            account.append("Support", message(4))
            again = await source.fetch()
            await source.settle(stale, "done")  # UID 2 now names message 4: must not move it
        new_validity = account.uidvalidity("Support")
        assert new_validity != first.uidvalidity
        assert raws(again) == [message(3), message(4)]
        assert [m.source_id for m in again] == [
            f"imap:{new_validity}:1",
            f"imap:{new_validity}:2",
        ]
        assert account.messages("Support") == [message(3), message(4)]
        assert account.messages("Processed") == [message(1)]
        assert store.marks == {source_key(account, "Support"): Watermark(new_validity, 2)}


class TestWatermark:
    async def test_redelivered_messages_are_flagged_after_a_restart(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """A message handed out before the restart comes back with redelivered=True."""
        store = MemoryWatermarkStore()
        account.append("INBOX", message(1))
        account.append("INBOX", message(2))
        async with source_for(account, clock, store) as source:
            first, _unsettled = await source.fetch()
            await source.settle(first, "done")
        account.append("INBOX", message(3))
        async with source_for(account, clock, store) as source:
            again = await source.fetch()
        assert [(m.raw, m.redelivered) for m in again] == [
            (message(2), True),
            (message(3), False),
        ]
        validity = account.uidvalidity("INBOX")
        assert store.marks == {source_key(account, "INBOX"): Watermark(validity, 3)}

    async def test_a_stored_watermark_of_another_uidvalidity_is_reset(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """A watermark left from an old UIDVALIDITY neither hides mail nor flags it."""
        store = MemoryWatermarkStore()
        store.set_watermark(source_key(account, "INBOX"), Watermark(1, 999))
        account.append("INBOX", message(1))
        async with source_for(account, clock, store) as source:
            got = await source.fetch()
        assert [(m.raw, m.redelivered) for m in got] == [(message(1), False)]
        validity = account.uidvalidity("INBOX")
        assert store.marks == {source_key(account, "INBOX"): Watermark(validity, 1)}


class TestFolders:
    async def test_a_cyrillic_mailbox_is_watched_and_settled_into_cyrillic_folders(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """Mailbox and folder names in Russian go over the wire as modified UTF-7."""
        account.append("Входящие/Поддержка", message(1))
        async with source_for(
            account,
            clock,
            mailbox="Входящие/Поддержка",
            done_folder="Обработано/2026",
            quarantine_folder="Карантин",
        ) as source:
            [msg] = await source.fetch()
            await source.settle(msg, "done")
        assert account.messages("Входящие/Поддержка") == []
        assert account.messages("Обработано/2026") == [message(1)]
        assert "Обработано/2026" in account.folders()

    async def test_settle_refuses_a_message_from_another_source(
        self, account: MailAccount, clock: ManualClock
    ) -> None:
        """A Maildir message has no UID to move."""
        async with source_for(account, clock) as source:
            with pytest.raises(ValueError, match="not come from an IMAP source"):
                await source.settle(IncomingMessage("maildir:x", b""), "done")


def source_key(account: MailAccount, mailbox: str) -> str:
    return imap_settings(account, mailbox=mailbox).key


def test_a_missing_dovecot_binary_says_how_to_install_it() -> None:
    """Without Dovecot the helper fails with the command that installs it."""
    with pytest.raises(DovecotMissingError, match=r"\.ci/system-deps"):
        Dovecot(binary="/nonexistent/dovecot")


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (IMAPClientAbortError("socket error: EOF"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (LoginError("b'[UNAVAILABLE] Temporary authentication failure.'"), True),
        (LoginError("b'[AUTHENTICATIONFAILED] Authentication failed.'"), False),
        (ssl.SSLCertVerificationError("self-signed certificate"), False),
    ],
)
def test_only_connection_trouble_is_retried(error: BaseException, transient: bool) -> None:
    """Drops, timeouts and [UNAVAILABLE] are retried; refused logins and bad certs are not."""
    assert is_transient(error) is transient


async def test_r10_a_message_carries_its_internaldate_as_its_arrival(
    account: MailAccount, clock: ManualClock
) -> None:
    """R10 "с момента появления": the server's INTERNALDATE (when the mail reached the
    mailbox) comes with each message, so the clocks start there, not when it was fetched."""
    arrived = datetime(2026, 3, 2, 8, 15, 30, tzinfo=UTC)
    with account.client() as imap:
        imap.append("INBOX", message(1), msg_time=arrived)
    async with source_for(account, clock) as source:
        (fetched,) = await source.fetch()
    assert fetched.received_at is not None
    assert fetched.received_at == arrived
