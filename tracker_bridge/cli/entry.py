"""The ``tracker-bridge`` command line: a thin argparse front over :mod:`tracker_bridge.cli`.

Every command's work lives in its own module there and is imported only when that command runs,
so ``--help`` and ``run`` start fast. A configuration problem is printed as the config loader
explains it and exits with 78 (EX_CONFIG), which systemd's ``RestartPreventExitStatus=`` knows.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime

from tracker_bridge import __version__

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]
EX_UNAVAILABLE = 69  # sysexits.h: a service (here an optional part of the install) is unavailable


def _cmd_regulation(args: argparse.Namespace) -> int:
    from tracker_bridge.regulation.registry import render_listing

    sys.stdout.write(render_listing(verbose=args.verbose))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from tracker_bridge.foundation.extras import require_extra

    require_extra("demo", "tracker-bridge demo")
    from tracker_bridge.demo import run_demo

    return run_demo(sys.stdout)


def _cmd_run(args: argparse.Namespace) -> int:
    from tracker_bridge.cli import run

    return run.main(args)


def _cmd_check(args: argparse.Namespace) -> int:
    from tracker_bridge.cli import check

    return check.main(args)


def _cmd_explain(args: argparse.Namespace) -> int:
    from tracker_bridge.cli import explain

    return explain.main(args)


def _cmd_sla_report(args: argparse.Namespace) -> int:
    from tracker_bridge.cli import sla_report

    return sla_report.main(args)


def _cmd_quarantine(args: argparse.Namespace) -> int:
    from tracker_bridge.cli import quarantine

    return quarantine.main(args)


def _cmd_suppressions(args: argparse.Namespace) -> int:
    from tracker_bridge.cli import suppressions

    return suppressions.main(args)


def _cmd_replay(args: argparse.Namespace) -> int:
    from tracker_bridge.cli.replay import main as replay

    return replay(args)


def _cmd_webhook(args: argparse.Namespace) -> int:
    from tracker_bridge.cli import webhook

    return webhook.main(args)


def _cmd_backup(args: argparse.Namespace) -> int:
    from tracker_bridge.cli import backup

    return backup.main(args)


def _moment(text: str) -> datetime:
    """``--now``: an ISO 8601 moment with its zone offset (without one it would be a guess)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a zone offset, e.g. {text}+03:00")
    return moment


def _common() -> argparse.ArgumentParser:
    """Options every command accepts, after the command name too."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="the TOML configuration (default: $TRACKER_BRIDGE_CONFIG, "
        "else /etc/tracker-bridge/tracker-bridge.toml)",
    )
    common.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="say more"
    )
    # Hidden: a fixed "now" for tests and for replaying what happened at a past moment.
    common.add_argument(
        "--now", metavar="ISO", type=_moment, default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    return common


def _add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = [_common()]

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, parents=common, help=help_text, description=help_text)
        parser.set_defaults(handler=handler)
        return parser

    run = add("run", _cmd_run, "run the daemon (systemd Type=notify service)")
    run.add_argument(
        "--sync-interval", type=float, metavar="SECONDS", help="poll Tracker this often (30)"
    )
    check = add("check", _cmd_check, "check the configuration and every connection; a ✓/✗ report")
    check.add_argument(
        "--live",
        action="store_true",
        help="also probe what Tracker does where its docs are silent (writes in --sandbox only)",
    )
    check.add_argument(
        "--sandbox", metavar="QUEUE", help="the sandbox queue --live may write to (required)"
    )
    add("regulation", _cmd_regulation, "list clauses R1–R22 with their code and tests")
    add("demo", _cmd_demo, "the regulation played on built-in fakes; needs no configuration")
    explain = add("explain", _cmd_explain, "an issue's SLA clocks: counted, paused, skipped time")
    explain.add_argument("key", metavar="KEY", help="the issue key, e.g. SUP-12")
    report = add("sla-report", _cmd_sla_report, "a month's SLA figures per customer")
    report.add_argument("--month", required=True, metavar="YYYY-MM", help="the month to report")
    report.add_argument("--png", metavar="FILE", help="also draw the figures as a PNG chart")
    _add_quarantine(add("quarantine", _cmd_quarantine, "mail kept aside: list or release it"))
    suppressed = add(
        "suppressions",
        _cmd_suppressions,
        "addresses not mailed (a recipient's refusal): list or lift",
    )
    suppressing = suppressed.add_subparsers(dest="action", required=True, metavar="ACTION")
    suppressing.add_parser("list", parents=common, help="suppressed addresses, with why and when")
    lift = suppressing.add_parser("lift", parents=common, help="mail an address again")
    lift.add_argument("address", metavar="ADDRESS", help="the address `suppressions list` shows")
    replay = add("replay", _cmd_replay, "what an email would do, without doing anything")
    replay.add_argument("file", metavar="FILE.eml", help="the raw message")
    replay.add_argument(
        "--dry-run", action="store_true", required=True, help="required: replay never acts"
    )
    replay.add_argument("--offline", action="store_true", help="do not ask Tracker")
    webhook = add("webhook", _cmd_webhook, "Tracker's trigger that calls the daemon's webhook")
    actions = webhook.add_subparsers(dest="action", required=True, metavar="ACTION")
    install = actions.add_parser(
        "install", parents=common, help="create or update each queue's trigger (idempotent)"
    )
    install.add_argument("--dry-run", action="store_true", help="only say what would be done")
    backup = add("backup", _cmd_backup, "a consistent copy of the state database, while it runs")
    backup.add_argument(
        "target", nargs="?", metavar="TARGET",
        help="a file, or a directory for state-<time>.sqlite3 (default: backups/ by the store)",
    )  # fmt: skip


def _add_quarantine(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = [_common()]
    listing = actions.add_parser(
        "list", parents=common, help="messages held (and released, with --all)"
    )
    listing.add_argument("--all", action="store_true", help="include released messages")
    release = actions.add_parser(
        "release", parents=common, help="hand a held message to the intake again"
    )
    release.add_argument("id", type=int, metavar="ID", help="the number `quarantine list` shows")
    release.add_argument("--force", action="store_true", help="re-inject a message released before")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracker-bridge",
        description="Run a customer-support regulation on top of Yandex Tracker.",
        parents=[_common()],
    )
    parser.add_argument("--version", action="version", version=f"tracker-bridge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for name, default in (("config", None), ("verbose", False), ("now", None)):
        if not hasattr(args, name):
            setattr(args, name, default)
    from tracker_bridge.cli.terminal import safe_output

    handler: Handler = args.handler
    with safe_output():  # mail text shown to the operator must not drive the terminal
        return _run(handler, args)


def _run(handler: Handler, args: argparse.Namespace) -> int:
    from tracker_bridge.config import EX_CONFIG, ConfigError
    from tracker_bridge.foundation.extras import MissingExtraError

    try:
        return handler(args)
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return EX_CONFIG
    except MissingExtraError as exc:
        sys.stderr.write(f"{exc}\n")
        return EX_UNAVAILABLE
    except Exception as exc:  # a report that cannot be made: say why, in one line
        if args.verbose:
            traceback.print_exc()
        sys.stderr.write(f"tracker-bridge {args.command}: {type(exc).__name__}: {exc}\n")
        return 1
