"""The outbox: queued notifications reach the requester once, through SMTP outages (R12, R22)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.mail.envelope import message_ids
from tracker_bridge.mail.outbound import SmtpSender, SmtpSettings
from tracker_bridge.mail.render import TemplateRenderer
from tracker_bridge.mail.sent_folder import MaildirSentFolder
from tracker_bridge.regulation.actions import Notify
from tracker_bridge.service.effects import notify_payload
from tracker_bridge.service.outbox import ACK_FIRST, QUEUE_LIFETIME, Outbox, OutboxIdentity
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.testing.smtp import SmtpCapture

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture(name="smtp")
def fixture_smtp() -> Iterator[SmtpCapture]:
    with SmtpCapture() as smtp:
        yield smtp


@pytest.fixture(name="clock")
def fixture_clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture(name="store")
def fixture_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(name="outbox")
def fixture_outbox(smtp: SmtpCapture, store: MemoryStore, clock: ManualClock) -> Outbox:
    sender = SmtpSender(SmtpSettings(host=smtp.host, port=smtp.port, security="none"))
    identity = OutboxIdentity("support@vendor.example", "Техподдержка", "vendor.example")
    return Outbox(store, clock, TemplateRenderer(), sender, identity)


def queue(
    store: MemoryStore, event: str = "status:awaiting_testing:x", to: str = "a@c.example"
) -> Notify:
    notify = Notify(
        "status_awaiting_testing",
        to=to,
        issue="SUP-7",
        event=event,
        context={"summary": "Не печатается рецепт"},
        in_reply_to="<m1@c.example>",
    )
    store.journal_begin(notify.key, "notify", "SUP-7", notify_payload(notify, "SUP-7"), T0)
    return notify


async def test_r12_a_queued_notification_is_sent_once_and_threads_back(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore
) -> None:
    """R12/R11: the requester gets the awaiting-testing email, [KEY] in the subject, once."""
    notify = queue(store)
    assert await outbox.drain() == 1
    assert await outbox.drain() == 0
    (message,) = smtp.messages
    assert "[SUP-7]" in str(message["Subject"])
    assert message["In-Reply-To"] == "<m1@c.example>"
    assert "кэш" in message.get_content()
    entry = store.journal_get(notify.key)
    assert entry is not None and entry.state == "done"


async def test_r8_a_reply_to_a_sent_notification_finds_its_issue_by_in_reply_to(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore
) -> None:
    """R8: the Message-ID is remembered as the intake reads a reply's In-Reply-To (bare)."""
    queue(store)
    await outbox.drain()
    (message,) = smtp.messages
    (as_read,) = message_ids(str(message["Message-ID"]))
    assert store.issue_for_message(as_read) == "SUP-7"


async def test_r22_an_smtp_outage_delays_but_never_loses_a_notification(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore, clock: ManualClock
) -> None:
    """R22: a 451 leaves it queued with backoff; once SMTP is back it goes out, once."""
    queue(store)
    smtp.fail_next(451, times=2)
    assert await outbox.drain() == 0
    assert await outbox.drain() == 0  # still backing off: no hammering
    clock.advance(timedelta(minutes=1))
    assert await outbox.drain() == 0  # second 451
    clock.advance(timedelta(minutes=5))
    assert await outbox.drain() == 1
    assert len(smtp.messages) == 1
    assert outbox.backlog() == []


async def _drain_through(outbox: Outbox, clock: ManualClock, span: timedelta) -> int:
    """Drain every half hour (the longest backoff) for ``span`` of clock time; the number sent."""
    sent, waited = 0, timedelta(0)
    while waited < span:
        sent += await outbox.drain()
        clock.advance(timedelta(minutes=30))
        waited += timedelta(minutes=30)
    return sent


async def test_r22_a_day_long_smtp_outage_delays_but_never_loses_a_notification(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore, clock: ManualClock
) -> None:
    """R22: SMTP unreachable for a whole day (dozens of attempts): still queued, then sent once."""
    notify = queue(store)
    smtp.stop()
    assert await _drain_through(outbox, clock, timedelta(days=1)) == 0
    entry = store.journal_get(notify.key)
    assert entry is not None and entry.state == "pending" and entry.attempts > 25
    smtp.start()
    assert await _drain_through(outbox, clock, timedelta(hours=1)) == 1
    assert len(smtp.messages) == 1
    assert outbox.backlog() == []


async def test_a_notification_still_failing_after_the_queue_lifetime_is_given_up(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore, clock: ManualClock
) -> None:
    """Like an MTA: after five days of transient failures the entry is settled as failed."""
    notify = queue(store)
    smtp.stop()
    assert await _drain_through(outbox, clock, QUEUE_LIFETIME + timedelta(hours=1)) == 0
    entry = store.journal_get(notify.key)
    assert entry is not None and entry.state == "failed" and entry.permanent
    smtp.start()
    assert await _drain_through(outbox, clock, timedelta(hours=1)) == 0
    assert smtp.messages == []


