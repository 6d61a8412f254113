"""R15: reading a customer's reply to "awaiting testing".

A change goes to production only after the customer's responsible person confirms it by email.
A confirmation must be unambiguous: a reply that both confirms and reports a problem, or that
negates the confirming phrase ("не проверено, ошибок нет"?), is *unclear* and goes to a person.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from tracker_bridge.regulation.policy import Policy

__all__ = ["Verdict", "classify_test_reply"]


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    ERROR = "error"
    UNCLEAR = "unclear"


def classify_test_reply(text: str, policy: Policy) -> Verdict:
    """Whether a reply confirms the change, reports an error, or neither (R15)."""
    normalized = _normalize(text)
    confirms = _matches(normalized, policy.confirm_phrases, reject_negated=True)
    errors = _matches(normalized, policy.error_phrases, reject_negated=False)
    if confirms and not errors:
        return Verdict.CONFIRMED
    if errors and not confirms:
        return Verdict.ERROR
    return Verdict.UNCLEAR


def _normalize(text: str) -> str:
    lowered = text.lower().replace("ё", "е")
    return re.sub(r"\s+", " ", lowered).strip()


def _matches(text: str, phrases: tuple[str, ...], *, reject_negated: bool) -> bool:
    pattern = _compile(phrases, reject_negated)
    return pattern.search(text) is not None


@lru_cache(maxsize=32)
def _compile(phrases: tuple[str, ...], reject_negated: bool) -> re.Pattern[str]:
    # Whole words only ("error" must not match "errors" in "no errors"); a confirming phrase
    # right after "не"/"not" is a negation, not a confirmation.
    alternatives = "|".join(
        re.escape(_normalize(p)).replace(r"\ ", r"[\s,.;:!-]+") for p in phrases if p.strip()
    )
    negation = r"(?<!\bне )(?<!\bnot )" if reject_negated else ""
    return re.compile(rf"{negation}(?<!\w)(?:{alternatives})(?!\w)")
