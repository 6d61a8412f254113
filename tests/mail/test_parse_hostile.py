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
    # issue 17: the outside testers' bomb (600 KB), and what the fuzz run found after it
    "conditional comment openers": mail("<![if " * N, kind="text/html"),
    "unbalanced quotes in tags": mail("<a href='" * N, kind="text/html"),
    "dense tags": mail("<td>|" * N, kind="text/html"),
    "stray brackets": mail("<" * N, kind="text/html"),
    "blank header run": mail("hi", "To: support" + " " * N + "x@vendor.example\r\n"),
    "deep nesting": mail(
        "hi",
        'Content-Type: multipart/mixed; boundary="b0"\r\n'
        + "".join(
            f'--b{i}\r\nContent-Type: multipart/mixed; boundary="b{i + 1}"\r\n\r\n'
            for i in range(1000)
        ),
    ),
    "wide multipart": mail(
        "",
        'Content-Type: multipart/mixed; boundary="w"\r\n\r\n'
        + "".join(f"--w\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(20_000)),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_pathological_input_parses_quickly(case: str) -> None:
    """No input shape makes parsing super-linear (safety: one mail must not block intake)."""
    started = time.perf_counter()
    mail_ = parse_message(CASES[case])
    assert time.perf_counter() - started < BUDGET_SECONDS
    assert mail_.message_id == "h@x" or case == "header-like junk"


def test_the_bomb_from_the_outside_report_parses_with_its_text_cut_and_said_so() -> None:
    """600 KB of "<![if " (issue 17): converted in part, the rest reduced to text, bounded."""
    started = time.perf_counter()
    bomb = parse_message(mail("<![if " * N, kind="text/html"))
    assert time.perf_counter() - started < BUDGET_SECONDS
    assert bomb.message_id == "h@x" and bomb.sender == "a@b.example"
    assert bomb.text.startswith("<![if <![if")


def test_a_wide_multipart_is_read_up_to_the_delimiter_cap_and_says_so() -> None:
    wide = parse_message(CASES["wide multipart"])
    assert "more than 2000 MIME delimiter lines: the rest not read" in wide.defects
    assert "part 0" in wide.text
