"""No mail waits in the window before IDLE (issue 12.8): a mail that lands between the source's
last look at the mailbox and the start of its IDLE — the first one, a refresh, a renewal — is
taken at once, not at the next keepalive or renewal.

:class:`~tracker_bridge.testing.idle_gate.IdleGate` puts the mail exactly there: it holds the
IDLE command back, appends over another connection, then lets the IDLE through, and relays the
server's "+ idling" together with the EXISTS Dovecot sends right after (what made the mail wait:
imaplib's buffered reader took both, and idle_check only polls the socket). Waits use the
production refresh (INTAKE_REFRESH, 5 minutes) on a clock that does not move: "at once" is
real time here, a few seconds at most.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.mail.conftest import imap_settings, message
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.mail.imap_source import ImapSource
from tracker_bridge.runtime.daemon import INTAKE_REFRESH
from tracker_bridge.testing.dovecot import MailAccount
from tracker_bridge.testing.idle_gate import IdleGate
from tracker_bridge.testing.waiting import eventually

AT_ONCE = 3.0  # seconds of real time: the gate's own 0.5 s plus a few round trips


@pytest.fixture(name="gate_at")
def fixture_gate_at() -> list[int]:
    return [1]


@pytest.fixture(name="gate")
def fixture_gate(account: MailAccount, gate_at: list[int]) -> Iterator[IdleGate]:
    with IdleGate(
        account.host, account.port, lambda: account.append("INBOX", message(1)), at=tuple(gate_at)
    ) as gate:
        yield gate


def source_through(
    gate: IdleGate, account: MailAccount, clock: ManualClock, **over: object
) -> ImapSource:
    settings = imap_settings(account, host=gate.host, port=gate.port, **over)
    return ImapSource(settings, clock=clock)


async def taken_at_once(source: ImapSource, gate: IdleGate) -> None:
    started = time.monotonic()
    await asyncio.wait_for(source.wait_for_new(INTAKE_REFRESH), AT_ONCE + 2)
    elapsed = time.monotonic() - started
    assert gate.injected == 1, "the gate never saw the IDLE it was to hold"
    assert elapsed < AT_ONCE, f"the mail appended in the window waited {elapsed:.1f} s"
    assert [m.raw for m in await source.fetch()] == [message(1)]


async def test_a_mail_landing_just_before_the_first_idle_is_taken_at_once(
    account: MailAccount, clock: ManualClock, gate: IdleGate
) -> None:
    """READY, the first search finds nothing, the mail lands, the IDLE starts: taken at once."""
    async with source_through(gate, account, clock) as source:
        assert await source.fetch() == []
        await taken_at_once(source, gate)


@pytest.mark.parametrize("gate_at", [[2]])
async def test_a_mail_landing_just_before_a_refreshed_idle_is_taken_at_once(
    account: MailAccount, clock: ManualClock, gate: IdleGate
) -> None:
    """The daemon refreshes the IDLE every INTAKE_REFRESH of its clock; the window before the
    refreshed IDLE is closed too."""
    async with source_through(gate, account, clock) as source:
        assert await source.fetch() == []
        first = asyncio.create_task(source.wait_for_new(INTAKE_REFRESH))
        await eventually(lambda: source.idling, 5, "the first IDLE started")
        clock.advance(INTAKE_REFRESH)  # the refresh: the first wait ends empty-handed
        await asyncio.wait_for(first, 5)
        assert await source.fetch() == []
        await taken_at_once(source, gate)


@pytest.mark.parametrize("gate_at", [[2]])
async def test_a_mail_landing_just_before_an_idle_renewal_is_taken_at_once(
    account: MailAccount, clock: ManualClock, gate: IdleGate
) -> None:
    """Inside one wait the IDLE is renewed (idle_renew, real time: the server's 30-minute
    limit); the window before the renewed IDLE is closed too. idle_renew is shortened here —
    its twin at the real value is the refresh test above, the same code path."""
    async with source_through(gate, account, clock, idle_renew=0.5) as source:
        assert await source.fetch() == []
        await taken_at_once(source, gate)
    assert gate.idles >= 2
