"""Small timing helpers shared by the benchmarks.

Machines here are noisy: every figure is a median over repeats, and each benchmark reports a
baseline measured in the same run so the ratio means something on any machine.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Row", "machine", "median_seconds", "table"]


def median_seconds(fn: Callable[[], object], repeats: int = 7, warmup: int = 1) -> float:
    """The median wall time of ``fn()`` over ``repeats`` runs, after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


@dataclass(frozen=True)
class Row:
    """One line of a results table."""

    what: str
    value: str
    goal: str = ""
    baseline: str = ""
    verdict: str = ""


def table(rows: list[Row]) -> str:
    """A Markdown table of ``rows``."""
    lines = [
        "| measurement | result | goal | baseline (same run) | verdict |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r.what} | {r.value} | {r.goal} | {r.baseline} | {r.verdict} |" for r in rows]
    return "\n".join(lines) + "\n"


def machine() -> str:
    """One line describing the machine the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
