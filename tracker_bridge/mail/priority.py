"""R9: the priority the customer asked for, as a Tracker priority key, or None.

Most deliberate first: a "Приоритет:" line in the body, then a marker in the subject, then the
mail client's X-Priority / Importance flag.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["priority_hint"]

Header = Callable[[str], str | None]

_FIELD = re.compile(
    r"^[ \t>*•-]*(?:\*\*)?(?:приоритет|срочность|priority)(?:\*\*)?[ \t]*[:\-–—|\t][ \t]*"
    r"(?:\*\*)?([^\n|*]+)",
    re.IGNORECASE | re.MULTILINE,
)
_WORDS = (  # order matters: "не срочно" is minor, not urgent
    ("minor", re.compile(r"низк|несрочн|не\s+срочн|не\s+критичн|low|minor", re.I)),
    ("blocker", re.compile(r"блокер|блокирующ|критичн|критическ|blocker", re.I)),
    ("critical", re.compile(r"высок|срочн|наивысш|urgent|high|critical", re.I)),
)  # "средний"/"normal" is the default: no hint, so the policy's default applies
_SUBJECT = (
    ("blocker", re.compile(r"(?<!\w)(критично|блокер|blocker)(?!\w)", re.I)),
    ("critical", re.compile(r"(?<!\w)(срочно|urgent|asap)(?!\w)", re.I)),
)


def priority_hint(header: Header, subject: str, body: str) -> str | None:
    """The priority key the mail asks for ("blocker", "critical" or "minor"), else None."""
    return _from_body(body) or _from_subject(subject) or _from_headers(header)


def _from_body(body: str) -> str | None:
    match = _FIELD.search(body)
    if match is None:
        return None
    value = match.group(1)
    return next((key for key, words in _WORDS if words.search(value)), None)


def _from_subject(subject: str) -> str | None:
    if re.search(r"(?<!\w)не\s+срочно(?!\w)", subject, re.I):
        return None
    return next((key for key, marker in _SUBJECT if marker.search(subject)), None)


def _from_headers(header: Header) -> str | None:
    level = re.match(r"\s*(\d)", header("x-priority") or "")
    if level and level.group(1) in "12":
        return "critical"
    if level and level.group(1) in "45":
        return "minor"
    importance = f"{header('importance') or ''} {header('x-msmail-priority') or ''}".lower()
    if "high" in importance or "urgent" in importance:
        return "critical"
    return "minor" if "low" in importance else None
