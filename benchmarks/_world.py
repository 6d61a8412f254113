"""Shared setup for the daemon benchmarks: the loopback fakes, a config pointing at them, emails.

The same parts the end-to-end tests use (FakeTracker over real HTTP, aiosmtpd, SQLite, a
Maildir or a private Dovecot), wired by :func:`tracker_bridge.runtime.wiring.open_bridge` from a
complete :class:`~tracker_bridge.config.Settings`, so a benchmark measures the bridge as shipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tracker_bridge.config import Settings
from tracker_bridge.testing.config import loopback_config, toml_text
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.fake_tracker.state import NowClock
from tracker_bridge.testing.mails import clinic_email
from tracker_bridge.testing.smtp import SmtpCapture

__all__ = [
    "CLINIC",
    "INTAKE",
    "MSK",
    "UNIT",
    "config_data",
    "email",
    "fakes",
    "settings_for",
    "toml_text",
    "unit_environment",
]

MSK = ZoneInfo("Europe/Moscow")
UNIT = Path(__file__).resolve().parent.parent / "systemd" / "tracker-bridge.service"
INTAKE = "clinic1@support.example"
DOMAIN = "clinic1.example"
CLINIC = {
    "name": "clinic-one",
    "intake_addresses": [INTAKE],
    "allowed_domains": [DOMAIN],
    "queue": "SUP",
    "departments": ["Терапия", "Хирургия"],
}


@contextmanager
def fakes(clock: NowClock | None = None) -> Iterator[tuple[FakeTracker, SmtpCapture]]:
    """A running FakeTracker (on ``clock``) and SMTP capture; both stopped on exit."""
    with ExitStack() as stack:
        tracker = stack.enter_context(FakeTracker(clock=clock))
        smtp = stack.enter_context(SmtpCapture())
        yield tracker, smtp


def config_data(
    root: Path,
    tracker: FakeTracker,
    smtp: SmtpCapture,
    *,
    source: str | None = None,
    imap_password: str | None = None,
) -> dict[str, Any]:
    """A complete configuration: one customer, the fakes, a Maildir under ``root`` by default."""
    data = loopback_config(
        root, tracker, smtp, None, customer=CLINIC, from_address="robot@support.example"
    )
    data["mail"]["source"] = source or data["mail"]["source"]
    if imap_password is not None:
        data["imap_password"] = imap_password
        # the default done folder, "INBOX.Processed", needs a "." hierarchy separator; the
        # private Dovecot uses "/" and refuses "." in a name
        data["mail"]["folders"] = {"done": "Processed"}
    return data


def settings_for(
    root: Path, tracker: FakeTracker, smtp: SmtpCapture, **options: str | None
) -> Settings:
    """:func:`config_data` validated into Settings."""
    return Settings.model_validate(config_data(root, tracker, smtp, **options))


def email(n: int, *, when: datetime | None = None, tag: str = "bench") -> bytes:
    """Request number ``n`` from its own doctor at the clinic: a new issue each."""
    return clinic_email(
        subject=f"Не печатается рецепт {n} - Терапия",
        body=f"При нажатии «Печать» ничего не происходит ({n}).\nЛогин: user{n}\n",
        sender=f"doctor{n}@{DOMAIN}", to=INTAKE, when=when or datetime(2026, 3, 2, 12, tzinfo=MSK),
        message_id=f"<{tag}-{n}@{DOMAIN}>", authentication=None,
    )[1]  # fmt: skip


def unit_environment(unit: Path = UNIT) -> dict[str, str]:
    """The variables the shipped systemd unit sets (its ``Environment=`` lines), so a benchmark
    can run the daemon's process as the service runs it."""
    found: dict[str, str] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        if line.startswith("Environment="):
            for assignment in line.removeprefix("Environment=").split():
                name, _, value = assignment.partition("=")
                found[name] = value
    return found
