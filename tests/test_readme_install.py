"""The README's install steps, run in order on a fresh host, succeed (issue 12, "Done means").

The steps are read from README.md's "## Install" block and run as written, one by one, with
``bash`` — the only changes are where they land: an empty directory stands for the host's root
(``/opt``, ``/etc``, ``/var/lib`` under it) and ``/path/to/tracker-bridge`` is this checkout.
The steps an operator does by hand (the comment lines: edit the configuration, write the
credentials) are done here against the loopback world: FakeTracker, FakeTelegram, an SMTP server
with STARTTLS and AUTH, and a private Dovecot over STARTTLS with its own CA (``mail.ca_file``).
``systemctl`` has no systemd to talk to here, so ``daemon-reload`` verifies the installed unit
with ``systemd-analyze verify`` and ``enable --now`` starts what the unit would start: its
``ExecStart=`` in its ``Environment=``, with ``StateDirectory=`` created and
``$STATE_DIRECTORY`` set, each ``LoadCredential=`` file copied into a private
``$CREDENTIALS_DIRECTORY`` (a missing one refuses the start, as systemd does), and
``$NOTIFY_SOCKET`` listened to for ``READY=1``. Then a mail sent to the mailbox must become an
issue, ``/healthz`` must answer 200, and SIGTERM must stop the daemon cleanly.

Slow (the ``pip install`` of the checkout into a fresh venv is most of it).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.commands.world import INTAKE, email
from tests.mail.conftest import start_dovecot
from tests.test_systemd_unit import settings as unit_settings
from tracker_bridge.testing.dovecot import Dovecot, MailAccount
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture, free_port
from tracker_bridge.testing.waiting import eventually_blocking

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
SMTP_USER, SMTP_PASSWORD = "robot@support.example", "smtp-secret"
BOT_TOKEN = "123456:readme-install"
CHAT = -100500

pytestmark = pytest.mark.slow


def install_steps() -> list[str]:
    """The README's install block: commands (continuations joined) and comment lines."""
    block = README.read_text(encoding="utf-8").split("## Install", 1)[1]
    code = block.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.strip() for line in code.replace("\\\n", " ").splitlines() if line.strip()]


@dataclass
class Host:
    """A fresh host under ``root`` and the loopback world around it."""

    root: Path
    tracker: FakeTracker
    telegram: FakeTelegram
    smtp: SmtpCapture
    account: MailAccount
    metrics_port: int
    notify: socket.socket
    notify_path: str
    daemon: subprocess.Popen[bytes] | None = None

    def mapped(self, text: str) -> str:
        """A path or command of the README as it lands on this host."""
        text = text.replace("/path/to/tracker-bridge", str(ROOT))
        for top in ("/opt/", "/etc/", "/var/lib/"):
            text = re.sub(rf"(?<![\w./]){re.escape(top)}", f"{self.root}{top}", text)
        return text.replace(":9464", f":{self.metrics_port}")

    def run(self, step: str) -> None:
        """One line of the README, as written (with its paths on this host)."""
        if step.startswith("#"):
            self.by_hand(step)
        elif step == "systemctl daemon-reload":
            self.verify_unit()
        elif step == "systemctl enable --now tracker-bridge":
            self.start_unit()
        elif step.startswith("curl "):
            self.healthz(self.mapped(step))
        else:
            done = subprocess.run(
                ["bash", "-c", self.mapped(step)], cwd=ROOT, capture_output=True, text=True,
                timeout=600, check=False, env=_env(),
            )  # fmt: skip
            assert done.returncode == 0, f"README step failed: {step}\n{done.stdout}{done.stderr}"

    # --- what the operator does by hand -------------------------------------------------
    def by_hand(self, comment: str) -> None:
        if "edit it" in comment and "CHANGE-ME" in comment:
            self.configure()
        elif "one file per secret" in comment:
            self.credentials()
        else:
            raise AssertionError(f"the README asks for a step this test does not know: {comment}")

    def configure(self) -> None:
        config = self.root / "etc/tracker-bridge/tracker-bridge.toml"
        assert "CHANGE-ME" in config.read_text(encoding="utf-8"), "the example was not copied"
        assert self.smtp.cert_path is not None
        config.write_text(
            CONFIG.format(
                org_id=self.tracker.org_id, tracker_url=self.tracker.url,
                user=self.account.user, host=self.account.host, port=self.account.port,
                imap_ca=self.account.cafile, smtp_host=self.smtp.host, smtp_port=self.smtp.port,
                smtp_ca=self.smtp.cert_path, smtp_user=SMTP_USER, telegram=self.telegram.url,
                intake=INTAKE, chat=CHAT, metrics_port=self.metrics_port,
            ),
            encoding="utf-8",
        )  # fmt: skip

    def credentials(self) -> None:
        directory = self.root / "etc/tracker-bridge/credentials"
        assert directory.is_dir() and (directory.stat().st_mode & 0o777) == 0o700
        secrets = {
            "tracker_token": self.tracker.token,
            "imap_password": self.account.password,
            "smtp_password": SMTP_PASSWORD,
            "telegram_bot_token": BOT_TOKEN,
        }
        for name, value in secrets.items():
            path = directory / name
            path.write_text(value)
            path.chmod(0o600)

    # --- what systemd does ---------------------------------------------------------------
    def unit(self) -> list[tuple[str, str, str]]:
        path = self.root / "etc/systemd/system/tracker-bridge.service"
        return unit_settings(path.read_text(encoding="utf-8"))

    def verify_unit(self) -> None:
        installed = self.root / "etc/systemd/system/tracker-bridge.service"
        copy = self.root / "verify" / installed.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_text(self.mapped(installed.read_text(encoding="utf-8")))
        done = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", str(copy)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert (done.returncode, done.stdout + done.stderr) == (0, "")

    def start_unit(self) -> None:
        service = [(k, v) for section, k, v in self.unit() if section == "Service"]
        env = {"PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": self.notify_path}
        for key, value in service:
            if key == "Environment":
                env |= {name: val for name, _, val in (a.partition("=") for a in value.split())}
        state = self.root / "var/lib/tracker-bridge"
        state.mkdir(parents=True, mode=0o700, exist_ok=True)
        env["STATE_DIRECTORY"] = str(state)
        creds = self.root / "run/credentials/tracker-bridge.service"
        creds.mkdir(parents=True, mode=0o700)
        for key, value in service:
            if key == "LoadCredential" and value:
                name, _, source = value.partition(":")
                origin = Path(self.mapped(source))
                assert origin.is_file(), f"systemd would refuse: status=243/CREDENTIALS ({source})"
                shutil.copyfile(origin, creds / name)
                (creds / name).chmod(0o400)
        env["CREDENTIALS_DIRECTORY"] = str(creds)
        [exec_start] = [v for k, v in service if k == "ExecStart"]
        with (self.root / "daemon.log").open("wb") as log:  # the child keeps its own copy
            self.daemon = subprocess.Popen(
                shlex.split(self.mapped(exec_start)), env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.wait(lambda: "READY=1" in self.notifications(), 60, "READY=1")

    def notifications(self) -> str:
        lines = []
        while True:
            try:
                lines.append(self.notify.recv(4096).decode())
            except BlockingIOError:
                break
        self._seen = getattr(self, "_seen", "") + "".join(lines)
        return self._seen

    def healthz(self, command: str) -> None:
        url = command.rsplit(maxsplit=1)[-1]
        self.wait(lambda: _status(url) == 200, 60, f"{url} answering 200")

    def wait(self, done: Callable[[], bool], within: float, what: str) -> None:
        eventually_blocking(done, within, what, alive=self._daemon_running)

    def _daemon_running(self) -> None:
        if self.daemon is not None and self.daemon.poll() is not None:
            log = (self.root / "daemon.log").read_text(errors="replace")
            raise AssertionError(f"the daemon exited ({self.daemon.returncode}):\n{log[-3000:]}")


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
            return int(response.status) if body["status"] == "ok" else None
    except OSError:
        return None


def _env() -> dict[str, str]:
    """The shell of a root login: no venv, no TRACKER_BRIDGE_* of the test run."""
    keep = ("PATH", "HOME", "LANG", "PIP_", "SSL_CERT_FILE")
    env = {k: v for k, v in os.environ.items() if k.startswith(keep)}
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if "/.venv/" not in p)
    return env


