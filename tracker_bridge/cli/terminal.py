"""Command output that cannot drive the operator's terminal (issue 17).

A stranger's subject or sender in ``quarantine list`` (or any report that shows mail, Tracker or
Telegram text) may carry escape sequences that recolour, retitle or rewrite the terminal. Every
command writes through :func:`safe_output`, which shows each control character (C0 but tab and
newline, DEL, C1, and the bidirectional overrides that reorder what is shown) as a visible
``\\xNN`` / ``\\uNNNN`` escape instead.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["escape_controls", "safe_output"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control character shown as an escape; tabs and newlines kept."""
    return _CONTROL.sub(_visible, text)


class _Escaping:
    """A text stream that escapes control characters before they reach the wrapped one."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(escape_controls(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def safe_output() -> Iterator[None]:
    """Within the block, ``sys.stdout`` and ``sys.stderr`` escape control characters."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Escaping(saved[0]), _Escaping(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
