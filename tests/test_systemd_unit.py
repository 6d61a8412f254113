"""The shipped systemd unit: systemd's own checker finds nothing, the hardening scores ≤ 2.0, and
the settings the daemon relies on (notify, watchdog, EX_CONFIG, credentials, paths) are there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.commands.world import write_config
from tracker_bridge.config import EX_CONFIG, SECRET_FIELDS
from tracker_bridge.mail.maildir_source import ensure_maildir
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

ROOT = Path(__file__).parent.parent
UNIT = ROOT / "systemd" / "tracker-bridge.service"
OPERATIONS = ROOT / "docs" / "operations.md"
INSTALLED_EXEC = "/opt/tracker-bridge/venv/bin/tracker-bridge"
# The console script pip installed next to this interpreter: the same program the unit starts.
LOCAL_EXEC = Path(sys.executable).parent / "tracker-bridge"
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1


def settings(text: str) -> list[tuple[str, str, str]]:
    """``(section, key, value)`` for every assignment, in order (keys may repeat in units)."""
    found: list[tuple[str, str, str]] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.append((section, key.strip(), value.strip()))
    return found


def values(key: str) -> list[str]:
    return [value for _, k, value in settings(UNIT.read_text()) if k == key]


def environment() -> dict[str, str]:
    """The variables of every ``Environment=`` line."""
    return dict(a.split("=", 1) for v in values("Environment") for a in v.split())


def local_copy(tmp_path: Path, text: str | None = None) -> Path:
    """The unit with ExecStart at this checkout's entry point (verify needs it to exist)."""
    body = UNIT.read_text() if text is None else text
    assert INSTALLED_EXEC in body
    copy = tmp_path / UNIT.name
    copy.write_text(body.replace(INSTALLED_EXEC, str(LOCAL_EXEC)))
    return copy


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *args], capture_output=True, text=True, timeout=60, check=False
    )


class TestSystemdVerify:
    def test_the_unit_passes_systemd_analyze_verify_without_a_single_message(
        self, tmp_path: Path
    ) -> None:
        """verify exits 0 even on unknown keys, so any output at all is a failure."""
        assert LOCAL_EXEC.is_file(), "pip install -e . provides the tracker-bridge entry point"
        result = analyze("verify", "--man=no", str(local_copy(tmp_path)))
        assert (result.returncode, result.stdout + result.stderr) == (0, "")

    def test_a_misspelt_key_is_caught_by_the_same_check(self, tmp_path: Path) -> None:
        """The check above can fail: one typo makes verify speak (while still exiting 0)."""
        broken = UNIT.read_text().replace("WatchdogSec=", "WatchdogSek=")
        result = analyze("verify", "--man=no", str(local_copy(tmp_path, broken)))
        assert "WatchdogSek" in result.stdout + result.stderr

    def test_the_drop_ins_in_the_operations_guide_verify_cleanly(self, tmp_path: Path) -> None:
        """Each ```ini [Service] block of docs/operations.md is a valid drop-in for the unit."""
        blocks = re.findall(r"```ini\n(.*?)```", OPERATIONS.read_text(), flags=re.DOTALL)
        drop_ins = [block for block in blocks if "[Service]" in block]
        assert len(drop_ins) >= 2
        unit = local_copy(tmp_path)
        for i, block in enumerate(drop_ins):
            directory = tmp_path / f"{UNIT.name}.d"
            directory.mkdir(exist_ok=True)
            for old in directory.iterdir():
                old.unlink()
            (directory / f"guide-{i}.conf").write_text(block)
            result = analyze("verify", "--man=no", str(unit))
            assert (result.returncode, result.stdout + result.stderr) == (0, ""), block

    def test_the_exposure_score_is_at_most_two(self, tmp_path: Path) -> None:
        """systemd-analyze security --offline rates the hardening 2.0 or better."""
        unit = str(local_copy(tmp_path))
        report = analyze("security", "--offline=yes", unit)
        match = re.search(r"Overall exposure level for \S+: (\d+\.\d)", report.stdout)
        assert match is not None, report.stdout + report.stderr
        assert float(match.group(1)) <= 2.0
        assert analyze("security", "--offline=yes", "--threshold=20", unit).returncode == 0