@pytest.fixture(name="dovecot")
def fixture_dovecot() -> Iterator[Dovecot]:
    dc = start_dovecot()
    yield dc
    dc.close()


def test_the_readme_install_steps_work_in_order_on_a_fresh_host(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    steps = install_steps()
    assert steps[0].startswith("python3 -m venv") and steps[-2].startswith("systemctl enable")
    notify_path = str(tmp_path / "notify")
    with (
        FakeTracker() as tracker,
        FakeTelegram() as telegram,
        SmtpCapture(auth=(SMTP_USER, SMTP_PASSWORD), tls="starttls") as smtp,
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify,
    ):
        telegram.add_chat(CHAT, "Клиника — поддержка")
        notify.bind(notify_path)
        notify.setblocking(False)
        host = Host(
            tmp_path / "host", tracker, telegram, smtp, dovecot.account, free_port(), notify,
            notify_path,
        )  # fmt: skip
        for skeleton in ("etc/systemd/system", "var/lib", "run", "opt"):  # a Debian host's own
            (host.root / skeleton).mkdir(parents=True)
        try:
            for step in steps:
                host.run(step)
            _, raw = email(subject="Не печатается рецепт")
            dovecot.account.append("INBOX", raw)
            host.wait(lambda: bool(tracker.issues), 60, "the mail became an issue")
            host.wait(lambda: bool(smtp.messages), 60, "the acknowledgement was sent")
        finally:
            if host.daemon is not None:
                host.daemon.send_signal(signal.SIGTERM)
                code = host.daemon.wait(timeout=30)
        assert code == 0
    assert [i.summary for i in tracker.issues.values()] == ["Не печатается рецепт"]
    assert (host.root / "var/lib/tracker-bridge/state.sqlite3").is_file()


CONFIG = """\
metrics_listen = "127.0.0.1:{metrics_port}"

[tracker]
org_id = "{org_id}"
base_url = "{tracker_url}"

[mail]
source = "imap://{user}@{host}:{port}"
ca_file = "{imap_ca}"

[smtp]
host = "{smtp_host}"
port = {smtp_port}
security = "starttls"
username = "{smtp_user}"
from_address = "robot@support.example"
ca_file = "{smtp_ca}"

[telegram]
enabled = true
base_url = "{telegram}/bot"

[[customers]]
name = "clinic-one"
intake_addresses = ["{intake}"]
allowed_domains = ["clinic1.example"]
queue = "SUP"
telegram_chat_id = {chat}
departments = ["Терапия"]
"""
