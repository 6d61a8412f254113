"""The changelog and comments last read per issue, reused while the issue shows they are current.

A change announced by a webhook costs the issue's snapshot (``GET /v2/issues/<key>``) and then
only what the snapshot shows has changed: the changelog when the issue's ``version`` moved (every
field change, a status or priority among them, bumps it: docs get-issue.md), the comments when
``lastCommentUpdatedAt`` moved. A status change is then two requests, not three; a reminder's
re-evaluation of an unchanged issue one. Bounded (least recently used first out), so memory does
not follow the number of issues: a miss only costs the read it always cost.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker_bridge.tracker.snapshots import ChangelogEntry, CommentInfo, IssueSnapshot

__all__ = ["ReadCache"]

LIMIT = 64


@dataclass(frozen=True)
class _Reads:
    version: str
    changelog: tuple[ChangelogEntry, ...]
    comment_time: datetime | None
    comments: tuple[CommentInfo, ...]


class ReadCache:
    """Per issue key, the last reads and the snapshot stamps they were current for."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._reads: OrderedDict[str, _Reads] = OrderedDict()

    def __len__(self) -> int:
        return len(self._reads)

    def changelog(self, snapshot: IssueSnapshot) -> list[ChangelogEntry] | None:
        """The cached changelog when ``snapshot`` is at the version it was read for."""
        reads = self._reads.get(snapshot.key)
        if reads is None or reads.version != snapshot.version:
            return None
        self._reads.move_to_end(snapshot.key)
        return list(reads.changelog)

    def comments(self, snapshot: IssueSnapshot) -> list[CommentInfo] | None:
        """The cached comments when ``snapshot`` shows no comment since they were read."""
        reads = self._reads.get(snapshot.key)
        if reads is None or reads.comment_time != snapshot.last_comment_updated_at:
            return None
        self._reads.move_to_end(snapshot.key)
        return list(reads.comments)

    def store(
        self,
        snapshot: IssueSnapshot,
        changelog: Sequence[ChangelogEntry],
        comments: Sequence[CommentInfo],
    ) -> None:
        """What was read (or reused) for ``snapshot``."""
        self._reads[snapshot.key] = _Reads(
            snapshot.version, tuple(changelog), snapshot.last_comment_updated_at, tuple(comments)
        )
        self._reads.move_to_end(snapshot.key)
        while len(self._reads) > self._limit:
            self._reads.popitem(last=False)

    def drop(self, key: str) -> None:
        self._reads.pop(key, None)
