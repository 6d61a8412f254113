"""The ``tracker-bridge`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from tracker_bridge import __version__

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def _cmd_regulation(args: argparse.Namespace) -> int:
    from tracker_bridge.regulation.registry import render_listing

    sys.stdout.write(render_listing(verbose=args.verbose))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from tracker_bridge.demo import run_demo

    return run_demo(sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracker-bridge",
        description="Run a customer-support regulation on top of Yandex Tracker.",
    )
    parser.add_argument("--version", action="version", version=f"tracker-bridge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    reg = sub.add_parser("regulation", help="list clauses R1–R22 with their code and tests")
    reg.add_argument("-v", "--verbose", action="store_true", help="show the full clause texts")
    reg.set_defaults(handler=_cmd_regulation)

    demo = sub.add_parser("demo", help="a walk through the regulation on a made-up request")
    demo.set_defaults(handler=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)
