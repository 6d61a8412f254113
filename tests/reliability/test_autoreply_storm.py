"""An auto-reply storm: 1,000 automatic mails from one address (issue 6 §7; safety rules).

In process, on the e2e harness. A doctor files a request and gets its acknowledgement; then their
mailbox answers it a thousand times — RFC 3834 ``Auto-Submitted``, ``X-Autoreply``, English and
Russian out-of-office subjects with no header at all, and delivery reports — half threaded to the
acknowledgement, half as new threads. Not one answer goes out, no issue or comment is made, every
mail is settled out of the inbox, and the doctor's next real email is still answered.
"""

from __future__ import annotations

import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.e2e.harness import DOCTOR, INTAKE, World, running_world
from tests.reliability.support import folder_files, message_id_counts
from tracker_bridge.mail.maildir_source import deliver

pytestmark = pytest.mark.slow  # a load test: a thousand files through the whole intake

STORM = 1000
WALL_LIMIT = 30.0


def _automatic(world: World, n: int, ack_id: str) -> bytes:
    """The n-th automatic mail: five kinds in turn, every other one threaded to our ack."""
    msg = EmailMessage()
    msg["From"] = DOCTOR
    msg["To"] = INTAKE
    msg["Message-ID"] = f"<storm-{n:04d}@clinic1.example>"
    msg["Date"] = format_datetime(world.clock.now())
    if n % 2 == 0:
        msg["In-Reply-To"] = ack_id
        msg["References"] = ack_id
    kind = n % 5
    if kind == 0:
        msg["Subject"] = "Re: Заявка зарегистрирована"
        msg["Auto-Submitted"] = "auto-replied"
    elif kind == 1:
        msg["Subject"] = "Re: Заявка зарегистрирована"
        msg["X-Autoreply"] = "yes"
    elif kind == 2:
        msg["Subject"] = "Out of Office: Re: Заявка зарегистрирована"
    elif kind == 3:
        msg["Subject"] = "Автоответ: Заявка зарегистрирована"
    else:
        return _bounce(msg)
    msg.set_content("Я в отпуске до понедельника. Это автоматический ответ.")
    return msg.as_bytes()


def _bounce(msg: EmailMessage) -> bytes:
    """A delivery report (RFC 3464): multipart/report with a machine-readable part."""
    msg["Subject"] = "Undelivered Mail Returned to Sender"
    msg["Return-Path"] = "<>"
    msg.set_content("The mail system could not deliver your message.")
    status = EmailMessage()
    status.set_content(
        "Reporting-MTA: dns; mx.clinic1.example\n\nFinal-Recipient: rfc822; nobody@x\n"
        "Action: failed\nStatus: 5.1.1\n"
    )
    msg.add_attachment(status)
    msg.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    return msg.as_bytes()


async def test_a_thousand_automatic_mails_get_no_answer_no_issue_and_leave_the_inbox(
    tmp_path: Path,
) -> None:
    """Safety: 1,000 auto-replies and bounces from one address → no answer, no issue, no
    comment, no loop; all settled out of the inbox within 30 s; real mail still answered."""
    async with running_world(tmp_path) as world:
        world.mail(subject="Не открывается карта", body="Логин: ivanova")
        await world.run_until(lambda: len(world.smtp.messages) == 1)
        ack_id = str(world.smtp.messages[0]["Message-ID"])
        for n in range(STORM):
            deliver(world.maildir, _automatic(world, n, ack_id))
        started = time.monotonic()
        await world.run_until(lambda: not folder_files(world.maildir), step=1.0)
        wall = time.monotonic() - started
        await world.settle()
        assert len(world.tracker.issues) == 1
        assert [c for cs in world.tracker.comments.values() for c in cs] == []
        assert len(world.smtp.messages) == 1
        assert len(folder_files(world.maildir, "Processed")) == STORM + 1
        assert folder_files(world.maildir, "Quarantine") == []
        assert wall <= WALL_LIMIT, f"the storm took {wall:.1f} s"
        world.mail(subject="Теперь не печатается рецепт", body="Логин: ivanova")
        await world.run_until(lambda: len(world.smtp.messages) == 2)
        assert len(world.tracker.issues) == 2
        assert sorted(message_id_counts(world.smtp.messages).values()) == [1, 1]
        print(f"\nauto-reply storm: {STORM} mails settled in {wall:.1f} s, 0 answers")
