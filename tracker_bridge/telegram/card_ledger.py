"""Where a card lives, recorded on its issue in Tracker: it survives the state database.

The store keeps each request's card (chat, message id). If the database is lost or an older
backup restored, the next pass would post a second card for every request in the group. So when a
card is posted its address is also written to the issue as a tag, ``telegram-card:<chat>:<id>``
(tags are a standard field of every queue, need no setup, and the issue is read anyway); a
mirror that finds no card in its store reads the view's tags before posting and edits that
message instead.

What the Bot API cannot give: an idempotency key for ``sendMessage``, or a way for a bot to read
a chat's messages. A crash after Telegram took a new card and before its id was recorded (a few
milliseconds) therefore still leaves one extra card on the next attempt: at-least-once with no
identity to recognise it by (probing message ids with an edit would rewrite other messages of
the bot). docs/operations.md lists it among the effects that are not exactly-once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

import structlog

from tracker_bridge.tracker.errors import TrackerPermanent, TrackerTransient

__all__ = ["CARD_TAG", "CardLedger", "TrackerCardLedger", "card_in_tags", "card_tag"]

CARD_TAG = "telegram-card"
log = structlog.get_logger(__name__)
_TAG = re.compile(rf"^{CARD_TAG}:(-?\d+):(\d+)$")


def card_tag(chat_id: int, message_id: int) -> str:
    return f"{CARD_TAG}:{chat_id}:{message_id}"


def card_in_tags(tags: Iterable[str], chat_id: int) -> int | None:
    """The latest card message id the issue's tags record for ``chat_id``."""
    ids = [int(m[2]) for t in tags if (m := _TAG.match(t)) and int(m[1]) == chat_id]
    return max(ids, default=None)


class CardLedger(Protocol):
    """Records a posted card on its issue; never raises for an outage of where it records."""

    async def note(self, issue_key: str, chat_id: int, message_id: int) -> None: ...


class _Updates(Protocol):
    async def update_issue(self, key: str, fields: dict[str, Any]) -> object: ...


class TrackerCardLedger:
    """:class:`CardLedger` on the Tracker gateway: adds the card's tag to the issue."""

    def __init__(self, tracker: _Updates) -> None:
        self._tracker = tracker

    async def note(self, issue_key: str, chat_id: int, message_id: int) -> None:
        """Add the tag. A failure is logged, not raised: the card is out and the store has
        it; only the second record is missing, for a restore that may never come."""
        tag = card_tag(chat_id, message_id)
        try:
            await self._tracker.update_issue(issue_key, {"tags": {"add": [tag]}})
        except (TrackerTransient, TrackerPermanent) as error:
            log.warning("telegram.card_note_failed", issue=issue_key, tag=tag, error=str(error))
