"""The installed package against the fakes it ships (.ci/wheel).

Run with the python of a venv holding the wheel and its [testing] extra, from outside the
checkout, and given the `tracker-bridge` command of a venv holding the wheel alone: FakeTracker,
FakeTelegram, the SMTP capture and a Maildir come from the installed package, a configuration
points at them, then the bare install's `tracker-bridge check` must pass every line and its
`tracker-bridge run` must answer /healthz and stop cleanly on SIGTERM. Exits non-zero otherwise.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import tracker_bridge
from tracker_bridge.mail.maildir_source import ensure_maildir
from tracker_bridge.testing.config import loopback_config, toml_text
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture, free_port

CLINIC = {
    "name": "clinic-one",
    "intake_addresses": ["clinic1@support.example"],
    "allowed_domains": ["clinic1.example"],
    "queue": "SUP",
}
BOT_TOKEN = "123456:wheel-check-token"  # noqa: S105 - the fake Bot API's
READY_WITHIN = 60.0  # seconds for a daemon on a busy CI machine to answer /healthz


def from_venv(module_file: str) -> bool:
    return Path(module_file).resolve().is_relative_to(Path(sys.prefix).resolve())


def check(command: Path, config: Path) -> bool:
    done = subprocess.run(
        [str(command), "check", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=config.parent,
    )
    sys.stdout.write(done.stdout + done.stderr)
    return done.returncode == 0 and done.stdout.endswith("All checks passed.\n")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def run_daemon(command: Path, config: Path, port: int) -> bool:
    daemon = subprocess.Popen(
        [str(command), "run", "--config", str(config)],
        cwd=config.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + READY_WITHIN
    ready = False
    while time.monotonic() < deadline and daemon.poll() is None:
        if healthy(port):
            ready = True
            break
        time.sleep(0.2)
    daemon.send_signal(signal.SIGTERM)
    try:
        _, err = daemon.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        daemon.kill()
        _, err = daemon.communicate()
    sys.stdout.write(f"run: /healthz {'answered' if ready else 'never answered'}, "
                     f"exit {daemon.returncode} after SIGTERM\n")  # fmt: skip
    if not ready or daemon.returncode != 0:
        sys.stderr.write(err[-4000:])
    return ready and daemon.returncode == 0


def main(command: Path) -> int:
    if not from_venv(tracker_bridge.__file__):
        sys.stderr.write(f"tracker_bridge comes from {tracker_bridge.__file__}, not {sys.prefix}\n")
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        ensure_maildir(root / "Maildir")
        port = free_port()
        with FakeTracker() as tracker, SmtpCapture() as smtp, FakeTelegram() as telegram:
            config = root / "tracker-bridge.toml"
            data = loopback_config(
                root, tracker, smtp, telegram, customer=CLINIC,
                from_address="robot@support.example", bot_token=BOT_TOKEN,
            )  # fmt: skip
            data["metrics_listen"] = f"127.0.0.1:{port}"
            config.write_text(toml_text(data), encoding="utf-8")
            checked = check(command, config)
            ran = checked and run_daemon(command, config, port)
    if not (checked and ran):
        sys.stderr.write("the installed package failed against the fakes\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