async def test_a_permanent_refusal_marks_the_address_bounced_and_stops_mailing_it(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore
) -> None:
    """Loop guard: after a 550 the address is not mailed again; the entries are settled."""
    first = queue(store)
    smtp.fail_next(550, stage="rcpt")
    assert await outbox.drain() == 0
    assert store.is_bounced("a@c.example")
    second = queue(store, event="status:closed:y")
    assert await outbox.drain() == 0
    assert smtp.messages == []
    for notify in (first, second):
        entry = store.journal_get(notify.key)
        assert entry is not None and entry.state == "failed" and entry.permanent


def with_sent(outbox: Outbox, sent: MaildirSentFolder, store: MemoryStore | None = None) -> Outbox:
    """The same outbox (on ``store`` if given), filing copies in (and consulting) ``sent``."""
    return Outbox(
        store or outbox._store, outbox._clock, outbox._renderer, outbox._sender,
        outbox._identity, sent=sent,
    )  # fmt: skip


async def test_a_sent_notification_is_filed_in_the_sent_folder(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore, tmp_path: Path
) -> None:
    """Issue 13.2: the copy in Sent carries the very Message-ID the requester got."""
    sent = MaildirSentFolder(tmp_path / "Maildir")
    queue(store)
    assert await with_sent(outbox, sent).drain() == 1
    (message,) = smtp.messages
    copy = await sent.find(str(message["Message-ID"]))
    assert copy is not None and copy.issue_key == "SUP-7"


async def test_a_notification_the_journal_forgot_is_found_in_sent_and_not_sent_again(
    outbox: Outbox, smtp: SmtpCapture, clock: ManualClock, tmp_path: Path
) -> None:
    """Issue 13.2: the state database is lost after the email went out; the same event queued
    again in a fresh store is settled from the Sent folder's copy, and nothing is sent."""
    sent = MaildirSentFolder(tmp_path / "Maildir")
    first = MemoryStore()
    queue(first)
    assert await with_sent(outbox, sent, first).drain() == 1
    fresh = MemoryStore()  # the database deleted, or an older backup restored
    notify = queue(fresh)
    assert await with_sent(outbox, sent, fresh).drain() == 0
    assert len(smtp.messages) == 1
    entry = fresh.journal_get(notify.key)
    assert entry is not None and entry.state == "done"
    assert entry.result == str(smtp.messages[0]["Message-ID"])
    # and a reply to it still threads: the thread map learnt the id again
    assert fresh.issue_for_message(entry.result.strip("<>")) == "SUP-7"


async def test_a_sent_folder_that_cannot_be_read_delays_the_notification(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore, clock: ManualClock, tmp_path: Path
) -> None:
    """Not being able to look is not "not there": the email waits (R22) instead of risking a
    second copy, and goes out once the folder can be read."""
    sent = MaildirSentFolder(tmp_path / "Maildir")
    sent.path.mkdir(parents=True)
    blocker = sent.path / "cur"
    blocker.write_text("not a directory")  # the folder cannot be listed
    notify = queue(store)
    assert await with_sent(outbox, sent).drain() == 0
    assert smtp.messages == []
    entry = store.journal_get(notify.key)
    assert entry is not None and entry.state == "pending"
    blocker.unlink()
    clock.advance(timedelta(minutes=5))
    assert await with_sent(outbox, sent).drain() == 1
    assert len(smtp.messages) == 1


class _Fenced(Exception):
    """What a former leader's fence raises (the daemon's is leadership.FencedError)."""


async def test_a_gate_that_refuses_before_the_final_dot_commits_nothing(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore, clock: ManualClock
) -> None:
    """Issue 13.5: a leader paused mid-conversation is refused between the body and the "."
    that commits it; the server then has the whole message and delivers none of it."""
    calls: list[str] = []

    def refuse() -> None:
        calls.append("gate")
        raise _Fenced("a newer leader holds the store")

    outbox.gate = refuse
    notify = queue(store)
    with pytest.raises(_Fenced):
        await outbox.drain()
    assert calls == ["gate"]
    assert smtp.messages == []  # the connection ended without the dot: nothing accepted
    entry = store.journal_get(notify.key)
    assert entry is not None and entry.state == "pending"  # the new leader's to send
    outbox.gate = lambda: calls.append("passed")
    clock.advance(timedelta(minutes=1))  # the attempt counted: the one backoff
    assert await outbox.drain() == 1
    assert calls == ["gate", "passed"] and len(smtp.messages) == 1


