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
from functools import partial

import structlog

from tracker_bridge.cli.common import calendar_of, local_time, on_existing_store
from tracker_bridge.config import Settings
from tracker_bridge.store.protocol import Store

__all__ = ["main"]

log = structlog.get_logger(__name__)


def main(args: argparse.Namespace) -> int:
    return on_existing_store(args, "nothing was ever suppressed", partial(_act, args))


def _act(args: argparse.Namespace, settings: Settings, store: Store) -> int:
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
