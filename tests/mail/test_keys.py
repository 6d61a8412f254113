"""R20: Tracker issue keys named in a mail (a new request quoting an old one is linked)."""

from __future__ import annotations

import pytest

from tests.mail.build import message
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.keys import issue_keys
from tracker_bridge.mail.parse import parse_message


def test_r20_keys_from_subject_then_body_in_order_without_duplicates() -> None:
    """Subject keys come first, then body keys, each once, in order of appearance."""
    mail = parse_message(
        message(
            "По заявке CLINIC2-7 и SUP-42 (см. SUP-42) ничего не изменилось.", Subject="Re: SUP-42"
        )
    )
    assert mail.issue_keys == ("SUP-42", "CLINIC2-7")


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("[SUP-42] не работает", ("SUP-42",)),
        ("см. https://tracker.yandex.ru/SUP-42", ("SUP-42",)),
        ("заявка SUP-42.", ("SUP-42",)),
        ("заявки SUP-42, SUP-43; QA-1", ("SUP-42", "SUP-43", "QA-1")),
        ("(SYS-422) test", ("SYS-422",)),
        ("SUP-042", ()),  # Tracker numbers never start with 0
    ],
)
def test_keys_are_found_in_usual_places(text: str, keys: tuple[str, ...]) -> None:
    """Brackets, URLs, punctuation and lists around keys are fine."""
    assert issue_keys(text) == keys


@pytest.mark.parametrize(
    "text",
    [
        "charset=UTF-8 и ISO-8859-1, KOI8-R, WIN-1251, CP-1251, WINDOWS-1251",
        "RFC-822, SHA-256, MD-5, TLS-13, SSL-3, AES-256, CVE-2024-1234",
        "X-123 и A-1",  # one-letter queues
        "sup-42 и Sup-42",  # lower case: not a key
        "SUP-42x, xSUP-42, SUP-1.2, x-SUP-3",  # glued to other characters
        "support@SUP-42.example.com",
    ],
)
def test_charset_names_standards_and_lookalikes_are_not_keys(text: str) -> None:
    """Charset labels, standards and glued tokens are not issue keys."""
    assert issue_keys(text) == ()


@needs_corpus
def test_corpus_jira_notification_names_its_key() -> None:
    """The Jira notification in the corpus names SYS-422 in its subject."""
    from tests.mail.corpus import raw

    assert parse_message(raw("zammad__mail103.box.eml")).issue_keys[0] == "SYS-422"
