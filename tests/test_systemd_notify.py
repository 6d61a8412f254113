"""sd_notify against a fake service manager: a datagram socket bound where $NOTIFY_SOCKET points."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.runtime import systemd

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeManager:
    """The service manager's end of the notify socket: it records every datagram received."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def received(self) -> list[str]:
        """Every message that arrived since the last call, oldest first."""
        messages: list[str] = []
        while True:
            try:
                messages.append(self._sock.recv(4096).decode())
            except BlockingIOError:
                return messages


def bound(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.setblocking(False)
    return sock


@pytest.fixture(name="manager")
def fixture_manager(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeManager]:
    # A short directory: AF_UNIX paths are limited to 108 bytes, and test names are sentences.
    path = tmp_path_factory.mktemp("sd") / "notify.sock"
    with bound(str(path)) as sock:
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        monkeypatch.setenv("WATCHDOG_USEC", "60000000")
        yield FakeManager(sock)


async def settle() -> None:
    """Let woken tasks run up to their next await."""
    for _ in range(5):
        await asyncio.sleep(0)


class TestNotify:
    def test_ready_sends_ready_and_the_status_in_one_message(self, manager: FakeManager) -> None:
        """READY=1 and STATUS= travel together, as systemd expects at the end of startup."""
        assert systemd.ready("polling mail") is True
        assert manager.received() == ["READY=1\nSTATUS=polling mail"]

    def test_status_is_one_line_even_when_the_text_has_newlines(self, manager: FakeManager) -> None:
        """A newline would start a new assignment, so the text is flattened."""
        systemd.status("intake idle\nREADY=1")
        assert manager.received() == ["STATUS=intake idle READY=1"]

    def test_stopping_is_announced(self, manager: FakeManager) -> None:
        """STOPPING=1 on shutdown, with an optional status."""
        systemd.stopping()
        systemd.stopping("finishing the message in hand")
        assert manager.received() == [
            "STOPPING=1",
            "STOPPING=1\nSTATUS=finishing the message in hand",
        ]

    def test_a_watchdog_ping_is_watchdog_1(self, manager: FakeManager) -> None:
        """WATCHDOG=1 keeps systemd from restarting us."""
        systemd.watchdog_ping()
        assert manager.received() == ["WATCHDOG=1"]

    def test_an_abstract_socket_name_starting_with_at_is_reached(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """ "@name" is Linux's abstract namespace (a leading NUL byte), as systemd may pass it."""
        name = f"tracker-bridge-test-{uuid.uuid4().hex}"
        with bound("\0" + name) as sock:
            monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
            assert systemd.notify("READY=1") is True
            assert FakeManager(sock).received() == ["READY=1"]

    def test_without_notify_socket_every_call_is_a_no_op(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On a terminal or in the demo nothing is sent and nothing fails."""
        monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
        sent = [
            systemd.ready("x"),
            systemd.status("x"),
            systemd.stopping(),
            systemd.watchdog_ping(),
        ]
        assert sent == [False, False, False, False]

    def test_a_vanished_manager_is_reported_not_raised(
        self, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Like libsystemd: a missing socket makes notify return False instead of crashing us."""
        monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path_factory.mktemp("sd") / "gone.sock"))
        assert systemd.status("still here") is False

    def test_an_explicit_environment_is_read_instead_of_the_process_one(
        self, manager: FakeManager
    ) -> None:
        """notify(environ=...) with no NOTIFY_SOCKET sends nothing even under a manager."""
        assert systemd.notify("READY=1", environ={}) is False
        assert manager.received() == []


class TestWatchdogInterval:
    @pytest.mark.parametrize(
        ("environ", "expected"),
        [
            ({"WATCHDOG_USEC": "60000000"}, 30.0),
            ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid())}, 30.0),
            ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid() + 1)}, None),
            ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "self"}, None),
            ({"WATCHDOG_USEC": "0"}, None),
            ({"WATCHDOG_USEC": "sixty"}, None),
            ({}, None),
        ],
    )
    def test_pings_are_due_at_half_the_watchdog_timeout_for_our_own_pid(
        self, environ: dict[str, str], expected: float | None
    ) -> None:
        """Half of WATCHDOG_USEC, and only when WATCHDOG_PID (if set) is this process."""
        assert systemd.watchdog_interval(environ) == expected


class TestWatchdogLoop:
    async def test_a_healthy_daemon_pings_every_half_timeout(self, manager: FakeManager) -> None:
        """With WatchdogSec=60s: a ping at start, then one every 30 s of clock time."""
        clock = ManualClock(START)
        task = asyncio.create_task(systemd.watchdog_loop(clock, lambda: True))
        await settle()
        assert manager.received() == ["WATCHDOG=1"]
        clock.advance(29)
        await settle()
        assert manager.received() == []
        clock.advance(1)
        await settle()
        clock.advance(30)
        await settle()
        assert manager.received() == ["WATCHDOG=1", "WATCHDOG=1"]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    async def test_an_unhealthy_daemon_stops_pinging_so_systemd_restarts_it(
        self, manager: FakeManager
    ) -> None:
        """A stuck loop must not be covered up: no ping while unhealthy, pings again after."""
        clock = ManualClock(START)
        health = {"ok": True}
        task = asyncio.create_task(systemd.watchdog_loop(clock, lambda: health["ok"]))
        await settle()
        health["ok"] = False
        for _ in range(3):
            clock.advance(30)
            await settle()
        assert manager.received() == ["WATCHDOG=1"]
        health["ok"] = True
        clock.advance(30)
        await settle()
        assert manager.received() == ["WATCHDOG=1"]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    async def test_without_a_watchdog_the_loop_ends_at_once(
        self, manager: FakeManager, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No WATCHDOG_USEC: nothing to ping, and the loop returns instead of idling forever."""
        monkeypatch.delenv("WATCHDOG_USEC")
        await asyncio.wait_for(systemd.watchdog_loop(ManualClock(START), lambda: True), 1)
        assert manager.received() == []

    async def test_an_explicit_interval_overrides_the_environment(
        self, manager: FakeManager
    ) -> None:
        """The daemon may ping more often than half the timeout (e.g. every 5 s)."""
        clock = ManualClock(START)
        task = asyncio.create_task(systemd.watchdog_loop(clock, lambda: True, interval=5))
        await settle()
        clock.advance(5)
        await settle()
        clock.advance(5)
        await settle()
        assert manager.received() == ["WATCHDOG=1"] * 3
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
