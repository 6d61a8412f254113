"""Mail parsing: parse_message throughput over the whole shared corpus (190 messages, ~9 MB).

The baseline, measured in the same run over the same bytes, is what the stdlib alone does:
``email.message_from_bytes(raw, policy=email.policy.default)`` plus ``get_body()`` /
``get_content()`` of the preferred body. The ratio is the price of everything the stdlib does
not do: header repair, charset detection, HTML conversion, reply trimming, R7 fields, automatic-
mail checks, attachment naming. Baseline errors (the stdlib raises on some corpus mail) are
counted, not hidden: parse_message never raises.

Without the shared corpus beside the checkout (a fresh clone), the project's own test mails
(tests/data/mail, 48 small messages) stand in, and the table says so.
"""

from __future__ import annotations

import email
import email.policy
import os
from pathlib import Path

from benchmarks._timing import Row, median_seconds, table
from tracker_bridge.mail.parse import parse_message

TITLE = "Mail parsing"
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "mail"
if "TRACKER_BRIDGE_SHARED" in os.environ:
    CORPUS = Path(os.environ["TRACKER_BRIDGE_SHARED"]) / "corpus" / "mail"
OWN_MAILS = Path(__file__).resolve().parent.parent / "tests" / "data" / "mail"
REPEATS = 5


def _corpus() -> tuple[str, list[bytes]]:
    """What to parse and what to call it: the shared corpus, else the project's own mails."""
    if CORPUS.is_dir():
        return "whole corpus", [p.read_bytes() for p in sorted(CORPUS.iterdir()) if p.is_file()]
    return "own test mails", [p.read_bytes() for p in sorted(OWN_MAILS.glob("*.eml"))]


def _ours(messages: list[bytes]) -> None:
    for raw in messages:
        parse_message(raw)


def _stdlib_body(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    return str(body.get_content()) if body is not None else ""


def _baseline_errors(messages: list[bytes]) -> int:
    errors = 0
    for raw in messages:
        try:
            _stdlib_body(raw)
        except Exception:  # the stdlib's failures are the point of the count
            errors += 1
    return errors


def _guarded(messages: list[bytes]) -> int:
    failures = ("parser failure" in " ".join(parse_message(m).defects) for m in messages)
    return sum(failures)


def _baseline(messages: list[bytes]) -> None:
    for raw in messages:
        try:
            _stdlib_body(raw)
        except Exception:  # a failing message still cost its time
            continue


def run() -> str:
    """Median throughput of ours and the stdlib baseline, in messages/s and MB/s."""
    label, messages = _corpus()
    megabytes = sum(len(m) for m in messages) / 1_000_000
    ours = median_seconds(lambda: _ours(messages), repeats=REPEATS)
    base = median_seconds(lambda: _baseline(messages), repeats=REPEATS)
    count = len(messages)
    small = [m for m in messages if len(m) < 100_000]
    ours_small = median_seconds(lambda: _ours(small), repeats=REPEATS)
    base_small = median_seconds(lambda: _baseline(small), repeats=REPEATS)
    rows = [
        Row(
            f"{label} ({count} msgs, {megabytes:.1f} MB): messages/s",
            f"{count / ours:,.0f}",
            "",
            f"{count / base:,.0f}",
            f"{ours / base:.1f}× the stdlib's time",
        ),
        Row(f"{label}: MB/s", f"{megabytes / ours:.1f}", "", f"{megabytes / base:.1f}"),
        Row(
            f"typical mail (< 100 KB, {len(small)} msgs): messages/s",
            f"{len(small) / ours_small:,.0f}",
            "",
            f"{len(small) / base_small:,.0f}",
            f"{ours_small / base_small:.1f}× the stdlib's time",
        ),
        Row(
            "messages that raise (ours: caught only by the last-resort guard)",
            f"{_guarded(messages)} of {count}",
            "0",
            f"{_baseline_errors(messages)} of {count}",
        ),
    ]
    return table(rows)
