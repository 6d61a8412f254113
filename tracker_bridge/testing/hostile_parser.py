"""A parser for fault-injection tests: the real one, except on messages marked to misbehave.

The real parser is bounded, so no input the tests can write makes it hang; the poison-mail
breaker and the parser pool still need a message that does. A message with the header
``X-Test-Hang`` never finishes parsing; one with ``X-Test-Balloon`` allocates memory until its
worker's limit stops it; one with ``X-Test-Stall`` parses, but its sender is a string that
blocks whoever normalises it (``strip``) — the daemon's event loop, once the parse is back: a
message whose *handling* hangs the daemon. With ``X-Test-Stall-Seconds: N`` the sender's first
``strip`` keeps its caller busy N seconds and then answers: a handling that stalls the loop for a
while and ends (the stall guard reports it, the mail is then handled). Each call on a marked
message is counted in the file named by ``X-Test-Count`` when present (so a test can see whether
it was parsed again).
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

from tracker_bridge.mail.parse import parse_message
from tracker_bridge.regulation.model import InboundMail

__all__ = ["parse_or_misbehave"]

_COUNT = re.compile(rb"^X-Test-Count: *(\S+)", re.MULTILINE)
_STALL_SECONDS = re.compile(rb"^X-Test-Stall-Seconds: *([0-9.]+)", re.MULTILINE)


def parse_or_misbehave(raw: bytes) -> InboundMail:
    """``parse_message``, or a hang / a memory balloon for marked messages."""
    head = raw[:4096]
    if any(mark in head for mark in (b"X-Test-Hang:", b"X-Test-Balloon:", b"X-Test-Stall:")):
        counter = _COUNT.search(head)
        if counter:
            with Path(counter.group(1).decode()).open("a") as file:
                file.write("parsed\n")
    if b"X-Test-Hang:" in head:
        while True:
            time.sleep(3600)
    if b"X-Test-Balloon:" in head:
        balloon = []
        while True:
            balloon.append(bytearray(64 * 1024 * 1024))
    if b"X-Test-Stall:" in head:
        mail = parse_message(raw)
        return dataclasses.replace(mail, sender=StallingText(mail.sender))
    if stall := _STALL_SECONDS.search(head):
        mail = parse_message(raw)
        return dataclasses.replace(mail, sender=BriefStall(mail.sender, float(stall.group(1))))
    return parse_message(raw)


class StallingText(str):
    """A string whose ``strip`` never returns (it survives pickling into the daemon)."""

    __slots__ = ()

    def strip(self, chars: str | None = None) -> str:
        while True:
            time.sleep(3600)


class BriefStall(str):
    """A string whose first ``strip`` blocks its caller for ``seconds``, then answers as a
    ``str`` would (its attributes survive pickling into the daemon)."""

    seconds: float
    stalled: bool

    def __new__(cls, value: str, seconds: float = 0.0) -> BriefStall:
        text = super().__new__(cls, value)
        text.seconds, text.stalled = seconds, False
        return text

    def strip(self, chars: str | None = None) -> str:
        if not self.stalled:
            self.stalled = True
            time.sleep(self.seconds)  # on purpose: it stands for code that keeps the loop busy
        return str(self).strip(chars)
