"""What each command imports: the daemon's install carries no more than it needs (issue 14.2).

Each case runs the real CLI in a fresh interpreter, so ``sys.modules`` shows exactly what that
command imported; a missing extra is simulated the way Python itself spells "not installed"
(the module set to None in ``sys.modules``, so every import of it fails).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.commands.world import write_config
from tracker_bridge.foundation.extras import EXTRAS
from tracker_bridge.mail.maildir_source import ensure_maildir
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

ROOT = Path(__file__).resolve().parent.parent.parent
PROBE = """
import json, sys
for name in {blocked!r}:
    sys.modules[name] = None
from tracker_bridge.cli import main
code = main({argv!r})
loaded = sorted({{m.split(".")[0] for m in sys.modules if sys.modules[m] is not None}})
print(json.dumps({{"code": code, "loaded": loaded}}))
"""


def run_probe(*argv: str, blocked: tuple[str, ...] = ()) -> tuple[int, list[str], str]:
    """The exit code, the top-level modules loaded and stderr of ``tracker-bridge ARGV``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=list(argv), blocked=list(blocked))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["code"], report["loaded"], done.stderr


def test_check_without_telegram_does_not_import_python_telegram_bot(tmp_path: Path) -> None:
    """A config without Telegram is checked (all ✓) without loading telegram, httpx, matplotlib."""
    ensure_maildir(tmp_path / "Maildir")
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        code, loaded, err = run_probe("check", "--config", str(config))
    assert code == 0, err
    assert "tracker_bridge" in loaded and "yandex_tracker_client" in loaded
    assert {"telegram", "httpx", "matplotlib", "aiosmtpd"}.isdisjoint(loaded)


def test_sla_report_png_without_matplotlib_names_the_extra(tmp_path: Path) -> None:
    """--png without matplotlib: one line naming the [report] extra, exit 69, nothing fetched."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        code, _, err = run_probe(
            "sla-report", "--config", str(config), "--month", "2026-02", "--png",
            str(tmp_path / "chart.png"), blocked=("matplotlib",),
        )  # fmt: skip
        assert tracker.requests == []
    assert code == 69
    assert err == (
        "sla-report --png needs the [report] extra (matplotlib is not installed): "
        "pip install 'tracker-bridge[report]' (with the same -c constraints.txt as the rest "
        "of the install)\n"
    )
    assert not (tmp_path / "chart.png").exists()


def test_demo_without_its_extra_names_it() -> None:
    """The demo's SMTP capture needs aiosmtpd: without it, one line naming [demo], exit 69."""
    code, loaded, err = run_probe("demo", blocked=("aiosmtpd",))
    assert code == 69
    assert "tracker-bridge demo needs the [demo] extra (aiosmtpd is not installed)" in err
    assert "yandex_tracker_client" not in loaded  # stopped before building the world


def test_the_extras_are_declared_and_the_daemon_needs_none_of_them() -> None:
    """pyproject's dependencies carry no extra's module; each extra lists its modules."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = " ".join(project["dependencies"]).lower()
    declared = project["optional-dependencies"]
    for extra, modules in EXTRAS.items():
        for module in modules:
            assert module not in runtime
            assert any(req.lower().startswith(module) for req in declared[extra]), (extra, module)
