"""No single email can stop the service (issue 17): the daemon process under an emulated systemd.

The service manager is emulated with the unit's own settings (systemd/tracker-bridge.service):
a notify socket, ``WatchdogSec`` (a child that stops pinging is killed, as systemd does), and
``Restart=on-failure`` / ``RestartSec`` / ``StartLimitBurst`` in ``StartLimitIntervalSec`` (a
child restarted too often fails the unit). The daemon is the real one
(``tracker_bridge.testing.daemon_process --systemd``, i.e. ``tracker-bridge run``'s serve);
the mail arrives in a Maildir; Tracker and SMTP are the loopback fakes.

No input can make the real parser hang any more, so the message that does is marked for the
fault-injecting parser of :mod:`tracker_bridge.testing.hostile_parser`, which the parser workers
run instead (it parses every other message with the real parser).
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import sys
from pathlib import Path

from tests.e2e.harness import email
from tests.reliability.support import (
    child_environment,
    descendants,
    eventually,
    folder_files,
    running,
    write_config,
)
from tests.test_systemd_unit import values
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.service.stall_guard import STALL_LIMIT
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

HOSTILE = "tracker_bridge.testing.hostile_parser:parse_or_misbehave"


def _seconds(value: str) -> float:
    units = {"min": 60.0, "s": 1.0}
    for suffix, factor in units.items():
        if value.endswith(suffix):
            return float(value.removesuffix(suffix)) * factor
    return float(value)


WATCHDOG = _seconds(values("WatchdogSec")[0])
RESTART = _seconds(values("RestartSec")[0])
BURST = int(values("StartLimitBurst")[0])
BURST_INTERVAL = _seconds(values("StartLimitIntervalSec")[0])


class ServiceManager:
    """systemd's part for one ``Type=notify`` unit with a watchdog, emulated."""

    def __init__(self, config: Path, root: Path) -> None:
        self._config, self._root = config, root
        self.sock_path = str(root / "notify.sock")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.sock_path)
        self._sock.setblocking(False)
        self.child: asyncio.subprocess.Process | None = None
        self.starts: list[float] = []
        self.pings = 0
        self.watchdog_kills = 0
        self.failed = False
        self._last_ping = 0.0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._supervise())

    async def _spawn(self) -> None:
        loop = asyncio.get_running_loop()
        env = child_environment() | {
            "NOTIFY_SOCKET": self.sock_path,
            "WATCHDOG_USEC": str(int(WATCHDOG * 1_000_000)),
        }
        with (self._root / "daemon.log").open("ab") as log:
            self.child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tracker_bridge.testing.daemon_process",
                "--config", str(self._config), "--fast", "--systemd", "--parser", HOSTILE,
                stdout=log, stderr=log, env=env,
            )  # fmt: skip
        self.starts.append(loop.time())
        self._last_ping = loop.time()

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        await self._spawn()
        while True:
            await asyncio.sleep(0.05)
            self._read()
            child = self.child
            assert child is not None
            if child.returncode is None and loop.time() - self._last_ping > WATCHDOG:
                self.watchdog_kills += 1  # systemd: SIGABRT, then SIGKILL
                child.kill()
            if child.returncode is None:
                continue
            recent = [t for t in self.starts if loop.time() - t < BURST_INTERVAL]
            if len(recent) >= BURST:
                self.failed = True  # the start limit: the unit is failed, no more restarts
                return
            await asyncio.sleep(RESTART)
            await self._spawn()

    def _read(self) -> None:
        while True:
            try:
                datagram = self._sock.recv(4096).decode()
            except BlockingIOError:
                return
            if "WATCHDOG=1" in datagram.splitlines():
                self.pings += 1
                self._last_ping = asyncio.get_running_loop().time()

    async def kill_child(self) -> None:
        """SIGKILL the running child (as the watchdog or the OOM killer would); its parser
        workers, the one stuck in a parse included, end with it."""
        assert self.child is not None and self.child.returncode is None
        below = descendants(self.child.pid)
        self.child.kill()
        await self.child.wait()
        await eventually(
            lambda: not running(below), 10, "the killed daemon's parser workers gone",
            lambda: f"still running: {sorted(running(below))}",
        )  # fmt: skip

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.child is not None and self.child.returncode is None:
            self.child.terminate()
            try:
                await asyncio.wait_for(self.child.wait(), 15)
            except TimeoutError:
                self.child.kill()
                await self.child.wait()
        self._sock.close()


