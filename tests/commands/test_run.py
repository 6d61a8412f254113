"""``tracker-bridge run`` as systemd starts it: a process, a notify socket, signals, exit codes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.commands.world import email, write_config
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.store.instance import EX_ANOTHER_INSTANCE, InstanceLock
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture, free_port


def wait_for(done: Callable[[], bool], within: float, what: str) -> None:
    """Poll a real process's effect (not business time) until ``done()``, or fail."""
    limit = time.monotonic() + within
    while not done():
        if time.monotonic() > limit:
            raise AssertionError(f"not within {within} s: {what}")
        time.sleep(0.05)


class Manager:
    """The service manager's end of $NOTIFY_SOCKET: every datagram the daemon sent."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock, self.lines = sock, list[str]()

    def received(self) -> list[str]:
        while True:
            try:
                self.lines += self._sock.recv(4096).decode().splitlines()
            except BlockingIOError:
                return self.lines


@pytest.fixture(name="manager")
def fixture_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Manager, str]]:
    path = str(tmp_path_factory.mktemp("sd") / "notify.sock")  # AF_UNIX paths are short
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.setblocking(False)
        yield Manager(sock), path


def start(config: Path, notify: str, root: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_BRIDGE_")}
    env |= {"NOTIFY_SOCKET": notify, "WATCHDOG_USEC": "400000"}
    with (root / "daemon.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "tracker_bridge", "run", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )


def test_run_is_ready_turns_mail_into_an_issue_serves_metrics_and_stops_on_sigterm(
    tmp_path: Path, manager: tuple[Manager, str]
) -> None:
    """READY=1 when loops run; a mail becomes an issue (R1); SIGTERM → STOPPING=1, exit 0."""
    sd, notify = manager
    port = free_port()
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp, metrics_port=port)
        process = start(config, notify, tmp_path)
        try:
            wait_for(lambda: "READY=1" in sd.received(), 20, "READY=1")
            deliver(tmp_path / "Maildir", email(subject="Не печатается рецепт")[1])
            wait_for(lambda: len(tracker.issues) == 1, 15, "an issue from the mail")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                assert b"tracker_bridge_build_info" in answer.read()
            wait_for(lambda: "WATCHDOG=1" in sd.received(), 5, "a watchdog ping")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert "STOPPING=1" in sd.received()
        (issue,) = tracker.issues.values()
        assert issue.summary == "Не печатается рецепт"


def test_run_with_a_bad_config_exits_78_and_names_the_key(tmp_path: Path) -> None:
    """A configuration error is EX_CONFIG (78, no restart loop) and says which key is wrong."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        bad = 'template_dir = "/nonexistent/templates"'
        config = write_config(tmp_path, tracker, smtp, extra=bad)
    result = subprocess.run(
        [sys.executable, "-m", "tracker_bridge", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 78
    assert "template_dir" in result.stderr


def test_run_exits_1_when_the_daemon_cannot_start(tmp_path: Path) -> None:
    """The store cannot be opened: a crash (exit 1, systemd restarts), logged as such."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        store = str(tmp_path / "state.sqlite3")
        config.write_text(config.read_text().replace(store, str(tmp_path / "gone" / "x.sqlite3")))
        result = subprocess.run(
            [sys.executable, "-m", "tracker_bridge", "run", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert '"event": "daemon.crashed"' in result.stdout
    assert "cannot open the store" in result.stdout
    assert tracker.token not in result.stdout


def test_run_refuses_with_75_and_one_line_while_another_daemon_holds_the_store(
    tmp_path: Path,
) -> None:
    """Issue 13.1: ``tracker-bridge run`` next to an active daemon (here: its lock, held by this
    test process) exits 75 with one line naming it, and touches nothing."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        deliver(tmp_path / "Maildir", email(subject="Не печатается рецепт")[1])
        with InstanceLock(tmp_path / "state.sqlite3") as held:
            held.acquire(since=datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
            result = subprocess.run(
                [sys.executable, "-m", "tracker_bridge", "run", "--config", str(config)],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
        assert tracker.issues == {}
    assert result.returncode == EX_ANOTHER_INSTANCE == 75
    assert result.stderr.strip().splitlines() == [
        f"tracker-bridge: another daemon is already active on the store "
        f"{tmp_path / 'state.sqlite3'} (pid {os.getpid()} on {socket.gethostname()} "
        f"since 2026-12-07T08:00:00.000000+00:00); refusing to start a second one"
    ]
    assert not (tmp_path / "state.sqlite3").exists()  # the store was never opened
