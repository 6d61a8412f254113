"""What happened, read from the real state: emails captured, the fake Tracker's changelog, the
fake Telegram chat, the bridge's store.

The timeline never says what the daemon did on the script's word: after each step the
:class:`Observer` diffs these records against what it saw last time and reports the news.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from tracker_bridge.demo.world import Sent, World
from tracker_bridge.store.records import ProcessedMessage
from tracker_bridge.testing.fake_telegram import FakeMessage
from tracker_bridge.testing.fake_tracker.records import ChangelogRecord

__all__ = ["Batch", "Change", "Observer", "Outcome", "Post", "collect"]

LINGER_STEP = 5.0  # the outbox runs every 5 s of clock time: one of its rounds per step


@dataclass(frozen=True)
class Change:
    """One changelog entry of the fake Tracker, made by ``by`` (a login)."""

    issue: str
    by: str
    kind: str
    fields: dict[str, tuple[Any, Any]]
    comments: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()

    def value(self, name: str) -> Any:
        """The new value of a field this change wrote (None if it did not)."""
        return self.fields.get(name, (None, None))[1]


@dataclass(frozen=True)
class Post:
    """A bot message in the Telegram group: ``posted`` or ``edited``."""

    how: str
    message: FakeMessage

    @property
    def headline(self) -> str:
        """The first two lines, e.g. a card's title and status, or the digest's counts."""
        lines = [line.strip() for line in self.message.text.splitlines() if line.strip()]
        return " · ".join(lines[:2])


@dataclass(frozen=True)
class Outcome:
    """What the intake recorded for one email the demo delivered."""

    sent: Sent
    record: ProcessedMessage


@dataclass
class Batch:
    """The news since the last look."""

    emails: list[EmailMessage] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        self.emails += other.emails
        self.changes += other.changes
        self.posts += other.posts
        self.outcomes += other.outcomes

    def emails_with(self, subject_part: str) -> list[EmailMessage]:
        return [m for m in self.emails if subject_part in str(m["Subject"])]

    def changes_of(self, field_name: str, *, by: str | None = None) -> list[Change]:
        return [c for c in self.changes if field_name in c.fields and (by is None or c.by == by)]


class Observer:
    """Reads the records of every part and hands out what is new."""

    def __init__(self, world: World) -> None:
        self._w = world
        self._emails = 0
        self._changelog: dict[str, int] = {}
        self._edits: dict[int, int] = {}
        self._sent: list[Sent] = []
        self.outcomes: list[Outcome] = []  # every outcome seen so far, for the final tally

    def expect_outcome(self, sent: Sent) -> None:
        """Watch the store for what becomes of this delivered email."""
        self._sent.append(sent)

    def poll(self) -> Batch:
        return Batch(self._new_emails(), self._new_changes(), self._new_posts(), self._outcomes())

    def _new_emails(self) -> list[EmailMessage]:
        messages = self._w.smtp.messages
        new, self._emails = messages[self._emails :], len(messages)
        return new

    def _new_changes(self) -> list[Change]:
        tracker = self._w.tracker
        out: list[Change] = []
        with tracker.lock:
            for key, entries in tracker.changelog.items():
                seen = self._changelog.get(key, 0)
                out += [self._change(e) for e in entries[seen:] if not self._far_end(e)]
                self._changelog[key] = len(entries)
        return out

    def _far_end(self, entry: ChangelogRecord) -> bool:
        """A link is logged on both issues: it is shown once, on the issue it was made from."""
        links = self._w.tracker.links
        return entry.type == "IssueLinked" and all(
            i in links and links[i].source != entry.issue for i in entry.links_added
        )

    def _change(self, entry: ChangelogRecord) -> Change:
        tracker = self._w.tracker
        user = tracker.users.get(entry.updated_by)
        comments = tuple(
            c.text for c in tracker.comments.get(entry.issue, []) if c.id in entry.comments_added
        )
        links = tuple(
            f"{ln.source} {ln.type} {ln.target}"
            for i, ln in tracker.links.items()
            if i in entry.links_added
        )
        files = tuple(
            tracker.attachments[a].name for a in entry.attachments_added if a in tracker.attachments
        )
        fields = {_bare(f.field): (_plain(f.before), _plain(f.after)) for f in entry.fields}
        if entry.type == "IssueCreated":
            fields = self._created(entry.issue)
        return Change(
            issue=entry.issue,
            by=user.login if user else entry.updated_by,
            kind=entry.type,
            fields=fields,
            comments=comments,
            links=links,
            attachments=files,
        )

    def _created(self, key: str) -> dict[str, tuple[Any, Any]]:
        """What a new issue was created with: summary, priority, type and its local fields."""
        issue = self._w.tracker.issues[key]
        values = {"summary": issue.summary, "priority": issue.priority, "type": issue.type}
        values.update({k: v for k, v in issue.local.items() if v})
        return {name: (None, value) for name, value in values.items()}

    def _new_posts(self) -> list[Post]:
        out: list[Post] = []
        for message in self._w.telegram.sent:
            seen = self._edits.get(message.message_id)
            if seen is None:
                out.append(Post("posted", message))
            elif message.edits > seen:
                out.append(Post("edited", message))
            self._edits[message.message_id] = message.edits
        return out

    def _outcomes(self) -> list[Outcome]:
        store = self._w.bridge.store
        out: list[Outcome] = []
        for sent in list(self._sent):
            record = store.message_outcome(sent.message_id.strip("<>"))
            if record is not None:
                out.append(Outcome(sent, record))
                self._sent.remove(sent)
        self.outcomes += out
        return out


def _bare(field_id: str) -> str:
    """``6063…--slaDeadline`` → ``slaDeadline``."""
    return field_id.split("--", 1)[-1]


def _plain(value: Any) -> Any:
    """A rendered Tracker value as one word: a reference's key (status, priority, user)."""
    if isinstance(value, dict):
        return value.get("key") or value.get("login") or value.get("display") or value.get("id")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


async def collect(
    world: World,
    observer: Observer,
    until: Callable[[Batch], bool],
    *,
    seen: Batch | None = None,
    step: float = 2.0,
    limit: float = 900.0,
    linger: float = 20.0,
) -> tuple[Batch, bool]:
    """Run the clock until what was observed satisfies ``until`` (or ``limit`` clock seconds
    pass), then ``linger`` a little so the stragglers of the same event are seen too. ``seen``
    is news already shown that counts towards ``until``; the batch returned is only the new."""
    batch, moved = Batch(), 0.0
    while True:
        await world.idle()
        batch.extend(observer.poll())
        both = Batch()
        both.extend(seen or Batch())
        both.extend(batch)
        if until(both):
            break
        if world.task.done():
            world.task.result()
            raise RuntimeError("the daemon stopped")
        if moved >= limit:
            return batch, False
        world.clock.advance(step)
        moved += step
    await world.settle(linger, step=LINGER_STEP)
    batch.extend(observer.poll())
    return batch, True