def _config(root: Path, tracker: FakeTracker, smtp: SmtpCapture) -> Path:
    config = write_config(root, tracker, smtp)
    with socket.socket() as probe:  # a free port for the metrics endpoint serve() opens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config.write_text(f'metrics_listen = "127.0.0.1:{port}"\n' + config.read_text())
    return config


def _quarantined(root: Path) -> list[tuple[str, str]]:
    path = root / "state.sqlite3"
    if not path.exists():
        return []
    with SqliteStore(path) as store:
        return [(item.message_id, item.reason) for item in store.quarantine_list()]


def _attempts(root: Path, digest: str) -> int:
    path = root / "state.sqlite3"
    if not path.exists():
        return 0
    with SqliteStore(path) as store:
        return store.attempt_get(digest)[0]


def _stalled(root: Path, digest: str) -> int:
    """The attempts on record once the last one is recorded as a stall (else 0)."""
    path = root / "state.sqlite3"
    if not path.exists():
        return 0
    with SqliteStore(path) as store:
        attempts, failure = store.attempt_get(digest)
    return attempts if failure and "busy" in failure else 0


def _hanging(counter: Path, n: int = 0) -> tuple[str, bytes]:
    message_id, raw = email(
        subject=f"Зависает разбор {n}", body="Этот текст парсер не дочитает.",
        message_id=f"<hang{n}@clinic1.example>",
    )  # fmt: skip
    return message_id, b"X-Test-Hang: yes\r\nX-Test-Count: " + str(counter).encode() + b"\r\n" + raw


async def test_a_hanging_message_is_quarantined_and_twenty_ordinary_ones_pass_it(
    tmp_path: Path,
) -> None:
    """Points 2 and 3: a message whose parse hangs is given up on at the parse bound
    (mail.limits.parse_timeout, production value), twice, then quarantined with the reason,
    unparsed; the 20 ordinary mails behind it, and the outside testers' bomb and raw 8-bit
    address, are all settled while it is still hanging; the daemon never misses a watchdog
    ping, is started once, and its unit never nears the start limit."""
    maildir, counter = tmp_path / "Maildir", tmp_path / "parsed.count"
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        manager = ServiceManager(_config(tmp_path, tracker, smtp), tmp_path)
        _, hanging = _hanging(counter)
        deliver(maildir, hanging)
        bomb = (
            b"From: stranger@elsewhere.example\r\nTo: support-clinic1@vendor.example\r\n"
            b"Subject: bomb\r\nMessage-ID: <bomb@elsewhere.example>\r\n"
            b"Content-Type: text/html; charset=utf-8\r\n\r\n" + b"<![if " * 100_000
        )
        deliver(maildir, bomb)
        deliver(maildir, b"From: Ivan \xff <iv\xffan@elsewhere.example>\r\nSubject: 8bit\r\n"
                         b"Message-ID: <eight@elsewhere.example>\r\n\r\nbody\r\n")  # fmt: skip
        for n in range(20):
            sender = f"doctor{n}@clinic1.example"  # one answer counter each (loop guard)
            deliver(maildir, email(subject=f"Обычное {n}", body=f"Вопрос {n}.", sender=sender)[1])
        try:
            await manager.start()
            await eventually(lambda: len(tracker.issues) == 20, 120, "20 registered")
            await eventually(lambda: len(smtp.messages) == 20, 60, "20 acknowledged")
            # all of that while the hanging message was still being tried
            assert not any(mid == "hang0@clinic1.example" for mid, _ in _quarantined(tmp_path))
            held = {mid for mid, _ in _quarantined(tmp_path)}
            assert {"bomb@elsewhere.example", "eight@elsewhere.example"} <= held
            await eventually(
                lambda: any(mid == "hang0@clinic1.example" for mid, _ in _quarantined(tmp_path)),
                90, "the hanging message quarantined",
            )  # fmt: skip
            reason = dict(_quarantined(tmp_path))["hang0@clinic1.example"]
            assert "poison mail: 2 failed attempts" in reason and "longer than 10 s" in reason
            assert counter.read_text().count("parsed") == 2  # two tries, then not again
            assert len(tracker.issues) == 20  # the hanging one opened no request
            # its outcome is committed before it leaves the inbox: the move follows at once
            await eventually(lambda: folder_files(maildir) == [], 10, "the inbox emptied")
            assert manager.pings > 0 and manager.watchdog_kills == 0
            assert len(manager.starts) == 1 and not manager.failed
        finally:
            await manager.close()


