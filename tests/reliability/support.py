"""What the reliability tests share: a TOML config for the fakes, the Maildir's folders, and
readings of the fake Tracker's record (issues, marked comments, the robot's transitions)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

from tests.e2e.harness import CLINIC_ONE, SUPPORT_FROM
from tests.test_systemd_unit import environment as unit_environment
from tracker_bridge.testing.config import loopback_config, toml_text
from tracker_bridge.testing.daemon_process import READY_LINE
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture
from tracker_bridge.testing.waiting import eventually  # noqa: F401 - for the tests here
from tracker_bridge.tracker.markers import find_marker, marker_id

CLINIC_DOMAIN = "clinic1.example"
SUPPORT_LOGIN = "ivanov"


# the clinic a reliability daemon serves: the e2e harness's clinic-one without its Telegram chat
# (these daemons run without Telegram)
RELIABILITY_CLINIC = {k: v for k, v in CLINIC_ONE.items() if k != "telegram_chat_id"}


def write_config(root: Path, tracker: FakeTracker, smtp: SmtpCapture) -> Path:
    """A complete TOML configuration pointing at the loopback fakes and ``root/Maildir``."""
    data = loopback_config(
        root, tracker, smtp, None, customer=RELIABILITY_CLINIC, from_address=SUPPORT_FROM
    )
    path = root / "tracker-bridge.toml"
    path.write_text(toml_text(data), encoding="utf-8")
    return path


def folder_files(maildir: Path, folder: str = "") -> list[Path]:
    """The message files of the inbox (``folder=""``) or of a Maildir++ sub-folder."""
    base = maildir / f".{folder}" if folder else maildir
    return [p for sub in ("new", "cur") if (base / sub).is_dir() for p in (base / sub).iterdir()]


def message_ids_in(files: list[Path]) -> Counter[str]:
    """How often each Message-ID occurs among ``files``."""
    found: Counter[str] = Counter()
    for path in files:
        for line in path.read_bytes().split(b"\n"):
            if line.lower().startswith(b"message-id:"):
                found[line.split(b":", 1)[1].strip().decode()] += 1
                break
    return found


def customer_comment_markers(tracker: FakeTracker) -> Counter[str]:
    """How many live comments carry each customer marker (one per source Message-ID)."""
    with tracker.lock:
        texts = [c.text for cs in tracker.comments.values() for c in cs if not c.deleted]
    found: Counter[str] = Counter()
    for text in texts:
        marker = find_marker(text)
        if marker is not None and marker[0] == "customer":
            found[marker[1]] += 1
    return found


def comment_on(tracker: FakeTracker, key: str, source_message_id: str) -> int:
    """How many live comments on ``key`` carry the marker of ``source_message_id`` (the bridge
    keys markers by the Message-ID without its angle brackets, as the parser gives it)."""
    wanted = marker_id(source_message_id.strip().strip("<>"))
    with tracker.lock:
        texts = [c.text for c in tracker.comments.get(key, []) if not c.deleted]
    return sum(1 for t in texts if (m := find_marker(t)) is not None and m[1] == wanted)


def robot_transitions(tracker: FakeTracker) -> dict[str, list[tuple[str, str]]]:
    """Per issue, the status changes the bridge made: ``(from, to)`` in order."""
    robot = tracker.state.token_user
    moves: dict[str, list[tuple[str, str]]] = {}
    with tracker.lock:
        for key, entries in tracker.changelog.items():
            for entry in entries:
                if entry.updated_by != robot:
                    continue
                for change in entry.fields:
                    if change.field == "status":
                        moves.setdefault(key, []).append(
                            (_status_key(change.before), _status_key(change.after))
                        )
    return moves


def _status_key(rendered: object) -> str:
    if isinstance(rendered, dict):
        return str(rendered.get("key"))
    return str(rendered)


def issue_by_summary(tracker: FakeTracker) -> dict[str, list[str]]:
    """Summary → the keys of the issues with it (more than one would be a duplicate)."""
    found: dict[str, list[str]] = {}
    with tracker.lock:
        for issue in tracker.issues.values():
            found.setdefault(issue.summary, []).append(issue.key)
    return found


def message_id_counts(messages: list[EmailMessage]) -> Counter[str]:
    """How often each Message-ID was delivered to the SMTP capture."""
    return Counter(str(m["Message-ID"]) for m in messages)


def child_environment() -> dict[str, str]:
    """This environment without anything that would reconfigure the child's bridge, plus the
    shipped unit's ``Environment=`` (malloc settings, unbuffered output): the daemon as
    systemd runs it."""
    dropped = ("TRACKER_BRIDGE_", "CREDENTIALS_DIRECTORY", "STATE_DIRECTORY", "NOTIFY_SOCKET")
    mine = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return {**mine, **unit_environment()}


class DaemonChild:
    """``python -m tracker_bridge.testing.daemon_process --fast`` as an asyncio child process."""

    def __init__(self, config: Path, log_path: Path) -> None:
        self._config, self._log_path = config, log_path
        self._proc: asyncio.subprocess.Process | None = None
        self.started = 0

    async def start(self, *, wait_ready: bool = True, ready_timeout: float = 30.0) -> None:
        """Start the daemon and (unless told not to) wait until it prints READY."""
        with self._log_path.open("ab") as log:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tracker_bridge.testing.daemon_process",
                "--config", str(self._config), "--fast",
                stdout=asyncio.subprocess.PIPE, stderr=log, env=child_environment(),
            )  # fmt: skip
        self.started += 1
        if wait_ready:
            await self.wait_ready(ready_timeout)

    async def wait_ready(self, within: float = 30.0) -> None:
        """Wait for the READY line (a standby prints it once it became the leader)."""
        assert self._proc is not None and self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), within)
        assert line.decode().strip() == READY_LINE, f"not ready: {line!r}\n{self.log_tail()}"

    async def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as a power cut or the OOM killer would."""
        proc = self._take()
        proc.send_signal(signal.SIGKILL)
        await self._reap(proc)

    async def stop(self, grace: float = 10.0) -> int:
        """SIGTERM and wait for the exit code."""
        proc = self._take()
        proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self._reap(proc), grace)

    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def pid(self) -> int:
        assert self._proc is not None, "no child running"
        return self._proc.pid

    async def exit_code(self, within: float = 30.0) -> int:
        """Wait for the child to end on its own (a refusal to start); its exit code."""
        return await asyncio.wait_for(self._reap(self._take()), within)

    def log_tail(self, lines: int = 40) -> str:
        text = self._log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _take(self) -> asyncio.subprocess.Process:
        assert self._proc is not None, "no child running"
        proc, self._proc = self._proc, None
        return proc

    @staticmethod
    async def _reap(proc: asyncio.subprocess.Process) -> int:
        code = await proc.wait()
        if proc.stdout is not None:
            await proc.stdout.read()
        return code

    async def close(self) -> None:
        """Kill a child still running (a failed test must not leave one behind)."""
        if self._proc is not None:
            if self._proc.returncode is None:
                self._proc.send_signal(signal.SIGKILL)
            await self._reap(self._take())


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, grandchildren, ...), read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _parent_of(int(entry.name))) is not None:
            parents[int(entry.name)] = found
    below: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - below
        below |= frontier
    return below


def running(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (a zombie waiting to be reaped has ended)."""
    return {pid for pid in pids if _state_of(pid) not in {None, "Z", "X"}}


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()  # the name in parentheses may hold spaces


def _parent_of(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _state_of(pid: int) -> str | None:
    fields = _stat(pid)
    return fields[0] if fields else None
