"""``tracker-bridge sla-report --month YYYY-MM [--png FILE]``: a month's SLA figures per customer.

The issues come from Tracker: one search per queue for those created in the month (a day of
margin on each side, since Tracker reads zone-less query dates in a zone of its own; the exact
month boundary in the calendar's zone is applied here), then each issue's status history and
comments, read as the daemon reads them. Progress goes to stderr; the table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path

from tracker_bridge.cli.common import (
    Progress,
    calendar_of,
    clock_of,
    local_time,
    read_only_issues,
    run_quietly,
    settings_of,
)
from tracker_bridge.cli.sla_figures import month_bounds, render_table, tally
from tracker_bridge.config import Settings
from tracker_bridge.foundation.extras import require_extra
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.tracker.snapshots import IssueSnapshot

__all__ = ["collect", "created_query", "main"]


def created_query(queue: str, start: datetime, end: datetime) -> str:
    """Issues of ``queue`` created around [start, end), with a day of margin for zones."""
    low = (start - timedelta(days=1)).strftime("%Y-%m-%d")
    high = (end + timedelta(days=1)).strftime("%Y-%m-%d")
    return f'Queue: {queue} Created: "{low}".."{high}" "Sort by": Created ASC'


async def collect(
    settings: Settings, start: datetime, end: datetime, *, concurrency: int = 8
) -> list[IssueView]:
    """The views of every issue created in [start, end) in a queue the bridge serves."""
    queues = sorted({c.queue for c in settings.customers})
    async with read_only_issues(settings) as issues:
        found = []
        for queue in queues:
            found += await issues.gateway.search(created_query(queue, start, end), scroll=True)
        inside = [s for s in found if start <= s.created_at < end]
        progress, done = Progress(len(inside), "issues"), 0
        gate = asyncio.Semaphore(concurrency)  # a few reads at once, not thousands

        async def read(snapshot: IssueSnapshot) -> IssueView | None:
            nonlocal done
            async with gate:
                view = await issues.view_of(snapshot)
            done += 1
            progress.update(done)
            return view

        views = await asyncio.gather(*(read(s) for s in inside))
        return [view for view in views if view is not None]


def main(args: argparse.Namespace) -> int:
    if args.png:  # before any work: the figures take a while to collect
        require_extra("report", "sla-report --png")
    settings = settings_of(args)
    cal = calendar_of(settings)
    try:
        start, end = month_bounds(args.month, cal)
    except ValueError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    now = clock_of(args).now()
    views = run_quietly(args, collect(settings, start, end))
    names = [c.name for c in settings.customers]
    lines = tally(views, names, now, cal, settings.policy())
    title = f"SLA report for {args.month} ({cal.tz.key}), as of {local_time(now, cal.tz)}"
    sys.stdout.write(render_table(lines, title))
    if args.png:
        # matplotlib takes a second to import: only when a chart is asked for
        from tracker_bridge.cli.sla_chart import draw  # noqa: PLC0415

        draw(lines, f"SLA {args.month}", Path(args.png))
        sys.stdout.write(f"Chart written to {args.png}\n")
    return 0