async def test_a_message_the_daemon_dies_on_twice_is_quarantined_unparsed_on_the_next_start(
    tmp_path: Path,
) -> None:
    """Point 2, the crash loop: the daemon is killed (SIGKILL, as the watchdog does) while a
    message is in hand, twice; the next start finds two attempts that never finished and
    quarantines it without parsing it again, with the reason; the ordinary mail behind it is
    registered and acknowledged; three starts, under the unit's start limit."""
    maildir, counter = tmp_path / "Maildir", tmp_path / "parsed.count"
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        manager = ServiceManager(_config(tmp_path, tracker, smtp), tmp_path)
        _, hanging = _hanging(counter, 1)
        deliver(maildir, hanging)
        try:
            await manager.start()
            digest = hashlib.sha256(hanging).hexdigest()
            for kills in (1, 2):
                # killed once the hang is on record (a watchdog kills after 60 s of it) and the
                # worker is in the parse (the attempt counts from when the daemon handed the
                # message over: on a busy machine that can be before a fresh worker began it)
                await eventually(
                    lambda k=kills: _attempts(tmp_path, digest) == k  # type: ignore[misc]
                    and counter.exists() and counter.read_text().count("parsed") == k,
                    60, f"attempt {kills} on record",
                )  # fmt: skip
                await manager.kill_child()
            deliver(maildir, email(subject="После сбоя", body="Обычный вопрос.")[1])
            await eventually(lambda: len(tracker.issues) == 1, 90, "the ordinary mail registered")
            await eventually(lambda: len(smtp.messages) == 1, 60, "and acknowledged")
            reason = dict(_quarantined(tmp_path))["hang1@clinic1.example"]
            assert "poison mail: 2 failed attempts" in reason
            assert "the daemon stopped while parsing it" in reason
            assert counter.read_text().count("parsed") == 2  # not parsed a third time
            assert len(manager.starts) == 3 and not manager.failed
            assert BURST > 3
        finally:
            await manager.close()


async def test_a_message_whose_handling_hangs_the_daemon_is_quarantined_after_two_kills(
    tmp_path: Path,
) -> None:
    """Point 2 beyond the parse: a message that parses but whose handling then keeps the event
    loop busy (no watchdog ping: systemd would kill the daemon) is put on record by the stall
    guard's thread after STALL_LIMIT (the production value), so each kill counts; after two,
    the next start quarantines it unparsed, with the reason, and the ordinary mail behind it
    is registered and acknowledged — three starts, under the unit's start limit."""
    maildir, counter = tmp_path / "Maildir", tmp_path / "parsed.count"
    _, raw = email(subject="Зависает обработка", body="Разбор проходит, обработка — нет.",
                   message_id="<stall@clinic1.example>")  # fmt: skip
    stalling = b"X-Test-Stall: yes\r\nX-Test-Count: " + str(counter).encode() + b"\r\n" + raw
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        manager = ServiceManager(_config(tmp_path, tracker, smtp), tmp_path)
        deliver(maildir, stalling)
        try:
            await manager.start()
            digest = hashlib.sha256(stalling).hexdigest()
            for kills in (1, 2):
                # killed once the stall is on record (a watchdog kills after 60 s of it); a slow
                # worker start may have put the attempt on record before, as a long parse
                await eventually(
                    lambda k=kills: _stalled(tmp_path, digest) == k  # type: ignore[misc]
                    and counter.exists() and counter.read_text().count("parsed") == k,
                    STALL_LIMIT + 60, f"stalled attempt {kills} on record",
                )  # fmt: skip
                await manager.kill_child()
            deliver(maildir, email(subject="После зависания", body="Обычный вопрос.")[1])
            await eventually(lambda: len(tracker.issues) == 1, 90, "the ordinary mail registered")
            await eventually(lambda: len(smtp.messages) == 1, 60, "and acknowledged")
            reason = dict(_quarantined(tmp_path))["stall@clinic1.example"]
            assert "poison mail: 2 failed attempts" in reason
            assert f"kept the daemon busy for over {STALL_LIMIT:.0f} s" in reason
            assert counter.read_text().count("parsed") == 2  # not parsed a third time
            assert len(manager.starts) == 3 and not manager.failed
        finally:
            await manager.close()
