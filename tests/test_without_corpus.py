"""A clone with nothing beside it collects the whole suite (issue 14.1).

CI runs the suite in such a clone (.ci/fresh-clone); this cheap twin runs in every `make test`,
so a test module that reads the shared corpus when imported, instead of carrying the
``shared_corpus`` marker (tests/shared_corpus.py), fails here first, where the corpus is present.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_suite_collects_without_the_shared_corpus(tmp_path: Path) -> None:
    """No collection error, and one line saying what was left out and how to get it."""
    env = {**os.environ, "TRACKER_BRIDGE_SHARED": str(tmp_path / "absent")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if "shared corpus not found" in line]
    assert lines == [
        f"shared corpus not found at {tmp_path / 'absent' / 'corpus'}: its "
        + lines[0].split(": its ", 1)[1]
    ]
    assert "conformance tests were skipped; to run them, set TRACKER_BRIDGE_SHARED=" in lines[0]
    assert "error" not in done.stdout.lower().splitlines()[-1]
