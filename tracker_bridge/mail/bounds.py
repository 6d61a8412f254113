"""Size caps applied to raw mail before any expensive work (issue 17: no input may stall intake).

The stdlib MIME parser checks every line against every open boundary (quadratic in nesting depth)
and builds an object per part; decoders and converters downstream grow with what they are given.
So before parsing, in one linear pass over the bytes:

* a message larger than :data:`MAX_MESSAGE_BYTES` is read up to that size;
* a header line longer than :data:`MAX_HEADER_LINE` is cut, and a header block of more than
  :data:`MAX_HEADER_LINES` lines loses the rest (no mail client writes either);
* a mail declaring more than :data:`MAX_CONTAINERS` ``multipart/*`` containers (which bounds
  the nesting depth) is read as headers and plain text; otherwise the structure is read up to the
  :data:`MAX_DELIMITERS`-th delimiter line (which bounds the number of parts).

What was cut is said in a defect note; the raw bytes themselves stay whole in the store and in
quarantine.
"""

from __future__ import annotations

import itertools
import re

__all__ = [
    "MAX_CONTAINERS",
    "MAX_DELIMITERS",
    "MAX_HEADER_LINE",
    "MAX_HEADER_LINES",
    "MAX_MESSAGE_BYTES",
    "bounded",
]

MAX_MESSAGE_BYTES = 40 * 1024 * 1024
MAX_HEADER_LINE = 16 * 1024
MAX_HEADER_LINES = 2_000
MAX_CONTAINERS = 40
MAX_DELIMITERS = 2_000

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTAINER = re.compile(rb"^content-type[ \t]*:[ \t]*\"?multipart/", re.IGNORECASE | re.MULTILINE)
_DELIMITER = re.compile(rb"^--", re.MULTILINE)


def bounded(raw: bytes) -> tuple[bytes, bool, tuple[str, ...]]:
    """``raw`` cut to what the parser may read, whether its structure may be parsed (False:
    too many containers, read the body as text) and notes saying what was cut."""
    notes: list[str] = []
    if len(raw) > MAX_MESSAGE_BYTES:
        raw = raw[:MAX_MESSAGE_BYTES]
        notes.append(f"message larger than {MAX_MESSAGE_BYTES // 2**20} MiB: the rest not read")
    raw = _bounded_headers(raw, notes)
    if _nth(_CONTAINER, raw, MAX_CONTAINERS) < len(raw):
        notes.append(f"more than {MAX_CONTAINERS} multipart containers: body read as text")
        return raw, False, tuple(notes)
    cut = _nth(_DELIMITER, raw, MAX_DELIMITERS)
    if cut < len(raw):
        notes.append(f"more than {MAX_DELIMITERS} MIME delimiter lines: the rest not read")
    return raw[:cut], True, tuple(notes)


def _nth(pattern: re.Pattern[bytes], raw: bytes, limit: int) -> int:
    """Where the match after the first ``limit`` starts (the end when there is none)."""
    found = next(itertools.islice(pattern.finditer(raw), limit, None), None)
    return len(raw) if found is None else found.start()


def _bounded_headers(raw: bytes, notes: list[str]) -> bytes:
    end = _HEADER_END.search(raw, 0, MAX_HEADER_LINES * MAX_HEADER_LINE)
    head, rest = (raw[: end.start()], raw[end.start() :]) if end else (raw, b"")
    lines = head.split(b"\n")
    if len(lines) <= MAX_HEADER_LINES and all(len(line) <= MAX_HEADER_LINE for line in lines):
        return raw
    if len(lines) > MAX_HEADER_LINES:
        notes.append(f"more than {MAX_HEADER_LINES} header lines: the rest dropped")
        lines = lines[:MAX_HEADER_LINES]
    if any(len(line) > MAX_HEADER_LINE for line in lines):
        notes.append(f"header line longer than {MAX_HEADER_LINE // 1024} KiB cut")
        lines = [line[:MAX_HEADER_LINE] for line in lines]
    return b"\n".join(lines) + rest
