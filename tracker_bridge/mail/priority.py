"""R9: the priority the customer asked for, as a Tracker priority key, or None.

Most deliberate first: a "Приоритет:" line in the body, then a marker in the subject, then the
mail client's X-Priority / Importance flag.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["priority_hint", "text_priority_hint"]

Header = Callable[[str], str | None]

_FIELD = re.compile(
    r"^[ \t>*•-]*(?:\*\*)?(?:приоритет|срочность|priority)(?:\*\*)?[ \t]*[:\-–—|\t][ \t]*"
    r"(?:\*\*)?([^\n|*]+)",
    re.IGNORECASE | re.MULTILINE,
)
_NOT = r"(?<!\w)(?:не|not)\s+(?:очень\s+|так\s+|слишком\s+)?"
_WORDS = (  # order matters: negations first ("не срочно", "невысокий" are not high)
    (
        "minor",
        re.compile(
            rf"низк|невысок|несрочн|некритичн|{_NOT}(?:высок|срочн|критичн|горит|urgent|high)"
            r"|(?<!\w)не\s+к\s+спеху|low|minor",
            re.I,
        ),
    ),
    ("normal", re.compile(r"обычн|средн|нормальн|стандартн|normal|medium", re.I)),
    ("blocker", re.compile(r"блокер|блокирующ|критичн|критическ|blocker", re.I)),
    ("critical", re.compile(r"высок|срочн|наивысш|urgent|high|critical", re.I)),
)
_SUBJECT = (
    ("blocker", re.compile(r"(?<!\w)(критично|блокер|blocker)(?!\w)", re.I)),
    ("critical", re.compile(r"(?<!\w)(срочно|urgent|asap)(?!\w)", re.I)),
)


def priority_hint(header: Header, subject: str, body: str) -> str | None:
    """The priority key the mail asks for ("blocker", "critical", "normal" or "minor"), else
    None."""
    return _from_body(body) or _from_subject(subject) or _from_headers(header)


def text_priority_hint(header: Header, body: str) -> str | None:
    """R9, for a reply: what the customer asks for in this very mail — a "Приоритет:" line or a
    marker opening a line of the new text, or the mail client's flag. Not the subject: a reply
    inherits the subject of the first mail, with its markers."""
    return _from_body(body) or _from_lines(body) or _from_headers(header)


def _from_lines(body: str) -> str | None:
    for line in body.splitlines()[:10]:
        head = line.strip()[:40]
        if not head or head.startswith(">"):
            continue
        if _NEGATED_SUBJECT.match(head):
            return "minor"
        for key, marker in _SUBJECT:
            found = marker.match(head)
            if found:
                return key
    return None


def _from_body(body: str) -> str | None:
    match = _FIELD.search(body)
    if match is None:
        return None
    value = match.group(1)
    return next((key for key, words in _WORDS if words.search(value)), None)


_NEGATED_SUBJECT = re.compile(
    r"(?<!\w)(?:несрочно|не\s+(?:очень\s+|так\s+)?(?:срочно|критично)|не\s+горит)(?!\w)", re.I
)


def _from_subject(subject: str) -> str | None:
    if _NEGATED_SUBJECT.search(subject):
        return "minor"  # the customer says it can wait (R9: not high)
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
