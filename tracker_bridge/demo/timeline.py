"""Printing the story: what arrived, what the daemon did (as observed), which clause; the summary.

Every ``check`` is a claim the demo verifies against what it observed; a failed one is printed
with ✗, shows in the summary and makes the demo exit non-zero.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from tracker_bridge.demo.observe import Batch, Change, Post
from tracker_bridge.demo.world import MSK
from tracker_bridge.regulation.registry import CLAUSES

__all__ = ["SAFETY", "Timeline", "when"]

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SAFETY = "safety"
_ROBOT = "robot-tracker-bridge"
_MARKER = re.compile(r"<!--.*?-->", re.S)  # the bridge's hidden marker on customer comments
_QUIET = frozenset({"previousStatus", "statusStartTime"})  # bookkeeping Tracker does itself


@dataclass
class _Row:
    shown: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Timeline:
    """Writes the timeline to ``out`` and keeps the score of every clause."""

    def __init__(self, out: TextIO, now: Callable[[], datetime]) -> None:
        self._out, self._now = out, now
        self._rows: dict[str, _Row] = {c.id: _Row() for c in CLAUSES}
        self._rows[SAFETY] = _Row()

    def write(self, text: str = "") -> None:
        self._out.write(text + "\n")

    def scene(self, title: str) -> None:
        self.write()
        self.write(f"── {title} " + "─" * max(3, 70 - len(title)))

    def _stamp(self) -> str:
        return when(self._now())

    def event(self, text: str) -> None:
        """Something from outside: an email arrives, support acts, time passes."""
        self.write(f"[{self._stamp()}] {text}")

    def show(self, batch: Batch) -> None:
        """What the daemon did, as the records show it."""
        for outcome in batch.outcomes:
            rec = outcome.record
            key = f" → {rec.issue_key}" if rec.issue_key else ""
            self._line("mail", f"{rec.outcome}{key} ({rec.reason})")
        for change in batch.changes:
            self._line("Tracker", _change_text(change))
        for post in _latest_edits(batch.posts):
            self._line("Telegram", _post_text(post))
        for message in batch.emails:
            self._line("email", f"to {message['To']}: «{message['Subject']}»")

    def note(self, text: str) -> None:
        self._line("", text)

    def _line(self, source: str, text: str) -> None:
        label = f"{source}:" if source else ""
        self.write(f"      {label:<9} {text}")

    def check(self, clause: str, shown: str, ok: bool) -> bool:
        """Record that ``clause`` was (or was not) shown doing ``shown``."""
        row = self._rows[clause]
        (row.shown if ok else row.failed).append(shown)
        self.write(f"      {'✓' if ok else '✗'} {clause}: {shown}")
        return ok

    @property
    def ok(self) -> bool:
        return all(self._verdict(cid, row) != "✗" for cid, row in self._rows.items())

    def _verdict(self, clause: str, row: _Row) -> str:
        if clause == "R3":
            return "—"
        return "✓" if row.shown and not row.failed else "✗"

    def summary(self) -> None:
        self.write()
        self.write("Summary: every clause, what the run showed, and whether it held")
        self.write(f"{'clause':<7}{'':2}what was shown")
        for clause, row in self._rows.items():
            mark = self._verdict(clause, row)
            if clause == "R3":
                items = ["out of scope: SSH access to the clinic's server has no software role"]
            else:
                items = row.shown + [f"NOT SHOWN: {f}" for f in row.failed] or ["—"]
            self.write(f"{clause:<7}{mark:<2}{items[0]}")
            for item in items[1:]:
                self.write(f"{'':9}{item}")


def _change_text(change: Change) -> str:
    who = "bridge" if change.by == _ROBOT else f"{change.by} (support)"
    created = change.kind == "IssueCreated"
    parts = [
        f"{name}={_value(new)}" if created else f"{name} {_value(old)} → {_value(new)}"
        for name, (old, new) in change.fields.items()
        if name not in _QUIET
    ]
    parts += [f"comment «{_short(_MARKER.sub('', text), 60)}»" for text in change.comments]
    parts += [f"link {link}" for link in change.links]
    parts += [f"file {name}" for name in change.attachments]
    what = {"IssueCreated": "created", "IssueWorkflow": "moved"}.get(change.kind, "")
    body = ", ".join(parts) if parts else change.kind
    return f"{change.issue} by {who}: {what + ' ' if what else ''}{body}"


def _latest_edits(posts: list[Post]) -> list[Post]:
    """Edits of one card in one step as one line: how many Telegram made of them depends on
    the coalescing of edits in real time, what the card finally shows does not."""
    out: list[Post] = []
    for i, post in enumerate(posts):
        later = posts[i + 1 :]
        if post.how == "edited" and any(
            p.how == "edited" and p.message.message_id == post.message.message_id for p in later
        ):
            continue
        out.append(post)
    return out


def _post_text(post: Post) -> str:
    reply = f" (reply to #{post.message.reply_to})" if post.message.reply_to else ""
    return f"{post.how} #{post.message.message_id}{reply}: {_short(post.headline, 90)}"


def when(moment: datetime | None) -> str:
    """A moment as the timeline prints it: Moscow time, ``Mon 02.03 10:00``."""
    if moment is None:
        return "none"
    local = moment.astimezone(MSK)
    return f"{DAYS[local.weekday()]} {local:%d.%m %H:%M}"


def _value(value: object) -> str:
    """A field value as a person reads it: times in Moscow time, the rest shortened."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)", value):
        with contextlib.suppress(ValueError):
            return when(datetime.fromisoformat(value))
    return _short(value)


def _short(value: object, limit: int = 40) -> str:
    text = "∅" if value is None else " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
