"""``tracker-bridge quarantine list|release ID``: mail kept aside for a person to look at.

``release`` marks the item released in the store *first* and then puts the kept raw message back
into the intake mailbox (Maildir ``new/``, or IMAP APPEND to the inbox). In that order the daemon,
meeting the message again, sees the release and handles it anew instead of taking it for a
duplicate (:meth:`tracker_bridge.service.intake.Intake.handle`). The copy in the quarantine folder
stays
where it is: nothing is ever deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, tzinfo
from functools import partial

from tracker_bridge.cli.common import calendar_of, clock_of, local_time, on_existing_store
from tracker_bridge.cli.mailbox import reinject
from tracker_bridge.config import Settings
from tracker_bridge.store.protocol import Store
from tracker_bridge.store.records import QuarantineItem

__all__ = ["main", "render_list"]


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_list(items: list[QuarantineItem], zone: tzinfo) -> str:
    """A table: id, when, sender, subject, reason (and when released, for released items)."""
    if not items:
        return "The quarantine is empty.\n"
    head = f"{'ID':>4}  {'RECEIVED':<20}  {'FROM':<30}  {'SUBJECT':<30}  REASON"
    rows = [head]
    for item in items:
        released = f" [released {local_time(item.released_at, zone)}]" if item.released_at else ""
        rows.append(
            f"{item.id:>4}  {local_time(item.at, zone):<20}  {_short(item.sender, 30):<30}  "
            f"{_short(item.subject, 30):<30}  {item.reason}{released}"
        )
    return "\n".join(rows) + "\n"


def _release(store: Store, settings: Settings, item_id: int, now: datetime, force: bool) -> int:
    item = store.quarantine_get(item_id)
    if item is None:
        sys.stderr.write(
            f"no quarantined message #{item_id}: see `tracker-bridge quarantine list`\n"
        )
        return 1
    if item.released_at is not None and not force:
        when = local_time(item.released_at, calendar_of(settings).tz)
        sys.stderr.write(f"#{item_id} was released at {when}; --force puts it back again\n")
        return 1
    if item.raw is None:
        sys.stderr.write(
            f"#{item_id}: no copy of the message was kept; move it back to the inbox by hand "
            f"from the {settings.mail.folders.quarantine!r} folder\n"
        )
        return 1
    store.quarantine_release(item_id, now)
    where = asyncio.run(reinject(settings, item.raw))
    sys.stdout.write(
        f"released #{item_id} ({item.sender}, «{item.subject}»): put back into {where}; "
        "the daemon handles it again\n"
    )
    return 0


def main(args: argparse.Namespace) -> int:
    return on_existing_store(args, "nothing was ever quarantined", partial(_act, args))


def _act(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    if args.action == "list":
        items = store.quarantine_list(include_released=args.all)
        sys.stdout.write(render_list(items, calendar_of(settings).tz))
        return 0
    return _release(store, settings, args.id, clock_of(args).now(), args.force)
