"""The commands against a real IMAP mailbox (a private Dovecot): check logs in, release appends."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.commands.world import STRANGER, email, msk, run_cli, write_config
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.testing.dovecot import Dovecot, MailAccount
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

_users = itertools.count(1)


@pytest.fixture(name="account")
def fixture_account(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> MailAccount:
    # Without mail.ca_file the system trust store is what the daemon uses, and OpenSSL lets
    # SSL_CERT_FILE stand in for it (tests/commands/test_tls_ca_file.py covers ca_file).
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cafile))
    return dovecot.add_user(f"cli{next(_users)}")


def imap_config(root: Path, account: MailAccount, tracker: FakeTracker, smtp: SmtpCapture) -> Path:
    config = write_config(root, tracker, smtp, extra=f'imap_password = "{account.password}"')
    source = f"imaps://{account.user}@{account.host}:{account.ssl_port}"
    config.write_text(
        config.read_text().replace(f'source = "{root / "Maildir"}"', f'source = "{source}"')
    )
    return config


def test_check_logs_in_to_imap_and_finds_the_inbox(tmp_path: Path, account: MailAccount) -> None:
    """IMAP login ✓, INBOX ✓, the processed and quarantine folders created on first use."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = imap_config(tmp_path, account, tracker, smtp)
        result = run_cli("check", "--config", str(config))
    where = f"IMAP {account.user}@{account.host}:{account.ssl_port}"
    assert f"  ✓ {where}: logged in" in result.out
    assert f"  ✓ {where}: folder 'INBOX'" in result.out
    assert f"  ✓ {where}: folder 'Quarantine' (will be created on first use)" in result.out
    assert result.code == 0, result.out


def test_release_appends_the_kept_message_to_the_imap_inbox(
    tmp_path: Path, account: MailAccount
) -> None:
    """The raw message goes back into INBOX byte for byte, and the item is marked released."""
    _, raw = email(sender=STRANGER)
    with SqliteStore(tmp_path / "state.sqlite3") as store:
        item = store.quarantine_add(
            "<x@elsewhere.example>", "imap:1:1", reason="stranger", sender=STRANGER,
            subject="Не печатается рецепт", at=msk("2026-03-02 11:00"), raw=raw,
        )  # fmt: skip
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = imap_config(tmp_path, account, tracker, smtp)
        result = run_cli("quarantine", "release", str(item), "--config", str(config))
    assert result.code == 0, result.err
    assert f"put back into INBOX on {account.host}" in result.out
    assert [m.replace(b"\r\n", b"\n") for m in account.messages("INBOX")] == [
        raw.replace(b"\r\n", b"\n")
    ]
    with SqliteStore(tmp_path / "state.sqlite3") as store:
        released = store.quarantine_get(item)
    assert released is not None and released.released
