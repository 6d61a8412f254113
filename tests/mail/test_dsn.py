"""Reading RFC 3464 delivery status notifications (issue 18 §3)."""

from __future__ import annotations

import pytest

from tracker_bridge.mail.dsn import MAX_REPORT, read_dsn


def _report(status: str, action: str = "failed", returned: str = "message/rfc822") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example\r\n"
        'Content-Type: multipart/report; report-type="delivery-status"; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nUndeliverable.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\n"
        "Final-Recipient: RFC822; <Doctor@Clinic.example>\r\n"
        f"Action: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 552 5.2.2 Mailbox\r\n  full\r\n\r\n"
        f"--b\r\nContent-Type: {returned}\r\n\r\n"
        "Message-ID: <tb.abc@support.example>\r\nSubject: x\r\n\r\nbody\r\n"
        "--b--\r\n"
    ).encode()


@pytest.mark.parametrize("returned", ["message/rfc822", "text/rfc822-headers"])
def test_a_full_mailbox_is_the_recipients_fault(returned: str) -> None:
    report = read_dsn(_report("5.2.2", returned=returned))
    assert report is not None and report.original_message_id == "tb.abc@support.example"
    (recipient,) = report.recipients
    assert recipient.address == "doctor@clinic.example" and recipient.recipients_fault
    assert recipient.reason == "5.2.2 smtp; 552 5.2.2 Mailbox full"


NOT_THE_ADDRESS = [("4.4.1", "delayed"), ("5.4.4", "failed"), ("5.3.0", "failed"),
                   ("2.0.0", "delivered")]  # fmt: skip


@pytest.mark.parametrize(("status", "action"), NOT_THE_ADDRESS)
def test_delays_and_the_mail_systems_own_failures_are_not(status: str, action: str) -> None:
    report = read_dsn(_report(status, action))
    assert report is not None and not report.recipients[0].recipients_fault


def test_what_is_not_a_delivery_report_reads_as_none() -> None:
    assert read_dsn(b"From: a@b.example\r\nSubject: hi\r\n\r\ntext\r\n") is None
    other = _report("5.1.1").replace(b'delivery-status"', b'disposition-notification"')
    assert read_dsn(other) is None
    assert read_dsn(_report("5.1.1") + b" " * MAX_REPORT) is None
