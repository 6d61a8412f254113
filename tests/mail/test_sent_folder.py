"""The Sent folder as the record of what was sent (issue 13.2): the same contract for a Maildir's
``.Sent`` and a real Dovecot's ``Sent`` over IMAP (``APPEND``, ``SEARCH HEADER Message-ID``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.mail.conftest import imap_settings
from tracker_bridge.mail.errors import TransientMailError
from tracker_bridge.mail.outbound import build_notification
from tracker_bridge.mail.render import RenderedMail
from tracker_bridge.mail.sent_folder import (
    ImapSentFolder,
    MaildirSentFolder,
    SentCopy,
    SentFolder,
)
from tracker_bridge.regulation.actions import Notify
from tracker_bridge.testing.dovecot import Dovecot, MailAccount

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def notification(event: str, key: str = "SUP-7") -> EmailMessage:
    """A real notification as the outbox builds it: deterministic Message-ID, key in subject."""
    notify = Notify("registered", "doc@clinic.example", key, event, {"key": key})
    rendered = RenderedMail("Заявка зарегистрирована", "Текст", None, key)
    return build_notification(
        notify, rendered, from_addr="support@vendor.example", from_name="Поддержка",
        domain="vendor.example", now=AT,
    )  # fmt: skip


def maildir_count(path: Path) -> int:
    return sum(len(list((path / s).iterdir())) for s in ("cur", "new") if (path / s).is_dir())


@pytest.fixture(name="folder", params=["maildir", "imap"])
async def fixture_folder(
    request: pytest.FixtureRequest, tmp_path: Path, account: MailAccount
) -> AsyncIterator[tuple[SentFolder, Callable[[], int]]]:
    """A Sent folder of each kind, and a count of the copies in it read from outside."""
    folder: SentFolder
    if request.param == "maildir":
        maildir = MaildirSentFolder(tmp_path / "Maildir", "Sent")
        folder = maildir
        count = lambda: sum(  # noqa: E731
            len(list((maildir.path / s).iterdir()))
            for s in ("cur", "new")
            if (maildir.path / s).is_dir()
        )
    else:
        folder = ImapSentFolder(imap_settings(account), "Sent")
        count = lambda: len(account.messages("Sent"))  # noqa: E731
    yield folder, count
    await folder.close()


async def test_a_kept_copy_is_found_by_its_message_id_with_its_issue(
    folder: tuple[SentFolder, Callable[[], int]],
) -> None:
    sent, count = folder
    message = notification("created")
    assert await sent.find(str(message["Message-ID"])) is None  # the folder does not exist yet
    await sent.keep(message)
    bare = str(message["Message-ID"]).strip("<>")
    assert await sent.find(str(message["Message-ID"])) == SentCopy(bare, "SUP-7")
    assert await sent.find(bare) == SentCopy(bare, "SUP-7")  # bare or bracketed alike
    assert await sent.find(str(notification("other")["Message-ID"])) is None
    assert count() == 1


async def test_copies_are_told_apart_exactly(folder: tuple[SentFolder, Callable[[], int]]) -> None:
    """Many copies: each id finds its own (no prefix or substring confusion)."""
    sent, count = folder
    messages = [notification(f"status:{n}", key=f"SUP-{n}") for n in range(1, 6)]
    for message in messages:
        await sent.keep(message)
    for n, message in enumerate(messages, start=1):
        copy = await sent.find(str(message["Message-ID"]))
        assert copy is not None and copy.issue_key == f"SUP-{n}"
    assert count() == 5


async def test_a_copy_whose_flags_a_mail_client_changed_is_still_found(tmp_path: Path) -> None:
    """Maildir: a client marking the copy (flags in the file name) does not hide it."""
    sent = MaildirSentFolder(tmp_path / "Maildir")
    message = notification("created")
    await sent.keep(message)
    (copy,) = (sent.path / "cur").iterdir()
    copy.rename(copy.with_name(copy.name.replace(":2,S", ":2,FS")))
    assert await sent.find(str(message["Message-ID"])) is not None


async def test_an_unreachable_imap_server_is_a_transient_failure(own_dovecot: Dovecot) -> None:
    """The outbox must not take "could not look" for "not there": it is an outage."""
    account = own_dovecot.add_user("sentuser")
    sent = ImapSentFolder(imap_settings(account), "Sent")
    try:
        await sent.keep(notification("created"))
        own_dovecot.stop(kill=True)
        with pytest.raises(TransientMailError):
            await sent.find(str(notification("created")["Message-ID"]))
        own_dovecot.start()
        assert await sent.find(str(notification("created")["Message-ID"])) is not None
    finally:
        await sent.close()
