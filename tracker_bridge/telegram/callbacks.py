"""The compact ``callback_data`` of card buttons: ``"<verb>:<issue key>"``, at most 64 bytes.

Telegram keeps at most 64 bytes per button; a verb and an issue key fit easily, and the data
carries no state the bridge would have to trust (who pressed is checked again on every press).
"""

from __future__ import annotations

import re
from typing import Literal, cast

__all__ = ["MAX_CALLBACK_BYTES", "VERBS", "Verb", "decode", "encode"]

Verb = Literal["take", "info", "comment"]
VERBS: tuple[Verb, ...] = ("take", "info", "comment")
MAX_CALLBACK_BYTES = 64
KEY_PATTERN = r"[A-Z][A-Z0-9_]*-[0-9]+"
_DATA = re.compile(rf"(take|info|comment):({KEY_PATTERN})")


def encode(verb: Verb, key: str) -> str:
    """``take:SUP-1``; a ValueError if the result would not fit Telegram's 64 bytes."""
    data = f"{verb}:{key}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def decode(data: str) -> tuple[Verb, str] | None:
    """``(verb, key)`` from button data, or ``None`` for data the bridge never made."""
    match = _DATA.fullmatch(data)
    if match is None:
        return None
    return cast(Verb, match.group(1)), match.group(2)
