"""Every message the bot posts is ledgered, so that a kill between Telegram taking a message and
its id being recorded posts nothing twice (issue 13.5).

The Bot API takes no idempotency key for ``sendMessage`` and a bot cannot read its chats. What
it does give: message ids in a chat only grow, and an edit that changes nothing is refused with
its own answer. So the sends to one chat go one at a time (a lock per chat; one leader sends), each
as three steps in the store:

1. an **intent** is committed (under the leader's fencing token, like every write): what the
   message is for (its *purpose*: ``card-post:SUP-1``, an alert's action key), its exact text and
   buttons, and the chat's highest recorded message id at that moment (its *floor*);
2. ``sendMessage``;
3. the message id is recorded on the intent.

An intent without a message id is a send whose outcome is unknown: the process died (or the
request timed out) between 1 and 3. Before anything else is sent to that chat, it is
**resolved**: the ids above its floor are probed with ``editMessageText`` of exactly the
intent's text and buttons. The Bot API answers our own identical message with "Bad Request:
message is not modified: specified new message content and reply markup are exactly the same as
a current content and reply markup of the message" (tdlib/telegram-bot-api, ``Client.cpp``,
``fail_query_with_error``: ``MESSAGE_NOT_MODIFIED``) — found: its id is recorded and it is not
sent again; "message to edit not found" for an id nobody has (yet); "message can't be edited"
for someone else's message. Three ids in a row that nobody has (:data:`PROBE_MISSES`), or
:data:`PROBE_WINDOW` ids, end the probe: the message was not sent and the intent is dropped.
A purpose already recorded with a message id is never sent again: the send answers that id.

Why a probe cannot rewrite another message of the bot: every message the bot posts goes through
here, so each of its messages above the floor is either recorded (and skipped) or the one
intent being resolved — one per chat, since the next send in the chat waits for the resolution.
What is not probed, and therefore stays at least once: an intent with no floor (the first send
to a chat after the database was lost or the ledger emptied — ``tracker-bridge backup`` empties
it in the copy, as a restored database cannot know what was sent after the backup), a
``ForceReply`` prompt (it cannot be edited into the same state), and an intent older than
:data:`PROBE_AGE` (kept from an older backup). A paused former leader that passed its last fence
check before ``sendMessage`` (microseconds) can still post after the new leader resolved.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker_bridge.store.records import SendRecord
from tracker_bridge.telegram.cards import Button

__all__ = [
    "PROBE_AGE",
    "PROBE_MISSES",
    "PROBE_WINDOW",
    "PRUNE_AFTER",
    "Content",
    "Posted",
    "Probe",
    "next_probe",
    "probeable",
]

PROBE_WINDOW = 20  # ids above the floor probed at most (others' messages in between included)
PROBE_MISSES = 3  # ids in a row that nobody has: past the chat's newest message
PROBE_AGE = timedelta(minutes=10)  # an older unresolved intent is from a restored backup
PRUNE_AFTER = timedelta(days=7)  # recorded sends kept this long (the newest per chat always)


class Probe(enum.Enum):
    """What one probing edit found at an id."""

    OURS = "ours"  # "message is not modified": the intent's message
    NOBODY = "nobody"  # "message to edit not found": no message there (yet), or deleted
    OTHER = "other"  # "message can't be edited": someone else's message


@dataclass(frozen=True)
class Content:
    """A message as it is sent: its HTML and buttons, or a ``ForceReply`` prompt."""

    html: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    force_reply: bool = False

    def encode(self) -> str:
        rows = [[[b.text, b.data] for b in row] for row in self.buttons]
        body = {"html": self.html, "buttons": rows, "force_reply": self.force_reply}
        return json.dumps(body, ensure_ascii=False)

    @classmethod
    def decode(cls, text: str) -> Content:
        body = json.loads(text)
        rows = tuple(tuple(Button(t, d) for t, d in row) for row in body["buttons"])
        return cls(str(body["html"]), rows, bool(body["force_reply"]))

    @classmethod
    def of(cls, html: str, buttons: Sequence[Sequence[Button]], *, force_reply: bool) -> Content:
        return cls(html, tuple(tuple(row) for row in buttons), force_reply)


@dataclass(frozen=True)
class Posted:
    """A send's message id; ``fresh`` False: posted earlier for the same purpose (found in the
    ledger or by the probe), so it may show an older text."""

    message_id: int
    fresh: bool


def probeable(intent: SendRecord, now: datetime) -> bool:
    """Whether the intent's message may be looked for (the module doc says when not)."""
    if intent.floor is None or now - intent.at > PROBE_AGE:
        return False
    return not Content.decode(intent.content).force_reply


def next_probe(floor: int, found: Sequence[tuple[int, Probe]], known: frozenset[int]) -> int | None:
    """The next id to probe above ``floor`` after the answers ``found`` so far (ascending), or
    ``None`` when the probe is over without finding the message. Recorded ids are skipped."""
    misses = 0
    for _, answer in found:
        misses = misses + 1 if answer is Probe.NOBODY else 0
    if misses >= PROBE_MISSES or len(found) >= PROBE_WINDOW:
        return None
    candidate = found[-1][0] + 1 if found else floor + 1
    while candidate in known:
        candidate += 1
    return candidate
