"""Issue 17.5: the window no one can close, made harmless — a kill between SMTP's acceptance of
an acknowledgment and the daemon learning of it.

The SMTP capture SIGKILLs the daemon process after it has taken the message and before it
answers 250 (a precise strike: the email is out, the journal still says pending, the copy is
not yet in the Sent folder). The restarted daemon sends it again — and the repeat is the same
email: the same deterministic Message-ID (derived from the action's idempotency key), the same
body, so mail servers (Sieve ``duplicate``) and clients can fold it. Ten strikes, ten requests:
each acknowledged twice under one identity, each request one issue, one copy each in Sent.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.harness import email
from tests.reliability.support import DaemonChild, eventually, folder_files, write_config
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

pytestmark = pytest.mark.slow

STRIKES = 10


async def _strike_ten_times(tmp_path: Path, smtp: SmtpCapture, child: DaemonChild) -> None:
    """Ten requests, each with the daemon SIGKILLed when the SMTP server has taken its
    acknowledgment and not yet answered 250 (once per email: the repeat, if any, goes through);
    then the daemon started once more."""
    struck: set[str] = set()
    running: list[int] = []  # the live daemon's pid

    def strike(message: EmailMessage) -> None:
        message_id = str(message["Message-ID"])
        if message_id not in struck:
            struck.add(message_id)
            os.kill(running[-1], signal.SIGKILL)

    smtp.on_accept = strike
    try:
        for n in range(STRIKES):
            await child.start()
            running.append(child.pid)
            _, raw = email(subject=f"Не открывается карта {n}", body=f"Карта {n}.")
            deliver(tmp_path / "Maildir", raw)
            assert await child.exit_code(within=60) == -signal.SIGKILL
        await child.start()
    finally:
        smtp.on_accept = None


async def test_an_acknowledgment_repeated_after_a_kill_in_the_window_is_the_same_email(
    tmp_path: Path,
) -> None:
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        child = DaemonChild(config, tmp_path / "daemon.log")
        try:
            await _strike_ten_times(tmp_path, smtp, child)
            await eventually(lambda: len(smtp.messages) == 2 * STRIKES, 60, "acknowledged")
            assert await child.stop() == 0
        finally:
            await child.close()
    ids = Counter(str(m["Message-ID"]) for m in smtp.messages)
    assert len(ids) == STRIKES and set(ids.values()) == {2}  # each twice, under one identity
    for message_id in ids:
        first, second = (m for m in smtp.messages if str(m["Message-ID"]) == message_id)
        assert first.as_bytes() == second.as_bytes()  # the very same email
    assert len(tracker.issues) == STRIKES
    sent_copies = folder_files(tmp_path / "Maildir", "Sent")
    assert len(sent_copies) == STRIKES  # one copy each: the record the repeat leaves


async def test_with_a_server_that_files_sent_mail_a_kill_in_the_window_repeats_nothing(
    tmp_path: Path,
) -> None:
    """Issue 13.5 (0 duplicate notifications): with ``mail.sent_copies_by = "server"`` the SMTP
    server files each message it accepts in Sent before its 250 (as Gmail, Yandex 360 and
    Exchange Online do). The same ten precise strikes — the email out, the journal pending —
    and the restarted daemon finds every one in Sent: each acknowledgment sent exactly once."""
    sent_folder = tmp_path / "Maildir" / ".Sent"
    with FakeTracker() as tracker, SmtpCapture(files_sent=sent_folder) as smtp:
        config = write_config(tmp_path, tracker, smtp)
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("[mail]\n", '[mail]\nsent_copies_by = "server"\n'))
        child = DaemonChild(config, tmp_path / "daemon.log")
        try:
            await _strike_ten_times(tmp_path, smtp, child)
            log = tmp_path / "daemon.log"
            await eventually(
                lambda: (
                    log.read_text(encoding="utf-8").count('"notification.already_sent"') == STRIKES
                ),
                60,
                "every struck acknowledgment settled from Sent",
            )
            assert await child.stop() == 0
        finally:
            await child.close()
    ids = Counter(str(m["Message-ID"]) for m in smtp.messages)
    assert len(ids) == STRIKES and set(ids.values()) == {1}  # each exactly once
    assert len(tracker.issues) == STRIKES
    copies = folder_files(tmp_path / "Maildir", "Sent")
    assert len(copies) == STRIKES  # the server's copies, and none appended by the bridge
    assert all(path.name.endswith(".smtpcapture:2,S") for path in copies)
