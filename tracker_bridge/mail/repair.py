"""Byte-level repairs of a broken header block before the stdlib parser sees it.

Three faults from the corpus make a strict parser lose Subject and From: junk lines before the
headers (a pasted "---- Original email message ----"), continuation lines that lost their leading
whitespace (so the headers end early), and a blank line after Subject that pushes Content-Type
into the body (mail.ru → Yandex). Each repair is recorded as a defect.
"""

from __future__ import annotations

import re

__all__ = ["repair_headers"]

_HEADER = re.compile(rb"^[!-9;-~]+[ \t]*:")
_CONTENT_TYPE = re.compile(rb"^content-type[ \t]*:", re.IGNORECASE)
_MAX_JUNK_LINES = 5
_LOOKAHEAD = 40


def repair_headers(raw: bytes) -> tuple[bytes, tuple[str, ...]]:
    """``raw`` with its header block made parseable, and the notes of what was repaired."""
    lines = raw.splitlines(keepends=True)
    defects: list[str] = []
    start = _first_header(lines)
    if start > 0:
        if not lines[0].startswith(b"From "):
            defects.append("junk before headers skipped")
        lines = lines[start:]
    end = _fold_stray_lines(lines, defects)
    _join_split_block(lines, end, defects)
    return (b"".join(lines) if defects or start else raw), tuple(defects)


def _first_header(lines: list[bytes]) -> int:
    for index, line in enumerate(lines[:_MAX_JUNK_LINES]):
        if _HEADER.match(line) and not line.startswith(b"From "):
            return index
    return 0


def _is_blank(line: bytes) -> bool:
    return not line.strip(b"\r\n")


def _fold_stray_lines(lines: list[bytes], defects: list[str]) -> int:
    """Turn non-header lines inside the header block into continuations; returns its end."""
    for index, line in enumerate(lines):
        if _is_blank(line):
            return index
        if index == 0 or line[:1] in (b" ", b"\t") or _HEADER.match(line):
            continue
        if not _header_follows(lines, index + 1):
            return index
        lines[index] = b" " + line
        if "header continuation repaired" not in defects:
            defects.append("header continuation repaired")
    return len(lines)


def _header_follows(lines: list[bytes], start: int) -> bool:
    for line in lines[start : start + _LOOKAHEAD]:
        if _is_blank(line):
            return False
        if _HEADER.match(line):
            return True
    return False


def _join_split_block(lines: list[bytes], end: int, defects: list[str]) -> None:
    """A blank line followed by Content-Type when the headers had none: one block, not two."""
    if end + 1 >= len(lines) or not _is_blank(lines[end]):
        return
    if any(_CONTENT_TYPE.match(line) for line in lines[:end]):
        return
    if _CONTENT_TYPE.match(lines[end + 1]):
        del lines[end]
        defects.append("blank line inside header block removed")
