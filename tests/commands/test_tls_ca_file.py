"""A private CA for the mail servers (issue 12.3): certificate errors named as such, ``ca_file``.

Dovecot answers STARTTLS on its plain port with a self-signed certificate; aiosmtpd offers
STARTTLS with another. Without ``mail.ca_file`` / ``smtp.ca_file`` (and without
``SSL_CERT_FILE``) ``check`` and the daemon say that the certificate is not trusted and which
setting fixes it — not "[Errno 9] Bad file descriptor"; with them, everything works.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.commands.world import email, run_cli, write_config
from tracker_bridge.config import load_settings
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.mail.source import MailSourceError
from tracker_bridge.runtime.wiring import open_bridge
from tracker_bridge.testing.dovecot import Dovecot, MailAccount
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture
from tracker_bridge.testing.waiting import eventually

_users = itertools.count(1)


@pytest.fixture(name="account")
def fixture_account(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> MailAccount:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # only ca_file may make it trusted
    return dovecot.add_user(f"tls{next(_users)}")


def config_for(
    root: Path,
    account: MailAccount,
    tracker: FakeTracker,
    smtp: SmtpCapture,
    *,
    imap_ca: Path | None = None,
    smtp_ca: Path | None = None,
) -> Path:
    """STARTTLS for both: imap:// on Dovecot's plain port, smtp.security = starttls."""
    config = write_config(root, tracker, smtp, extra=f'imap_password = "{account.password}"')
    text = config.read_text()
    mail = f'source = "imap://{account.user}@{account.host}:{account.port}"'
    if imap_ca is not None:
        mail += f'\nca_file = "{imap_ca}"'
    text = text.replace(f'source = "{root / "Maildir"}"', mail)
    secure = 'security = "starttls"'
    if smtp_ca is not None:
        secure += f'\nca_file = "{smtp_ca}"'
    config.write_text(text.replace('security = "none"', secure))
    return config


def test_check_names_an_untrusted_certificate_and_the_setting_that_fixes_it(
    tmp_path: Path, account: MailAccount
) -> None:
    with FakeTracker() as tracker, SmtpCapture(tls="starttls") as smtp:
        result = run_cli("check", "--config", str(config_for(tmp_path, account, tracker, smtp)))
    assert result.code == 1
    assert "Bad file descriptor" not in result.out
    imap = f"IMAP {account.user}@{account.host}:{account.port}"
    assert f"  ✗ {imap}: the TLS certificate of {account.host} is not trusted (" in result.out
    assert "set mail.ca_file to that CA's certificate" in result.out
    assert f"the TLS certificate of {smtp.host} is not trusted (" in result.out
    assert "set smtp.ca_file to that CA's certificate" in result.out


def test_check_passes_with_ca_files_for_a_private_ca(tmp_path: Path, account: MailAccount) -> None:
    with FakeTracker() as tracker, SmtpCapture(tls="starttls") as smtp:
        assert smtp.cert_path is not None
        config = config_for(
            tmp_path, account, tracker, smtp, imap_ca=account.cafile, smtp_ca=smtp.cert_path
        )
        result = run_cli("check", "--config", str(config))
    assert f"  ✓ IMAP {account.user}@{account.host}:{account.port}: logged in" in result.out
    assert "EHLO answered by" in result.out
    assert result.code == 0, result.out


async def test_the_daemon_reads_and_answers_over_starttls_with_its_ca_files(
    tmp_path: Path, account: MailAccount
) -> None:
    """The daemon's own connections use ca_file: the mail becomes an issue, the ack goes out
    over SMTP STARTTLS."""
    clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    with FakeTracker(clock=clock) as tracker, SmtpCapture(tls="starttls") as smtp:
        assert smtp.cert_path is not None
        config = config_for(
            tmp_path, account, tracker, smtp, imap_ca=account.cafile, smtp_ca=smtp.cert_path
        )
        account.append("INBOX", email(subject="Не печатается рецепт")[1])
        settings = load_settings(config, environ={})
        async with open_bridge(settings, clock=clock) as bridge:
            task = asyncio.create_task(bridge.daemon.run())
            try:
                await eventually(lambda: bool(smtp.messages), 2000, "acknowledged", clock=clock)
            finally:
                bridge.daemon.stop()
                await asyncio.wait_for(task, 15)
        assert list(tracker.issues) == ["SUP-1"]
        assert len(smtp.messages) == 1


async def test_the_daemon_names_an_untrusted_imap_certificate(
    tmp_path: Path, account: MailAccount
) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    with FakeTracker(clock=clock) as tracker, SmtpCapture() as smtp:
        settings = load_settings(config_for(tmp_path, account, tracker, smtp), environ={})
        async with open_bridge(settings, clock=clock) as bridge:
            with pytest.raises(MailSourceError) as caught:
                await asyncio.wait_for(bridge.source.fetch(), 10)
    assert "Bad file descriptor" not in str(caught.value)
    assert f"the TLS certificate of {account.host} is not trusted (" in str(caught.value)
