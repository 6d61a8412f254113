"""The daemon as a process of its own, for tests that kill it (``kill -9``) and start it again.

    python -m tracker_bridge.testing.daemon_process --config FILE [--fast] [--systemd]
        [--parser MODULE:FUNCTION]

Loads the settings with :func:`~tracker_bridge.config.load_settings`, opens the bridge on the real
clock and runs the daemon until SIGTERM/SIGINT, then exits 0. ``--fast`` shortens every loop's
interval and the Tracker retry waits, so a crash test sees many cycles per second. Once every
loop runs it prints ``READY`` on stdout (logs go to stderr), so a test can time its kill from
the moment the daemon works rather than from the moment Python started. The real
``tracker-bridge run`` lives in the CLI; this entrypoint exists so the reliability tests do not
depend on it. ``--systemd`` runs it exactly as ``tracker-bridge run`` does (sd_notify: READY,
STATUS, watchdog pings), for tests that emulate the service manager; ``--parser`` names what the
parser workers run, for tests that need a message to hang (the real parser cannot be made to).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import cast

import structlog

from tracker_bridge.cli.run import serve
from tracker_bridge.config import ConfigError, load_settings
from tracker_bridge.config.loading import EX_CONFIG
from tracker_bridge.foundation.clock import SystemClock
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.mail.parse_pool import Parser, inline_parser
from tracker_bridge.observability.log import configure_logging
from tracker_bridge.runtime.daemon import Intervals
from tracker_bridge.runtime.wiring import Overrides, open_bridge
from tracker_bridge.store.instance import (
    EX_ANOTHER_INSTANCE,
    AnotherInstanceError,
    LeadershipLost,
    raise_if_fenced,
)

__all__ = ["FAST_INTERVALS", "READY_LINE", "main", "overrides_for"]

READY_LINE = "READY"
FAST_INTERVALS = Intervals(
    mail_wait=0.5, sync=0.5, rules=1.0, outbox=0.2, backoff_min=0.1, backoff_max=2.0
)
# A fast retry still has several tries: a crash test is about kills, not about Tracker faults.
FAST_RETRY = RetryPolicy(attempts=4, total_seconds=5.0, initial_wait=0.02, max_wait=0.2)

log = structlog.get_logger(__name__)


def overrides_for(*, fast: bool) -> Overrides:
    """The bridge's overrides: short intervals and retries with ``--fast``, else the defaults."""
    if not fast:
        return Overrides()
    return Overrides(intervals=FAST_INTERVALS, tracker_retry=FAST_RETRY)


def _ready() -> None:
    sys.stdout.write(READY_LINE + "\n")
    sys.stdout.flush()


def _parser_named(name: str | None) -> Parser:
    """``module:function``, the parser the workers run (a fault-injecting one, in tests)."""
    if name is None:
        return inline_parser
    module, _, function = name.partition(":")
    found = getattr(importlib.import_module(module), function)
    if not callable(found):
        raise TypeError(f"{name} is not a parser")
    return cast(Parser, found)


async def _serve(config: Path, *, fast: bool, parser: str | None, systemd: bool) -> None:
    settings = load_settings(config)
    over = replace(overrides_for(fast=fast), parser=_parser_named(parser))
    if systemd:  # as `tracker-bridge run`: sd_notify READY, STATUS and the watchdog pings
        await serve(settings, clock=SystemClock(), overrides=over)
        return
    async with open_bridge(settings, clock=SystemClock(), overrides=over) as bridge:
        bridge.daemon.on_ready = _ready
        bridge.daemon.install_signal_handlers()
        await bridge.daemon.run()
        leader = bridge.leadership
        if leader is not None:
            raise_if_fenced(leader.role, leader.name)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tracker_bridge.testing.daemon_process",
        description="Run the tracker-bridge daemon until SIGTERM (a test entrypoint).",
    )
    parser.add_argument("--config", type=Path, required=True, help="the TOML configuration")
    parser.add_argument("--fast", action="store_true", help="short loop intervals and retries")
    parser.add_argument(
        "--parser", metavar="MODULE:FUNCTION", help="what the parser workers run (fault tests)"
    )
    parser.add_argument(
        "--systemd", action="store_true", help="speak sd_notify as `tracker-bridge run` does"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run until stopped; 0 on a clean stop, ``EX_CONFIG`` on a configuration error,
    ``EX_ANOTHER_INSTANCE`` when another daemon is active on the store."""
    args = _parser().parse_args(argv)
    configure_logging(json=True, stream=sys.stderr)
    try:
        asyncio.run(_serve(args.config, fast=args.fast, parser=args.parser, systemd=args.systemd))
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return EX_CONFIG
    except (AnotherInstanceError, LeadershipLost) as exc:
        sys.stderr.write(f"{exc}\n")
        return EX_ANOTHER_INSTANCE
    log.info("daemon_process.exit")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