async def test_a_server_that_files_what_it_accepts_is_the_record_no_kill_can_outrun(
    store: MemoryStore, clock: ManualClock, tmp_path: Path
) -> None:
    """Issue 13.5/13.2, mail.sent_copies_by = "server": the SMTP server files each accepted
    email in Sent (under a name of its own) before its 250. The bridge appends no second copy,
    and a journal that never learnt of the send (a kill right after the server took it: here a
    second store queueing the same event) finds the server's copy and sends nothing again."""
    sent = MaildirSentFolder(tmp_path / "Maildir")
    identity = OutboxIdentity("support@vendor.example", "Техподдержка", "vendor.example")
    with SmtpCapture(files_sent=sent.path) as smtp:
        sender = SmtpSender(SmtpSettings(host=smtp.host, port=smtp.port, security="none"))

        def outbox_on(on: MemoryStore) -> Outbox:
            renderer = TemplateRenderer()
            return Outbox(on, clock, renderer, sender, identity, sent=sent, server_files_sent=True)

        queue(store)
        assert await outbox_on(store).drain() == 1
        forgot = MemoryStore()
        notify = queue(forgot)
        assert await outbox_on(forgot).drain() == 0
    assert len(smtp.messages) == 1
    entry = forgot.journal_get(notify.key)
    assert entry is not None and entry.state == "done"
    assert entry.result == str(smtp.messages[0]["Message-ID"])
    (copy,) = (sent.path / "cur").iterdir()  # the server's, and no second one of ours
    assert copy.name.endswith(".smtpcapture:2,S")


def _created_by_intake(store: MemoryStore, issue: str, source: str) -> None:
    """The create of ``issue`` from mail ``source`` went through (the journal says so)."""
    key = "create:tb-1"
    store.journal_begin(key, "CreateIssue", "new:tb-1", f'{{"source_message_id": "{source}"}}', T0)
    store.journal_done(key, issue, T0)
    store.journal_rekey_issue("new:tb-1", issue)


def _registered(store: MemoryStore, at: datetime, to: str = "a@c.example") -> Notify:
    notify = Notify(
        "registered", to=to, issue="SUP-7", event="registered",
        context={"summary": "Не печатается рецепт"}, in_reply_to="<m1@c.example>",
    )  # fmt: skip
    store.journal_begin(notify.key, "notify", "SUP-7", notify_payload(notify, "SUP-7"), at)
    return notify


async def test_r12_the_acknowledgement_goes_before_a_question_queued_ahead_of_it(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore, clock: ManualClock
) -> None:
    """Fault recovery (issue 18 review): the create went through but the intake's commit did not
    yet, and the sync already saw the new issue and queued support's notice. It waits for the
    mail's own handling; once committed, «registered» goes first, then the notice."""
    _created_by_intake(store, "SUP-7", "m1@c.example")
    question = queue(store)
    queued = store.journal_get(question.key)
    clock.advance(30)
    assert await outbox.drain() == 0 and smtp.messages == []
    assert store.journal_get(question.key) == queued  # not even tried
    # the intake commits the mail and queues the acknowledgement, after the question
    store.record_message("m1@c.example", "created", at=clock.now(), issue_key="SUP-7")
    _registered(store, clock.now())
    assert await outbox.drain() == 2
    first, second = smtp.messages
    assert "зарегистрирован" in str(first["Subject"]).lower()
    assert "зарегистрирован" not in str(second["Subject"]).lower()
    assert "[SUP-7]" in str(second["Subject"])


async def test_a_notice_waits_no_longer_than_ack_first_for_a_mail_never_committed(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore, clock: ManualClock
) -> None:
    """The mail left the intake's hands (a person deleted it): the notice goes after ACK_FIRST."""
    _created_by_intake(store, "SUP-7", "m1@c.example")
    queue(store)
    clock.advance(ACK_FIRST - timedelta(seconds=1))
    assert await outbox.drain() == 0
    clock.advance(timedelta(seconds=1))
    assert await outbox.drain() == 1


async def test_a_later_notice_to_the_same_person_waits_behind_one_that_did_not_go_out(
    outbox: Outbox, smtp: SmtpCapture, store: MemoryStore, clock: ManualClock
) -> None:
    """SMTP refused the acknowledgement (a 451): the notice queued after it waits its turn, and
    another requester's mail is not held up."""
    _registered(store, T0)
    smtp.fail_next(451, times=1)
    clock.advance(1)
    queue(store)
    queue(store, event="status:awaiting_testing:y", to="b@c.example")
    assert await outbox.drain() == 1
    assert [str(m["To"]) for m in smtp.messages] == ["b@c.example"]
    clock.advance(60)
    assert await outbox.drain() == 2
    first, second = (m for m in smtp.messages if str(m["To"]) == "a@c.example")
    assert "зарегистрирован" in str(first["Subject"]).lower()
    assert "зарегистрирован" not in str(second["Subject"]).lower()
