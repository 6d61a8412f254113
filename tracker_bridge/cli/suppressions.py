"""``tracker-bridge suppressions list|lift ADDRESS``: addresses the outbox no longer mails.

An address is suppressed only when a recipient's own server refused it for good (unknown user,
mailbox full or disabled — :class:`~tracker_bridge.mail.errors.RecipientRefused`), never for the
SMTP server's own errors (a wrong password, a relay refusal), which are an outage. ``list``
shows each address with the refusal and when it came; ``lift`` mails it again (the customer
fixed the mailbox, or the refusal was a mistake).
"""

from __future__ import annotations

import argparse
import sys

import structlog

from tracker_bridge.cli.common import (
    calendar_of,
    existing_store,
    local_time,
    quiet_logging,
    settings_of,
)

__all__ = ["main"]

log = structlog.get_logger(__name__)


def main(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    with quiet_logging(args), existing_store(settings) as store:
        if store is None:
            sys.stderr.write(f"no store at {settings.store_path}: nothing was ever suppressed\n")
            return 1
        if args.action == "list":
            zone = calendar_of(settings).tz
            rows = store.bounced()
            for address, reason, at in rows:
                sys.stdout.write(f"{address:<40}  {local_time(at, zone)}  {reason}\n")
            if not rows:
                sys.stdout.write("no suppressed address\n")
            return 0
        if not store.lift_bounce(args.address):
            sys.stderr.write(f"{args.address} is not suppressed\n")
            return 1
        log.info("suppression.lifted", address=args.address, why="operator")
        sys.stdout.write(f"lifted: {args.address} is mailed again\n")
        return 0
