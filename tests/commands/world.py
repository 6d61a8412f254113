"""A configuration file in tmp_path pointing at the loopback fakes, and emails to feed it."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from tracker_bridge import cli
from tracker_bridge.testing.config import loopback_config, toml_text
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.mails import clinic_email
from tracker_bridge.testing.smtp import SmtpCapture

MSK = ZoneInfo("Europe/Moscow")
INTAKE = "clinic1@support.example"
DOCTOR = "doctor@clinic1.example"
STRANGER = "someone@elsewhere.example"


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


def run_to_exit(
    config: Path, *, prefix: Sequence[str] = (), within: float = 30
) -> subprocess.CompletedProcess[str]:
    """``tracker-bridge run`` in its own process, as systemd starts it, until it exits."""
    command = [*prefix, sys.executable, "-m", "tracker_bridge", "run", "--config", str(config)]
    return subprocess.run(command, capture_output=True, text=True, timeout=within, check=False)


CLINIC_ONE = {
    "name": "clinic-one",
    "intake_addresses": [INTAKE],
    "allowed_domains": ["clinic1.example"],
    "queue": "SUP",
    "departments": ["Терапия"],
}


def write_config(
    root: Path,
    tracker: FakeTracker,
    smtp: SmtpCapture,
    *,
    telegram: FakeTelegram | None = None,
    metrics_port: int = 9464,
    extra: str = "",
) -> Path:
    """A complete TOML configuration; the Maildir is root/Maildir, the store root/state.sqlite3;
    ``extra``: top-level TOML lines of the test's own."""
    data = loopback_config(
        root, tracker, smtp, telegram, customer=CLINIC_ONE, from_address="robot@support.example",
        bot_token="123456:cli-test-token", users={501: "ivanov"},
    )  # fmt: skip
    data["metrics_listen"] = f"127.0.0.1:{metrics_port}"
    path = root / "tracker-bridge.toml"
    path.write_text(f"{extra}\n{toml_text(data)}", encoding="utf-8")
    return path


# (Message-ID, raw bytes) of a plain email from a clinic, with no Authentication-Results (a
# test adds the verdict it needs)
email = partial(
    clinic_email, subject="Не печатается рецепт", body="При нажатии «Печать» ничего не происходит.",
    sender=DOCTOR, to=INTAKE, when=msk("2026-03-02 11:00"), id_domain="clinic1.example",
    authentication=None,
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def run_cli(*argv: str) -> Outcome:
    """``tracker-bridge ARGV`` in this process; its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
    return Outcome(code, out.getvalue(), err.getvalue())
