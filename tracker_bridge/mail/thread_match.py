"""Which request a reply belongs to, from its subject (PRIOR-ART §13.4). Pure.

Mail clients prefix replies and forwards in the user's language and stack the prefixes
("RE: Fwd: Отв: …", Outlook's "RE[2]:", Finnish "VS:", Russian Outlook's "Пересл.:").
:func:`normalize_subject` strips them all, repeatedly, so a reply compares equal to the original;
:func:`subject_keys` finds the ``[SUP-42]`` marker the bridge puts in every notification subject.
"""

from __future__ import annotations

import re

__all__ = ["REPLY_PREFIXES", "normalize_subject", "subject_keys"]

# Reply and forward abbreviations as mail clients write them, lower case.
REPLY_PREFIXES: tuple[str, ...] = (
    # English and the ubiquitous Latin "re"
    "re", "fw", "fwd",
    # Russian (Outlook, The Bat!, Яндекс, Mail.ru) and Ukrainian
    "ответ", "отв", "пересл", "переслано", "вiдп", "відп",
    # German, Dutch, Scandinavian, Finnish, French, Spanish, Italian, Portuguese, Turkish, Polish
    "aw", "wg", "antw", "doorst", "sv", "vs", "vb", "vl", "tr", "rv", "enc", "res", "rif", "i",
    "r", "ynt", "ilt", "odp", "pd",
)  # fmt: skip

_PREFIX = re.compile(
    r"^\s*(?:"
    + "|".join(sorted({re.escape(p) for p in REPLY_PREFIXES}, key=len, reverse=True))
    # an optional counter: "Re[2]:", "RE(3):", "Re^2:"; a dot: "Пересл.:"; full-width colon
    + r")\.?\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*",
    re.IGNORECASE,
)
# Mailing-list and gateway tags in front of the prefix ("[EXTERNAL] RE: …") are not ours:
# only a tag that is not an issue key is dropped, and only when a reply prefix follows it.
_FOREIGN_TAG = re.compile(r"^\s*\[(?![A-Za-z][A-Za-z0-9_]*-[1-9]\d*\])[^\]]{1,40}\]\s*(?=\S)")
_KEY = re.compile(r"\[\s*([A-Za-z][A-Za-z0-9_]*-[1-9]\d*)\s*\]")


def normalize_subject(subject: str) -> str:
    """``subject`` without any leading reply/forward prefixes, whitespace collapsed."""
    text = " ".join(subject.split())
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            tagless = _FOREIGN_TAG.sub("", text, count=1)
            if tagless != text and _PREFIX.match(tagless):
                stripped = _PREFIX.sub("", tagless, count=1)
        if stripped == text:
            return text.strip()
        text = stripped


def subject_keys(subject: str) -> tuple[str, ...]:
    """Issue keys written as ``[SUP-42]`` in ``subject``, upper-cased, first seen first."""
    keys = (match.group(1).upper() for match in _KEY.finditer(subject))
    return tuple(dict.fromkeys(keys))
