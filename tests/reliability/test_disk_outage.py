"""The state disk full, then freed: mail waiting in the inbox goes through within seconds, each
once (issue 18 §1). A real filesystem: a 4 MiB tmpfs holding the SQLite store, filled to the
last byte by a filler file (skipped where this machine cannot mount one)."""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import running_world

MAILS = 10


@pytest.fixture(name="small_disk")
def fixture_small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["/bin/mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["/bin/umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


async def test_mail_waits_through_a_full_disk_and_goes_through_within_seconds_of_space(
    small_disk: Path,
) -> None:
    def store_on_disk(data: dict[str, Any]) -> None:
        data["store_path"] = str(small_disk / "state.sqlite3")

    async with running_world(small_disk.parent, production=True, adjust=store_on_disk) as world:
        await world.settle(30.0, step=1.0)
        filler = _fill(small_disk)
        for n in range(MAILS):
            world.mail(subject=f"Запрос {n}", body="Логин: x", sender=f"d{n}@clinic1.example")
        await world.settle(180.0, step=5.0)
        waiting = len(world.folder(""))
        filler.unlink()
        took = await world.recovery_seconds(lambda: not world.folder(""), "the inbox cleared")
        print(f"\nwaiting when freed: {waiting}, cleared in {took} s of clock")
        assert took <= 10.0
        assert len(world.tracker.issues) == MAILS  # each once
        summaries = sorted(i.summary for i in world.tracker.issues.values())
        assert summaries == sorted(f"Запрос {n}" for n in range(MAILS))
