"""Hostile mail cannot stall intake: inputs built to make regexes backtrack parse in linear time.

Each case is ~100 KB of what makes naive patterns quadratic (long runs without the character a
pattern waits for, thousands of unterminated openers). Quadratic code takes minutes here; the
budget is two orders of magnitude above the measured time, so a slow machine does not flake.
"""

from __future__ import annotations

import time

import pytest

from tracker_bridge.mail.parse import parse_message

N = 100_000
BUDGET_SECONDS = 5.0


def mail(body: str, headers: str = "", kind: str = "text/plain") -> bytes:
    head = f"From: a@b.example\r\nMessage-ID: <h@x>\r\n{headers}"
    return (head + f"Content-Type: {kind}; charset=utf-8\r\n\r\n{body}").encode()


CASES = {
    "address run with commas": mail("hi", "To: " + "x" * N + "," * 500 + "\r\n"),
    "address words without at": mail("hi", "To: " + "x " * (N // 2) + "@\r\n"),
    "at signs": mail("hi", "To: " + "a@" * (N // 2) + "\r\n"),
    "angle brackets": mail("hi", "To: " + "<" * N + "\r\n"),
    "unterminated comments": mail("<!--" * (N // 4) + "<p>x</p>", kind="text/html"),
    "unterminated styles": mail("<style>" * (N // 7) + "<p>x</p>", kind="text/html"),
    "capital run": mail("A" * N + "-1"),
    "encoded-word openers": mail("hi", "Subject: " + "=?utf-8?Q?" * (N // 10) + "\r\n"),
    "label lines": mail("Логин\n" * (N // 6)),
    "attribution-like lines": mail(("> " + "x@y.z " * 40 + "wrote:\n") * 500),
    "header-like junk": ("Subject: x\r\n" + "X-A: b\r\nnot a header\r\n" * 5000 + "\r\nb").encode(),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_pathological_input_parses_quickly(case: str) -> None:
    """No input shape makes parsing super-linear (safety: one mail must not block intake)."""
    started = time.perf_counter()
    mail_ = parse_message(CASES[case])
    assert time.perf_counter() - started < BUDGET_SECONDS
    assert mail_.message_id == "h@x" or case == "header-like junk"
