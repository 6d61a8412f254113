"""RFC 3676 format=flowed: rejoin the soft-wrapped lines of Thunderbird / Apple Mail text."""

from __future__ import annotations

import re

__all__ = ["unflow"]

_QUOTES = re.compile(r"^(>+) ?")
_SIGNATURE = "-- "


def unflow(text: str, delsp: bool = False) -> str:
    """Join flowed lines (ending in a space) with the next line of the same quote depth."""
    paragraphs: list[tuple[int, list[str]]] = []  # (quote depth, pieces), joined once at the end
    joining = False
    for line in text.split("\n"):
        depth, content = _split_quote(line)
        if content != _SIGNATURE and content.startswith(" "):
            content = content[1:]  # space-stuffing
        flowed = content.endswith(" ") and content != _SIGNATURE
        piece = content[:-1] if flowed and delsp else content
        if joining and paragraphs and paragraphs[-1][0] == depth:
            paragraphs[-1][1].append(piece)
        else:
            paragraphs.append((depth, [piece]))
        joining = flowed
    return "\n".join(_quoted(depth, "".join(pieces)) for depth, pieces in paragraphs)


def _quoted(depth: int, content: str) -> str:
    return ">" * depth + " " + content if depth else content


def _split_quote(line: str) -> tuple[int, str]:
    match = _QUOTES.match(line)
    if match is None:
        return 0, line
    return len(match.group(1)), line[match.end() :]
