"""What a command sees and answers: who may act where, the incoming message, the answer.

Plain frozen values, so :mod:`.commands` stays a pure function of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker_bridge.regulation.actions import Action
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import Customer, IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.telegram.text import CardSettings

__all__ = ["Access", "Incoming", "Prompt", "Reply", "Situation"]


@dataclass(frozen=True)
class Access:
    """Who may do what: chat id → customer, Telegram user id → Tracker login."""

    chats: Mapping[int, Customer]
    logins: Mapping[int, str]
    new_priority: str = "critical"  # /new registers an urgent request (R5)

    @classmethod
    def from_customers(
        cls,
        customers: Iterable[Customer],
        logins: Mapping[int, str],
        new_priority: str = "critical",
    ) -> Access:
        chats = {c.telegram_chat_id: c for c in customers if c.telegram_chat_id is not None}
        return cls(chats, dict(logins), new_priority)


@dataclass(frozen=True)
class Prompt:
    """What a prompt asks for: its answer is read as the command ``verb`` on issue ``key``."""

    verb: str
    key: str


@dataclass(frozen=True)
class Incoming:
    """A message or a button press; ``text`` is the message text or the button's data."""

    chat_id: int
    user_id: int
    author: str
    text: str
    event_id: str  # "tg:<chat>:<message>" or "tgcb:<callback query id>"
    answers: Prompt | None = None  # the bot's prompt this message replies to, known by its id


def _never_finished(_key: str) -> str | None:
    return None


@dataclass(frozen=True)
class Situation:
    """What the reading commands look at, gathered by the shell just before the call.

    ``views`` are the open requests (a finished one is not kept in memory); ``finished`` tells
    the customer of a finished request by its key (``None``: not a finished one).
    """

    views: Sequence[IssueView]
    now: datetime
    cal: WorkCalendar
    policy: Policy
    cards: CardSettings
    finished: Callable[[str], str | None] = _never_finished


@dataclass(frozen=True)
class Reply:
    """What to answer: a chat message (HTML), a button toast (plain), and the actions."""

    html: str | None = None
    notice: str | None = None
    actions: tuple[Action, ...] = ()
    # ``html`` asks for an answer: sent with a force-reply, and a reply to it is this command
    prompt: Prompt | None = None
    refused: bool = False
