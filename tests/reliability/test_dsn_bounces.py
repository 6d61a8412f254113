"""Inbound delivery status notifications for our own emails (issue 18 §3): a recipient's own
permanent failure reported in a DSN suppresses that address — visibly and reversibly — and
nothing else does (a delay, a routing failure, a report about mail we never sent).

Through the whole daemon: the acknowledgement goes out over SMTP, its DSN arrives in the
support mailbox like any mail (RFC 3464 ``multipart/report``, as Postfix writes one), and the
next notification to that address is not sent.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from tests.e2e.harness import DOCTOR, INTAKE, World, running_world


def _dsn(world: World, returned: EmailMessage, recipient: str, status: str, action: str) -> bytes:
    """A Postfix-style DSN for ``returned`` (sent to ``recipient``), to the support mailbox."""
    headers = "".join(
        f"{name}: {returned[name]}\r\n"
        for name in ("From", "To", "Subject", "Message-ID", "Date")
        if returned[name] is not None
    )
    boundary = f"dsn-{status}-{len(world.folder(''))}"
    text = (
        "From: MAILER-DAEMON@mx.clinic1.example (Mail Delivery System)\r\n"
        f"To: {INTAKE}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        f"Message-ID: <{boundary}.{recipient}@mx.clinic1.example>\r\n"
        f"Date: {format_datetime(world.clock.now())}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mx.clinic1.example.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.clinic1.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"{headers}"
        f"\r\n--{boundary}--\r\n"
    )
    return text.encode("utf-8")


async def _acknowledged(world: World) -> EmailMessage:
    world.mail(subject="Не открывается карта", body="Логин: ivanova")
    await world.run_until(lambda: bool(world.mails_to(DOCTOR)), limit=120.0)
    return world.mails_to(DOCTOR)[0]


async def test_a_dsn_for_an_unknown_user_suppresses_the_address_visibly_and_reversibly(
    tmp_path: Path,
) -> None:
    """5.1.1 in a DSN for our acknowledgement: the address is suppressed (listed with the
    status), the next notice to it is not sent, the DSN opens no request; `suppressions lift`
    mails it again."""
    async with running_world(tmp_path, production=True) as world:
        ack = await _acknowledged(world)
        world.deliver(_dsn(world, ack, DOCTOR, "5.1.1", "failed"))
        await world.run_until(lambda: world.bridge.store.is_bounced(DOCTOR), limit=120.0)
        (row,) = world.bridge.store.bounced()
        assert row[0] == DOCTOR and "5.1.1" in row[1]
        await world.settle(60.0, step=5.0)
        assert list(world.tracker.issues) == ["SUP-1"]  # the report opened nothing
        world.tracker.transition("SUP-1", "start_progress", by="ivanov")
        await world.settle(120.0, step=5.0)
        assert len(world.mails_to(DOCTOR)) == 1  # «taken into work» is not sent to it

        # `suppressions lift` (its CLI is tested in test_smtp_server_errors): mailed again
        assert world.bridge.store.lift_bounce(DOCTOR)
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Уточните логин")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2, limit=300.0)


async def test_a_delay_or_a_routing_failure_or_a_stranger_report_suppresses_nobody(
    tmp_path: Path,
) -> None:
    """4.4.1 delayed, 5.4.4 unroutable (the mail system's, not the address's), and a 5.1.1
    about a Message-ID we never sent: no address is suppressed."""
    async with running_world(tmp_path, production=True) as world:
        ack = await _acknowledged(world)
        world.deliver(_dsn(world, ack, DOCTOR, "4.4.1", "delayed"))
        world.deliver(_dsn(world, ack, DOCTOR, "5.4.4", "failed"))
        stranger = EmailMessage()
        stranger["Message-ID"] = "<someone-else@mail.example>"
        stranger["To"] = DOCTOR
        world.deliver(_dsn(world, stranger, DOCTOR, "5.1.1", "failed"))
        await world.run_until(lambda: not world.folder(""), limit=120.0)
        await world.settle(30.0, step=5.0)
        assert world.bridge.store.bounced() == []
        assert list(world.tracker.issues) == ["SUP-1"]
