"""``sla-report --png``: the month's figures as a bar chart.

matplotlib's object API (a bare :class:`~matplotlib.figure.Figure` rendered by the Agg canvas),
not pyplot: no display, no global figure registry to leak between calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tracker_bridge.cli.sla_figures import CustomerMonth

__all__ = ["draw"]

_SERIES = (
    ("requests", "requests", "#4c72b0"),
    ("met", "intake met", "#55a868"),
    ("breached", "intake breached", "#c44e52"),
    ("auto_closed", "auto-closed (R19)", "#8172b2"),
)


def draw(lines: Sequence[CustomerMonth], title: str, path: Path) -> None:
    """Counts per customer on the left, median working hours to intake on the right."""
    names = [line.customer for line in lines]
    fig = Figure(figsize=(max(8.0, 2.2 * len(names) + 4), 4.5))
    FigureCanvasAgg(fig)
    counts, hours = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / len(_SERIES)
    for i, (attr, label, colour) in enumerate(_SERIES):
        xs = [n + (i - 1.5) * width for n in range(len(names))]
        counts.bar(xs, [getattr(line, attr) for line in lines], width, label=label, color=colour)
    counts.set_xticks(range(len(names)), names, rotation=15, ha="right")
    counts.set_ylabel("requests")
    counts.legend(fontsize="small")
    medians = [line.median_hours or 0.0 for line in lines]
    hours.bar(range(len(names)), medians, 0.6, color="#dd8452")
    hours.set_xticks(range(len(names)), names, rotation=15, ha="right")
    hours.set_ylabel("median working hours to intake")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
