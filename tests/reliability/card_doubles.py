"""Why a request has more than one card after a failover test: each extra card explained from
the chat (FakeTelegram's messages) and the daemons' logs (issue 13.5).

A card the chat has but no daemon logged as posted (``telegram.card_posted`` comes right after
the store recorded its id) was taken by Telegram from a daemon that was killed before it could
record it: the ambiguous window. A card logged twice by one daemon is a retry in one process; by
two daemons, the later leader did not find the earlier card in the store. What the probe found
or missed (``telegram.send_found``, ``telegram.send_resolved``) is named too, so a doubled card
points at its cause.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tracker_bridge.testing.fake_telegram import FakeMessage

__all__ = ["Kill", "explain_doubles"]

_WATCHED = frozenset({
    "telegram.card_posted", "telegram.card_edited", "telegram.card_gone",
    "telegram.card_from_tracker", "effect.retry_later", "effect.failed",
    "leadership.acquired", "telegram.send_found", "telegram.send_resolved",
    "telegram.send_unresolved",
})  # fmt: skip


@dataclass(frozen=True)
class Kill:
    """A SIGKILL the test sent: when (epoch seconds) and to which host's daemon."""

    at: float
    host: str


@dataclass(frozen=True)
class _Line:
    host: str
    at: float
    event: str
    fields: dict[str, object]


def _lines(logs: dict[str, Path]) -> list[_Line]:
    found = []
    for host, path in logs.items():
        if not path.exists():
            continue
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not raw.startswith("{"):
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if record.get("event") not in _WATCHED:
                continue
            at = datetime.fromisoformat(str(record["timestamp"]).replace("Z", "+00:00"))
            found.append(_Line(host, at.timestamp(), str(record["event"]), record))
    return sorted(found, key=lambda line: line.at)


def _about(line: _Line, key: str) -> bool:
    if line.fields.get("issue") == key:
        return True
    action = str(line.fields.get("action", ""))
    return action.startswith(f"card:{key}:")


def _kill_after(kills: Iterable[Kill], at: float) -> str:
    later = [k for k in kills if k.at >= at - 1.0]
    if not later:
        return "no kill followed"
    first = min(later, key=lambda k: k.at)
    return f"{first.host} killed {first.at - at:+.2f} s after"


def explain_doubles(
    cards: dict[str, list[FakeMessage]], logs: dict[str, Path], kills: list[Kill]
) -> list[str]:
    """One line per extra card: the issue, the card messages, and the cause the logs show."""
    lines = _lines(logs)
    found = []
    for key, messages in sorted(cards.items()):
        if len(messages) < 2:
            continue
        about = [line for line in lines if _about(line, key)]
        posted = {
            int(str(line.fields["message_id"])): line
            for line in about
            if line.event == "telegram.card_posted"
        }
        parts = []
        for message in messages:
            line = posted.get(message.message_id)
            if line is None:
                parts.append(
                    f"#{message.message_id} never recorded (ambiguous window; "
                    f"{_kill_after(kills, message.date)})"
                )
            else:
                parts.append(f"#{message.message_id} recorded by {line.host}")
        hosts = {posted[m.message_id].host for m in messages if m.message_id in posted}
        retries = [
            f"{line.host}: {line.event} {str(line.fields.get('error', ''))[:80]}"
            for line in about
            if line.event in {"effect.retry_later", "effect.failed", "telegram.send_unresolved"}
        ]
        if all(m.message_id in posted for m in messages):
            cause = "one process posted twice" if len(hosts) == 1 else "a later leader missed it"
        else:
            cause = "ambiguous window"
        detail = "; ".join(parts)
        extra = f" [{' | '.join(retries[:4])}]" if retries else ""
        found.append(f"{key}: {cause}: {detail}{extra}")
    return found


def card_messages(
    bot_messages: Iterable[FakeMessage], keys: Iterable[str]
) -> dict[str, list[FakeMessage]]:
    """Each request's card messages (the bot's messages with buttons naming it)."""
    cards = [m for m in bot_messages if m.buttons]
    return {key: [m for m in cards if re.search(rf"{key}(?!\d)", m.text)] for key in keys}
