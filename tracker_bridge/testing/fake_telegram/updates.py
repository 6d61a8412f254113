"""The update side of FakeTelegram: getUpdates long polling, offsets, webhook stand-ins.

Updates are queued by ``inject_*``; a ``getUpdates`` waits (releasing the world's lock) until
one is deliverable or its timeout passes, like the real long poll. Offsets confirm updates and
a newer poll ends a waiting one with 409, as when two bot instances poll.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from tracker_bridge.testing.fake_telegram.api import ApiError
from tracker_bridge.testing.fake_telegram.state import World

__all__ = ["CONFLICT", "delete_webhook", "get_updates", "get_webhook_info"]

JSON = dict[str, Any]
MAX_POLL_SECONDS = 50
CLOCK_LOOK = 0.05  # how often a waiting poll looks at the clock (real seconds)
CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
# Without allowed_updates the API sends every kind except these (they need opting in).
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def get_updates(world: World, params: JSON) -> list[JSON]:
    _confirm(world, params.get("offset"))
    if "allowed_updates" in params:
        world.allowed_updates = list(params["allowed_updates"] or [])
    limit = min(max(int(params.get("limit") or 100), 1), 100)
    timeout = min(max(int(params.get("timeout") or 0), 0), MAX_POLL_SECONDS)
    world.poll_generation += 1
    mine = world.poll_generation
    # Long polling: the waiting releases the lock, and inject_* wakes it at once. The timeout
    # is counted on the fake's clock (a test's ManualClock moves it; with the system clock it is
    # real time) and never outlasts real time, which the client's read timeout counts in.
    ends = world.clock.now() + timedelta(seconds=timeout)
    real_end = time.monotonic() + timeout
    world.polls_waiting += 1
    world.changed.notify_all()
    try:
        while (
            not (world.closing or world.poll_generation != mine or bool(_deliverable(world)))
            and (left := real_end - time.monotonic()) > 0
            and world.clock.now() < ends
        ):
            world.changed.wait(min(left, CLOCK_LOOK))
    finally:
        world.polls_waiting -= 1
    if world.poll_generation != mine:
        raise ApiError(409, CONFLICT)  # a newer poll took over, as with two bot instances
    return [] if world.closing else _deliverable(world)[:limit]


def _confirm(world: World, offset: int | None) -> None:
    if offset is None or offset == 0:
        return
    if offset < 0:
        world.updates = world.updates[offset:]
    else:
        world.updates = [u for u in world.updates if u["update_id"] >= offset]


def _deliverable(world: World) -> list[JSON]:
    def allowed(update: JSON) -> bool:
        kind = next(key for key in update if key != "update_id")
        if world.allowed_updates:
            return kind in world.allowed_updates
        return kind not in _OPT_IN_UPDATES

    # Updates of a kind the bot did not ask for are never delivered, so they are dropped.
    world.updates = [update for update in world.updates if allowed(update)]
    return world.updates


def delete_webhook(world: World, params: JSON) -> bool:
    if params.get("drop_pending_updates"):
        world.updates.clear()
    return True


def get_webhook_info(world: World, _params: JSON) -> JSON:
    return {"url": "", "has_custom_certificate": False, "pending_update_count": len(world.updates)}
