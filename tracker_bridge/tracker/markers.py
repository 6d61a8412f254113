"""The invisible marker on every comment the bridge writes, so a retry can find it.

Format: the comment text, a blank line, then ``<!-- tracker-bridge:<kind>:<id> -->`` where
``<id>`` is the first 24 hex digits of SHA-256 of the action's ``source_id`` (a Message-ID or an
event id) and ``<kind>`` is ``customer`` (the text of a customer's email, R8) or ``bridge`` (a note
the bridge writes itself, e.g. with an automatic transition).

Why this shape: Tracker comments are Markdown (YFM; ``markupType`` in the comment body,
TRACKER-API.md §8.2 #16) and an HTML comment is not rendered, so support does not see it, while
``text`` in the API keeps it verbatim (TRACKER-API.md §2.3: ``text`` vs ``textHtml``) — that
Tracker keeps it untouched is **[unverified]** against the real service. The id is a hash, never
the raw Message-ID: those contain ``<``, ``>`` and may contain ``--``, which would end an HTML
comment early.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

__all__ = ["MarkerKind", "find_marker", "marker_id", "strip_marker", "with_marker"]

MarkerKind = Literal["customer", "bridge"]

_MARKER = re.compile(r"\s*<!--\s*tracker-bridge:(?P<kind>[a-z]+):(?P<id>[0-9a-f]{8,64})\s*-->\s*$")


def marker_id(source_id: str) -> str:
    """The marker's id for an action's ``source_id`` (stable across processes)."""
    return hashlib.sha256(source_id.encode()).hexdigest()[:24]


def with_marker(text: str, source_id: str, kind: MarkerKind) -> str:
    """``text`` with the marker appended on its own line."""
    return f"{text.rstrip()}\n\n<!-- tracker-bridge:{kind}:{marker_id(source_id)} -->"


def find_marker(text: str) -> tuple[str, str] | None:
    """``(kind, id)`` of the trailing marker, or None for a comment the bridge did not write."""
    found = _MARKER.search(text)
    return None if found is None else (found["kind"], found["id"])


def strip_marker(text: str) -> str:
    """The text as people read it, without the marker."""
    return _MARKER.sub("", text)
