"""What the wheel carries: every file the daemon reads at run time, and the files beside it (14.3).

.ci/wheel builds and installs the real wheel; this cheap twin keeps the declarations honest on
every run: each non-Python file under tracker_bridge/ is matched by package-data (so a new
template directory cannot be left out of the wheel), and each shipped share/ file exists.
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker_bridge"
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"
]


def test_every_data_file_of_the_package_is_package_data() -> None:
    """Templates, py.typed and any other non-Python file under tracker_bridge/ are declared."""
    patterns = SETUPTOOLS["package-data"]["tracker_bridge"]
    data = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert data, "the package has data files (templates at least)"
    assert [f for f in data if not any(fnmatch(f, p) for p in patterns)] == []


def test_the_shared_files_exist_and_the_unit_names_the_shipped_manual() -> None:
    """share/tracker-bridge holds the unit, its Documentation= manual and the example config."""
    shipped = SETUPTOOLS["data-files"]["share/tracker-bridge"]
    assert all((ROOT / name).is_file() for name in shipped)
    assert {Path(name).name for name in shipped} == {
        "tracker-bridge.service",
        "operations.md",
        "tracker-bridge.example.toml",
    }
    unit = (ROOT / "systemd" / "tracker-bridge.service").read_text(encoding="utf-8")
    assert (
        "Documentation=file:///opt/tracker-bridge/venv/share/tracker-bridge/operations.md" in unit
    )
    assert "ExecStart=/opt/tracker-bridge/venv/bin/tracker-bridge run" in unit
