"""What several commands share: the config, ``now``, Tracker access without side effects, output.

Commands other than ``run`` keep stdout for their report: their logs go to stderr, warnings
only unless ``-v``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, nullcontext
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, TextIO, TypeVar

from tracker_bridge.config import Settings, load_settings
from tracker_bridge.config.sources import CONFIG_ENV
from tracker_bridge.foundation.clock import Clock, ManualClock, SystemClock
from tracker_bridge.observability.log import configure_logging, reset_logging
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import IssueView
from tracker_bridge.runtime.wiring import gateway_for
from tracker_bridge.service.issue_reader import customer_of
from tracker_bridge.store.protocol import Store
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.tracker.errors import TrackerNotFound
from tracker_bridge.tracker.gateway import TrackerGateway
from tracker_bridge.tracker.snapshots import IssueSnapshot
from tracker_bridge.tracker.sync import read_view
from tracker_bridge.tracker.views import StoreFacts, ViewSettings

__all__ = [
    "DEFAULT_CONFIG",
    "Progress",
    "ReadOnlyIssues",
    "calendar_of",
    "clock_of",
    "config_path",
    "customer_of",
    "existing_store",
    "local_time",
    "on_existing_store",
    "quiet_logging",
    "read_only_issues",
    "run_quietly",
    "settings_of",
    "tracker_gateway",
]

_T = TypeVar("_T")

DEFAULT_CONFIG = Path("/etc/tracker-bridge/tracker-bridge.toml")


def config_path(args: argparse.Namespace) -> Path:
    """``--config``, else ``$TRACKER_BRIDGE_CONFIG``, else the packaged location under /etc."""
    if args.config:
        return Path(args.config)
    named = os.environ.get(CONFIG_ENV)
    return Path(named) if named else DEFAULT_CONFIG


def settings_of(args: argparse.Namespace) -> Settings:
    """The validated settings (a :class:`~tracker_bridge.config.ConfigError` says what is wrong)."""
    return load_settings(config_path(args))


@contextmanager
def quiet_logging(args: argparse.Namespace) -> Iterator[None]:
    """Logs to stderr while the command runs, so that stdout carries only its report.

    Without ``-v`` only critical events: a command reports its own failures in its output, and
    a library's log of the same failure (the Tracker client logs every 4xx) would only repeat it.
    """
    configure_logging(level="debug" if args.verbose else "critical", stream=sys.stderr)
    try:
        yield
    finally:
        reset_logging()


def run_quietly(args: argparse.Namespace, work: Coroutine[Any, Any, _T]) -> _T:
    """Run a command's asynchronous ``work`` to its end with :func:`quiet_logging`."""
    with quiet_logging(args):
        return asyncio.run(work)


def clock_of(args: argparse.Namespace) -> Clock:
    """The system clock, or a fixed one at the hidden ``--now`` (tests, replaying the past)."""
    return SystemClock() if args.now is None else ManualClock(args.now)


def calendar_of(settings: Settings) -> WorkCalendar:
    return settings.to_calendar()


def local_time(moment: datetime, zone: tzinfo) -> str:
    """A moment as support reads it: in the calendar's zone, with the zone's abbreviation."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def tracker_gateway(settings: Settings) -> TrackerGateway:
    """A gateway configured as the daemon's (close it with ``async with``)."""
    return gateway_for(settings)


def existing_store(settings: Settings) -> AbstractContextManager[Store | None]:
    """The daemon's store if its file exists (never created here), else nothing."""
    path = settings.store_path
    if not path.is_file():
        return nullcontext(None)
    return SqliteStore(path)


@asynccontextmanager
async def read_only_issues(settings: Settings) -> AsyncIterator[ReadOnlyIssues]:
    """The daemon's store (if it exists) and a gateway, read through :class:`ReadOnlyIssues`;
    both closed on leaving the block."""
    with existing_store(settings) as store:
        async with tracker_gateway(settings) as gateway:
            yield await ReadOnlyIssues.connect(gateway, settings, store)


def on_existing_store(
    args: argparse.Namespace, nothing_yet: str, work: Callable[[Settings, Store], int]
) -> int:
    """``work`` on the daemon's store with :func:`quiet_logging`, its exit code; with no store
    yet, says so (``nothing_yet``: what that means for the command) and exits 1."""
    settings = settings_of(args)
    with quiet_logging(args), existing_store(settings) as store:
        if store is None:
            sys.stderr.write(f"no store at {settings.store_path}: {nothing_yet}\n")
            return 1
        return work(settings, store)


class ReadOnlyIssues:
    """Reads issues as the daemon's reader does, but never writes to the store.

    The daemon starts tracking an issue the first time it reads it; a report or a dry run must
    not, so an untracked issue's customer is found from its queue here.
    """

    def __init__(
        self,
        gateway: TrackerGateway,
        settings: Settings,
        store: Store | None,
        robot_uid: str | None,
    ) -> None:
        self.gateway, self._store = gateway, store
        self._customers = settings.customers_core()
        self._view = ViewSettings(
            settings.status_map(), robot_uid, settings.tracker.fields.by_logical_name()
        )

    @classmethod
    async def connect(
        cls, gateway: TrackerGateway, settings: Settings, store: Store | None
    ) -> ReadOnlyIssues:
        robot = await gateway.myself()
        return cls(gateway, settings, store, robot.uid)

    async def view(self, key: str) -> IssueView | None:
        try:
            snapshot = await self.gateway.issue(key)
        except TrackerNotFound:
            return None
        return await self.view_of(snapshot)

    async def view_of(self, snapshot: IssueSnapshot) -> IssueView | None:
        facts = self._facts(snapshot)
        if facts is None:
            return None
        return await read_view(self.gateway, snapshot, facts, self._view)

    def _facts(self, snapshot: IssueSnapshot) -> StoreFacts | None:
        tracked = self._store.tracked(snapshot.key) if self._store is not None else None
        if tracked is not None and self._store is not None:
            return StoreFacts(
                tracked.customer,
                tracked.requester,
                tracked.since,
                self._store.done_keys(snapshot.key),
                own_comments=self._store.own_comments(snapshot.key),
            )
        customer = customer_of(snapshot, self._customers)
        return None if customer is None else StoreFacts(customer.name)


class Progress:
    """``12/120 issues`` on stderr, rewritten in place on a terminal, a line per tenth otherwise."""

    def __init__(self, total: int, what: str, out: TextIO | None = None) -> None:
        self._total, self._what = total, what
        self._out = sys.stderr if out is None else out
        self._tty = self._out.isatty()
        self._step = max(1, total // 10)

    def update(self, done: int) -> None:
        if self._tty:
            self._out.write(f"\r{done}/{self._total} {self._what}")
        elif done % self._step == 0 or done == self._total:
            self._out.write(f"{done}/{self._total} {self._what}\n")
        if self._tty and done == self._total:
            self._out.write("\n")
        self._out.flush()
