"""``tracker-bridge webhook install``: create or update each queue's trigger in Tracker.

Idempotent (:mod:`tracker_bridge.webhook.setup`): run it after setting ``[webhook]`` and after
changing ``webhook_secret`` or ``webhook.public_url``; ``--dry-run`` only says what it would do.
Exit 0 when every queue's trigger is (or would be) right.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from tracker_bridge.cli.common import quiet_logging, settings_of, tracker_gateway
from tracker_bridge.config import Settings
from tracker_bridge.runtime.wiring import secret_of
from tracker_bridge.tracker.check import CheckLine
from tracker_bridge.webhook.setup import install_triggers

__all__ = ["install", "main"]


async def install(settings: Settings, *, dry_run: bool = False) -> list[CheckLine]:
    async with tracker_gateway(settings) as gateway:
        return await install_triggers(
            gateway,
            queues=sorted({c.queue for c in settings.customers}),
            hook=settings.webhook,
            secret=secret_of(settings.webhook_secret),
            dry_run=dry_run,
        )


def main(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    with quiet_logging(args):
        lines = asyncio.run(install(settings, dry_run=args.dry_run))
    out = [f"✓ {x.what}" if x.ok else f"✗ {x.what} — {x.fix}" for x in lines]
    sys.stdout.write("\n".join(out) + "\n")
    return 0 if all(x.ok for x in lines) else 1
