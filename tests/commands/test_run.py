"""``tracker-bridge run`` as systemd starts it: a process, a notify socket, signals, exit codes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.commands.world import email, run_to_exit, write_config
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.store.instance import EX_ANOTHER_INSTANCE, InstanceLock
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.postgres import PostgresCluster
from tracker_bridge.testing.smtp import SmtpCapture, free_port
from tracker_bridge.testing.waiting import eventually_blocking  # a real process: real time


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
            eventually_blocking(lambda: "READY=1" in sd.received(), 20, "READY=1")
            deliver(tmp_path / "Maildir", email(subject="Не печатается рецепт")[1])
            eventually_blocking(lambda: len(tracker.issues) == 1, 15, "an issue from the mail")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                assert b"tracker_bridge_build_info" in answer.read()
            eventually_blocking(lambda: "WATCHDOG=1" in sd.received(), 5, "a watchdog ping")
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
    result = run_to_exit(config)
    assert result.returncode == 78
    assert "template_dir" in result.stderr


def test_run_exits_1_when_the_daemon_cannot_start(tmp_path: Path) -> None:
    """The store is not a database: a crash (exit 1, systemd restarts), logged as such."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        (tmp_path / "state.sqlite3").write_bytes(b"this is not a database\n" * 200)
        result = run_to_exit(config)
    assert result.returncode == 1
    assert '"event": "daemon.crashed"' in result.stdout
    assert "not a database" in result.stdout
    assert tracker.token not in result.stdout


def test_run_creates_a_missing_state_directory(
    tmp_path: Path, manager: tuple[Manager, str]
) -> None:
    """Outside systemd nobody else creates it: run makes it (0700) and starts."""
    sd, notify = manager
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp, metrics_port=free_port())
        store = tmp_path / "state" / "tracker-bridge" / "state.sqlite3"
        config.write_text(config.read_text().replace(str(tmp_path / "state.sqlite3"), str(store)))
        process = start(config, notify, tmp_path)
        try:
            eventually_blocking(lambda: "READY=1" in sd.received(), 20, "READY=1")
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
    assert store.is_file()
    assert (store.parent.stat().st_mode & 0o777) == 0o700


def test_run_with_an_unwritable_state_directory_exits_78_naming_it(tmp_path: Path) -> None:
    """Issue 12.3: not a traceback and exit 1 (five restarts), but one line naming the path and
    EX_CONFIG. The directory is read-only (0555); as root the daemon runs without capabilities
    (setpriv), so root's DAC override does not write through it."""
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o555)
    unprivileged = (
        ["setpriv", "--bounding-set=-all", "--inh-caps=-all"] if os.geteuid() == 0 else []
    )
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        store = str(tmp_path / "state.sqlite3")
        config.write_text(config.read_text().replace(store, str(state / "state.sqlite3")))
        result = run_to_exit(config, prefix=unprivileged)
    assert result.returncode == 78, result.stderr + result.stdout
    assert result.stderr.splitlines() == [
        f"tracker-bridge: the state directory {state} is not writable by uid {os.geteuid()}"
    ]
    assert result.stdout == ""  # nothing logged, nothing started


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
            result = run_to_exit(config)
        assert tracker.issues == {}
    assert result.returncode == EX_ANOTHER_INSTANCE == 75
    assert result.stderr.strip().splitlines() == [
        f"tracker-bridge: another daemon is already active on the store "
        f"{tmp_path / 'state.sqlite3'} (pid {os.getpid()} on {socket.gethostname()} "
        f"since 2026-12-07T08:00:00.000000+00:00); refusing to start a second one"
    ]
    assert not (tmp_path / "state.sqlite3").exists()  # the store was never opened


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:  # between the standby's endpoint and the leader's: nobody answers
        return 0, "{}"


def test_run_on_postgresql_a_standby_is_started_for_systemd_and_says_so(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresCluster
) -> None:
    """Issue 13.5 under systemd: the second ``tracker-bridge run`` on a PostgreSQL store waits
    as a standby — READY=1 with a STATUS naming the leader, watchdog pings, ``/healthz`` 200
    ``standby`` and ``tracker_bridge_role{role="standby"} 1`` — so the unit is active rather
    than timed out; when the leader stops it leads: ``/healthz`` and the metrics say active."""
    url = postgres.create_database()
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        roots, ports, processes, managers = [], [], [], []
        for name in ("a", "b"):
            root = tmp_path_factory.mktemp(name)
            port = free_port()
            config = write_config(root, tracker, smtp, metrics_port=port)
            config.write_text(f'store_url = "{url}"\n' + config.read_text(encoding="utf-8"))
            sock_dir = tmp_path_factory.mktemp(f"sd{name}")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(str(sock_dir / "n.sock"))
            sock.setblocking(False)
            roots.append(root)
            ports.append(port)
            managers.append(Manager(sock))
            processes.append((config, str(sock_dir / "n.sock"), sock))

        def drained(done: Callable[[], bool]) -> Callable[[], bool]:
            """``done``, reading both notify sockets first: an unread one (its queue is ten
            datagrams) would block its daemon's next sd_notify, as no real systemd does."""

            def check() -> bool:
                for manager in managers:
                    manager.received()
                return done()

            return check

        first = start(processes[0][0], processes[0][1], roots[0])
        second: subprocess.Popen[bytes] | None = None
        try:
            eventually_blocking(
                drained(lambda: "READY=1" in managers[0].lines), 30, "the leader READY"
            )
            second = start(processes[1][0], processes[1][1], roots[1])
            eventually_blocking(
                drained(lambda: "READY=1" in managers[1].lines), 30, "the standby READY"
            )
            assert any(
                line.startswith("STATUS=standby; the leader is pid ") for line in managers[1].lines
            )
            eventually_blocking(
                drained(lambda: "WATCHDOG=1" in managers[1].lines), 5, "standby pings"
            )
            status, body = _get(f"http://127.0.0.1:{ports[1]}/healthz")
            assert (status, json.loads(body)) == (200, {"status": "standby", "role": "standby"})
            _, metrics = _get(f"http://127.0.0.1:{ports[1]}/metrics")
            assert 'tracker_bridge_role{role="standby"} 1.0' in metrics
            _, leader_metrics = _get(f"http://127.0.0.1:{ports[0]}/metrics")
            assert 'tracker_bridge_role{role="active"} 1.0' in leader_metrics
            managers[0].received()
            first.send_signal(signal.SIGTERM)
            eventually_blocking(drained(lambda: first.poll() is not None), 15, "the leader stopped")
            assert first.returncode == 0

            def leads() -> bool:
                code, text = _get(f"http://127.0.0.1:{ports[1]}/healthz")
                return code in (200, 503) and json.loads(text).get("role") == "active"

            eventually_blocking(drained(leads), 30, "the standby leading")
            _, metrics = _get(f"http://127.0.0.1:{ports[1]}/metrics")
            assert 'tracker_bridge_role{role="active"} 1.0' in metrics
            second.send_signal(signal.SIGTERM)
            eventually_blocking(
                drained(lambda: second.poll() is not None), 15, "the new leader stopped"
            )
            assert second.returncode == 0
        finally:
            for process in (first, second):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait()
            for _, _, sock in processes:
                sock.close()
