"""RFC 3676 format=flowed: rejoin the soft-wrapped lines of Thunderbird / Apple Mail text."""

from __future__ import annotations

import re

__all__ = ["unflow"]

_QUOTES = re.compile(r"^(>+) ?")
_SIGNATURE = "-- "


def unflow(text: str, delsp: bool = False) -> str:
    """Join flowed lines (ending in a space) with the next line of the same quote depth."""
    out: list[str] = []
    joining = False
    for line in text.split("\n"):
        depth, content = _split_quote(line)
        if content != _SIGNATURE and content.startswith(" "):
            content = content[1:]  # space-stuffing
        if joining and out and _split_quote(out[-1])[0] == depth:
            out[-1] += content
        else:
            out.append(">" * depth + (" " if depth else "") + content)
        joining = content.endswith(" ") and content != _SIGNATURE
        if joining and delsp:
            out[-1] = out[-1][:-1]
    return "\n".join(out)


def _split_quote(line: str) -> tuple[int, str]:
    match = _QUOTES.match(line)
    if match is None:
        return 0, line
    return len(match.group(1)), line[match.end() :]