class TestUnitSettings:
    def test_the_service_is_notify_type_with_a_watchdog(self) -> None:
        """READY/STATUS/WATCHDOG come from the main process; a silent one is restarted."""
        assert values("Type") == ["notify"]
        assert values("NotifyAccess") == ["main"]
        assert values("WatchdogSec") == ["60s"]
        assert values("Restart") == ["on-failure"]

    def test_a_config_error_does_not_restart_loop(self) -> None:
        """The config's exit code (EX_CONFIG) is the one systemd must not restart on."""
        assert values("RestartPreventExitStatus") == [str(EX_CONFIG)] == ["78"]

    def test_credentials_are_named_after_the_config_secret_fields(self) -> None:
        """Each LoadCredential= id is a top-level secret field, read from /etc/…/credentials/."""
        credentials = dict(value.split(":", 1) for value in values("LoadCredential"))
        assert set(credentials) == {
            "tracker_token",
            "imap_password",
            "smtp_password",
            "telegram_bot_token",
        }
        assert set(credentials) <= set(SECRET_FIELDS)
        for name, path in credentials.items():
            assert path == f"/etc/tracker-bridge/credentials/{name}"

    def test_the_daemon_runs_from_the_venv_with_the_etc_config(self) -> None:
        """ExecStart runs `tracker-bridge run` on the file ConfigurationDirectory= provides."""
        assert values("ExecStart") == [
            f"{INSTALLED_EXEC} run --config /etc/tracker-bridge/tracker-bridge.toml"
        ]
        assert values("ConfigurationDirectory") == ["tracker-bridge"]
        assert values("StateDirectory") == ["tracker-bridge"]
        assert values("DynamicUser") == ["yes"]

    def test_the_network_is_limited_to_ip_and_local_sockets(self) -> None:
        """Tracker, IMAP, SMTP and Telegram need IP; sd_notify needs AF_UNIX; nothing else."""
        assert values("RestrictAddressFamilies") == ["AF_INET AF_INET6 AF_UNIX"]

    def test_glibc_keeps_one_arena_and_no_per_thread_cache(self) -> None:
        """Resident memory stays flat: the malloc settings the memory benchmark measured."""
        assignments = environment()
        assert assignments["MALLOC_ARENA_MAX"] == "1"
        assert assignments["GLIBC_TUNABLES"] == "glibc.malloc.tcache_count=0"

    def test_the_daemon_starts_under_the_units_malloc_settings(self) -> None:
        """glibc accepts the tunables and the whole package imports and runs under them."""
        env = environment()
        done = subprocess.run(
            [sys.executable, "-c", "import tracker_bridge.runtime.wiring, threading; print('ok')"],
            env={"PATH": "/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "ok", "")


class TestMemoryDenyWriteExecute:
    def test_the_python_stack_works_when_writable_executable_memory_is_refused(self) -> None:
        """MemoryDenyWriteExecute=yes is safe: the same kernel rule (PR_SET_MDWE) breaks nothing."""
        assert values("MemoryDenyWriteExecute") == ["yes"]
        result = subprocess.run(
            [sys.executable, "-c", MDWE_PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["refused", "ok"]


# Turns on the kernel's MDWE for this process, proves it is on, then imports and exercises what
# the daemon uses: TLS, SQLite, jinja2 compilation, asyncio, and a libffi callback.
MDWE_PROBE = f"""
import ctypes, mmap
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN}, 0, 0, 0) != 0:
    raise SystemExit("PR_SET_MDWE failed: errno %d" % ctypes.get_errno())
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
except PermissionError:
    print("refused")
import asyncio, sqlite3, ssl
import aiosmtpd, charset_normalizer, holidays, html2text, httpx, imapclient, jinja2
import prometheus_client, pydantic, pydantic_settings, structlog, telegram, tenacity, tnefparse
import yandex_tracker_client
import tracker_bridge.cli, tracker_bridge.config, tracker_bridge.observability.log
import tracker_bridge.observability.metrics
ssl.create_default_context()
db = sqlite3.connect(":memory:")
db.execute("create table t (x)")
db.close()
jinja2.Environment().from_string("{{{{ x }}}}").render(x=1)
asyncio.run(asyncio.sleep(0))
assert ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(lambda x: x + 1)(1) == 2
print("ok")
"""


class TestMaildirUnderTheSandbox:
    """ProtectSystem=strict leaves the Maildir read-only unless a drop-in names it; the daemon
    must say so at start (one line, EX_CONFIG), not fail on the first settle."""

    def test_the_guide_s_maildir_drop_in_makes_it_writable(self) -> None:
        text = OPERATIONS.read_text()
        block = text.split("### A Maildir source", 1)[1].split("```ini\n", 1)[1].split("```")[0]
        assert "ReadWritePaths=/var/mail/support/Maildir" in block
        assert values("ProtectSystem") == ["strict"]

    def test_a_read_only_maildir_is_refused_at_start_naming_the_fix(self, tmp_path: Path) -> None:
        """The daemon in the unit's environment, without capabilities (as the unit's transient
        user has none), on a Maildir it cannot write: exit 78 and one line."""
        maildir = ensure_maildir(tmp_path / "Maildir")
        with FakeTracker() as tracker, SmtpCapture() as smtp:
            config = write_config(tmp_path, tracker, smtp)  # the Maildir is tmp_path/Maildir
        (maildir / "cur").chmod(0o555)
        unprivileged = ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]
        if os.geteuid() != 0:
            unprivileged = []  # an ordinary user has no capabilities to drop
        done = subprocess.run(
            [*unprivileged, str(LOCAL_EXEC), "run", "--config", str(config)],
            env={"PATH": "/usr/bin:/bin", **environment()},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == EX_CONFIG, done.stderr + done.stdout
        assert done.stderr.splitlines() == [
            f"tracker-bridge: the Maildir {maildir} is not writable ({maildir / 'cur'}): the "
            "daemon moves handled mail within it; under the shipped unit name it in "
            "ReadWritePaths= (docs/operations.md, 'A Maildir source')"
        ]
