"""The mail server away, then back: mail delivered while IMAP was down is registered within
seconds of Dovecot answering again, each once (issue 18 §1, IMAP).

A real Dovecot over IMAP IDLE, stopped while the daemon runs; the local delivery agent goes on
filing mail into the Maildir meanwhile (as Postfix's LDA does while the IMAP service is down).
Every interval, IDLE wait and retry budget is at its production default (the quiet-night
harness of issue 12.1: only the loopback TLS differs), driven by the injected clock: the IMAP
source reconnects on the one backoff (1 s doubling to 6 s, plus jitter) and the daemon's
supervisor on its own (to 6 s).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import email
from tests.e2e.test_health_quiet_night import quiet_night
from tests.mail.conftest import start_dovecot
from tracker_bridge.testing.dovecot import Dovecot
from tracker_bridge.testing.waiting import eventually, still_running

RECOVERY_GOAL = 10.0  # seconds of clock time after the mail server is back (issue 18 §1)
MAILS = 5
REAL_PER_STEP = 1.0  # real seconds a clock second may take: the IMAP worker's reconnect


@pytest.fixture(name="dovecot")
def fixture_dovecot() -> Iterator[Dovecot]:
    """A Dovecot of its own: the test stops and starts it."""
    dc = start_dovecot()
    yield dc
    dc.close()


def _deliver(dovecot: Dovecot, raw: bytes, n: int) -> None:
    """File a mail into the INBOX's Maildir as the delivery agent does (Dovecot is down)."""
    maildir = dovecot.maildir()
    owner = (dovecot.directory / "mail").stat()  # the mail user's (nobody's, as root)
    for folder in (maildir.parent, maildir, maildir / "tmp", maildir / "new", maildir / "cur"):
        if not folder.exists():  # Dovecot makes them at the first login: none yet
            folder.mkdir(mode=0o700)
            os.chown(folder, owner.st_uid, owner.st_gid)
    name = f"{int(time.time())}.outage{n}.{os.getpid()}"
    tmp, new = maildir / "tmp" / name, maildir / "new" / name
    tmp.write_bytes(raw)
    os.chown(tmp, owner.st_uid, owner.st_gid)
    tmp.rename(new)


async def test_mail_delivered_while_imap_was_down_is_registered_within_seconds_of_its_return(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    """R1: Dovecot stopped for 10 minutes on a Monday evening, 5 mails delivered meanwhile, no
    mail after it comes back and the 29-minute IDLE wait far away: each mail becomes one issue
    ≤ 10 s of clock after Dovecot answers again, and the intake's outage is over."""
    async with quiet_night(tmp_path, dovecot) as world:  # production defaults throughout
        await world.advance(60.0)
        assert world.bridge.daemon.loops["intake"].failures == 0
        dovecot.stop()
        await world.advance(60.0)
        for n in range(MAILS):
            _, raw = email(subject=f"Запрос {n}", body="Логин: x", sender=f"d{n}@clinic1.example",
                           when=world.clock.now())  # fmt: skip
            _deliver(dovecot, raw, n)
        await world.advance(9 * 60.0)
        assert world.tracker.issues == {}
        outages = world.bridge.daemon.outages
        assert outages is not None and outages.is_down("imap")

        dovecot.start()
        took = await eventually(
            lambda: len(world.tracker.issues) == MAILS, 120, "every mail registered",
            clock=world.clock, patience=REAL_PER_STEP, alive=still_running(world.task),
        )  # fmt: skip
        print(f"\nIMAP back: {MAILS} mails registered in {took} s of clock")
        assert took <= RECOVERY_GOAL
        summaries = sorted(i.summary for i in world.tracker.issues.values())
        assert summaries == sorted(f"Запрос {n}" for n in range(MAILS))  # each once
        await world.advance(120.0)
        assert len(world.tracker.issues) == MAILS
        assert not outages.is_down("imap")


async def test_the_daemon_starts_with_the_mail_server_down_and_reads_mail_once_it_is_up(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    """§4: IMAP down when the daemon starts — it starts (the other loops run, imap reported
    down), and the mail delivered meanwhile is registered ≤ 10 s of clock after Dovecot is up."""
    dovecot.stop()
    async with quiet_night(tmp_path, dovecot) as world:
        # 30 s steps, one reconnect each: enough for the IDLE's and the fetch's budgets (8 each)
        await world.advance(20 * 60.0)
        outages = world.bridge.daemon.outages
        assert outages is not None and outages.is_down("imap")
        assert world.bridge.daemon.loops["tracker_sync"].iterations > 0  # the rest runs
        _, raw = email(subject="Запрос", body="Логин: x", when=world.clock.now())
        _deliver(dovecot, raw, 0)
        dovecot.start()
        took = await eventually(
            lambda: bool(world.tracker.issues), 120, "the mail registered", clock=world.clock,
            patience=REAL_PER_STEP, alive=still_running(world.task),
        )  # fmt: skip
        assert took <= RECOVERY_GOAL
        assert [i.summary for i in world.tracker.issues.values()] == ["Запрос"]
