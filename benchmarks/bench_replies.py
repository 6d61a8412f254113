"""R15: how well the reply reader recognises a confirmation, on the hand-labelled set.

Every reply of ``tests/data/r15_replies.toml`` goes through the path the daemon uses — the mail
parser's new part of the reply (quoted history and signature cut), then
:func:`~tracker_bridge.regulation.replies.classify_test_reply` — and is compared with its label.
Precision of "confirmed" must be 100 %: a change goes to production only on an explicit
confirmation. The baseline is the reader before the second reading (a confirming phrase without
a negation right before it, and no error phrase), measured in the same run on the same set.

The first set was written for this reading and the reader was tuned on it; the second was
written once the reader was finished and has not been used to change it, so its figures are the
honest estimate (small: 22 replies). ``tests/core/test_replies.py`` keeps precision at 100 % on
both and recall at or above 90 % on the first.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path

from tracker_bridge.mail.reply import reply_part
from tracker_bridge.regulation.policy import DEFAULT_ERROR_PHRASES, Policy
from tracker_bridge.regulation.replies import Verdict, classify_test_reply

TITLE = "R15: reading a reply to «Ожидание тестирования» (labelled set)"

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SETS = {
    "labelled set (tuned on)": DATA / "r15_replies.toml",
    "held-out set (never tuned on)": DATA / "r15_replies_heldout.toml",
}

_OLD_CONFIRM = (
    "проверено, ошибок нет",
    "проверено ошибок нет",
    "ошибок нет",
    "ошибок не обнаружено",
    "ошибок не выявлено",
    "проверили, все работает",
    "все работает",
    "работает корректно",
    "можно переносить",
    "подтверждаю",
    "checked, no errors",
    "works fine",
    "confirmed",
)


def _old_reader(text: str) -> bool:
    """The first reading's rule: a confirming phrase not right after «не», and no error word."""
    norm = re.sub(r"\s+", " ", text.lower().replace("ё", "е"))

    def found(phrases: tuple[str, ...], negation: str) -> bool:
        alternatives = "|".join(re.escape(p).replace(r"\ ", r"[\s,.;:!-]+") for p in phrases)
        return re.search(rf"{negation}(?<!\w)(?:{alternatives})(?!\w)", norm) is not None

    confirms = found(_OLD_CONFIRM, r"(?<!\bне )(?<!\bnot )")
    errors = found(DEFAULT_ERROR_PHRASES, "")
    return confirms and not errors


def _figures(predicted: list[bool], truth: list[bool]) -> tuple[int, int, int]:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    return tp, fp, fn


def _pct(part: int, whole: int) -> str:
    return "–" if whole == 0 else f"{100 * part / whole:.1f} %"


def run() -> str:
    return "\n".join(_section(name, path) for name, path in SETS.items())


def _section(name: str, path: Path) -> str:
    with path.open("rb") as f:
        replies = [(r["label"], r["text"]) for r in tomllib.load(f)["reply"]]
    policy = Policy()
    truth = [label == "confirmed" for label, _ in replies]
    verdicts = [classify_test_reply(reply_part(text), policy) for _, text in replies]
    readers = {
        "second reading (this code)": [v is Verdict.CONFIRMED for v in verdicts],
        "baseline: first reading": [_old_reader(reply_part(text)) for _, text in replies],
    }
    kinds = Counter(label for label, _ in replies)
    lines = [
        f"**{name}** (`tests/data/{path.name}`): {len(replies)} replies — "
        + ", ".join(f"{kinds[k]} {k}" for k in ("confirmed", "error", "deferred", "unclear")),
        "",
        "| reader | precision of «confirmed» | recall | false confirmations |",
        "|---|---|---|---|",
    ]
    for reader, predicted in readers.items():
        tp, fp, fn = _figures(predicted, truth)
        lines.append(f"| {reader} | {_pct(tp, tp + fp)} | {_pct(tp, tp + fn)} | {fp} |")
    pairs = Counter(
        (label, v.value) for v, (label, _) in zip(verdicts, replies, strict=True) if v != label
    )
    agree = len(replies) - sum(pairs.values())
    others = ", ".join(f"{n} {label} read as {verdict}" for (label, verdict), n in pairs.items())
    lines += [
        "",
        f"All four verdicts (confirmed / error / deferred / unclear) agree with the label on "
        f"{agree} of {len(replies)} replies" + (f"; the others: {others}." if others else "."),
        "",
    ]
    return "\n".join(lines) + "\n"
