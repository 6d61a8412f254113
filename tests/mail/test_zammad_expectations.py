"""The parser agrees with Zammad's own expected parses of its test mails (R7).

Zammad's test/unit/email_parser_test.rb checks ``Channel::EmailParser.parse`` against
mail_expected/zammad__mailNNN.yml. We compare subject, sender address and name, attachment
names and the body text. Bodies are compared as sets of 5-letter shingles (see
``tests.mail.corpus``) because Zammad keeps sanitised HTML while we produce Markdown-ish text.

Documented exceptions: only where the expectation is Zammad-specific behaviour. Each names why
Zammad differs and what we give instead, and that alternative is asserted (never skipped).
"""

from __future__ import annotations

import re

import pytest

from tests.mail.corpus import raw, shingles, visible_text, zammad_expected, zammad_names
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.regulation.model import InboundMail

pytestmark = needs_corpus

NAMES = zammad_names()
NO_CONTENT = "no visible content"  # Zammad's placeholder for an empty body

SUBJECT_EXCEPTIONS = {  # name: (why Zammad differs, what we give instead)
    "zammad__mail018": (
        "Zammad leaves the UTF-7 encoded-word undecoded ('+ANw-bermittlungsstatus')",
        "Benachrichtung zum Übermittlungsstatus (Fehlgeschlagen)",
    ),
}
SENDER_EXCEPTIONS = {
    "zammad__mail076": (
        "From '\"Millions Lottery Spain transfer\"@example.com>': Zammad keeps the stray '>'",
        '"millions lottery spain transfer"@example.com',
    ),
    "zammad__mail087": (
        "From 'Test test@example.com': Zammad takes the whole string as the address",
        "test@example.com",
    ),
}
NAME_EXCEPTIONS = {
    "zammad__mail046": (
        "raw 8-bit GBK display name: Zammad shows mojibake, we detect GB18030",
        "武兰成",
    ),
    "zammad__mail076": (
        "From '\"Millions Lottery Spain transfer\"@example.com>' has no display name: Zammad"
        " takes the mangled address as one",
        "",
    ),
    "zammad__mail087": (
        "From 'Test test@example.com': Zammad takes the whole string as the name",
        "Test",
    ),
}
ATTACHMENT_EXCEPTIONS = {
    "zammad__mail073": (
        "RFC 2231 name declared us-ascii holding a raw 0xF6: Zammad keeps U+FFFD, we read cp1252",
        ["Bestellbestätigung_BK18052795.jpg", "Forex Platte ohne Wölbung.jpg"],
    ),
    "zammad__mail087": (
        "a text/plain part after the PDF: Zammad files it as 'file', we read it as the body",
        ["fax_1234.pdf"],
    ),
}
BODY_EXCEPTIONS = {  # name: (why Zammad differs, a phrase our body has instead)
    "zammad__mail018": (
        "UTF-7 body: Zammad shows it undecoded, we decode it",
        "Übermittlung an folgende Empfänger fehlgeschlagen",
    ),
    "zammad__mail026": (
        "plain and HTML alternatives differ: Zammad shows the HTML, we prefer text/plain",
        "Gladbacher Str. 74",
    ),
    "zammad__mail043": (
        "the text/plain alternative only links to the HTML: Zammad shows the HTML, we prefer"
        " text/plain",
        "HTML newsletter could be read here:",
    ),
    "zammad__mail054": (
        "unindented header continuation lines: Zammad loses the body ('no visible content'),"
        " we repair the header block",
        "some text",
    ),
    "zammad__mail075": (
        "a link whose anchor text is a 1 KB tracking URL: Zammad's sanitiser turns its query"
        " into words, we keep it as one URL",
        "Je viens de vous appeler pour demander",
    ),
    "zammad__mail087": (
        "Zammad files the fax notice (a text/plain after the PDF) as an attachment",
        "Sie haben soeben ein neues Fax",
    ),
}


def _parsed(stem: str) -> InboundMail:
    return parse_message(raw(f"{stem}.box.eml"))


def _normal(text: str | None) -> str:
    return " ".join((text or "").split())


@pytest.mark.parametrize("stem", NAMES)
def test_subject_matches_zammad(stem: str) -> None:
    """The decoded subject equals Zammad's (whitespace normalised)."""
    expected = zammad_expected(stem).get("subject")
    if stem in SUBJECT_EXCEPTIONS:
        expected = SUBJECT_EXCEPTIONS[stem][1]
    assert _normal(_parsed(stem).subject) == _normal(expected)


@pytest.mark.parametrize("stem", zammad_names("from_email"))
def test_sender_matches_zammad(stem: str) -> None:
    """The sender address equals Zammad's from_email (lower-cased)."""
    expected = zammad_expected(stem)["from_email"]
    if stem in SENDER_EXCEPTIONS:
        expected = SENDER_EXCEPTIONS[stem][1]
    assert _parsed(stem).sender == expected.lower()


@pytest.mark.parametrize("stem", zammad_names("from_display_name"))
def test_sender_name_matches_zammad(stem: str) -> None:
    """The decoded display name equals Zammad's from_display_name."""
    expected = zammad_expected(stem)["from_display_name"] or ""
    if stem in NAME_EXCEPTIONS:
        expected = NAME_EXCEPTIONS[stem][1]
    assert _parsed(stem).sender_name == expected


RECIPIENT_CASES = [(stem, key) for key in ("to", "cc") for stem in zammad_names(key)]


@pytest.mark.parametrize(("stem", "key"), RECIPIENT_CASES)
def test_recipients_match_zammad(stem: str, key: str) -> None:
    """To and Cc hold the addresses of Zammad's to/cc strings, lower-cased, in order (R2)."""
    found = re.findall(r"[\w.+-]+@[\w.-]+", zammad_expected(stem)[key] or "")
    expected = tuple(dict.fromkeys(a.lower() for a in found))  # '"a@b" <a@b>' is one address
    assert getattr(_parsed(stem), key) == expected


@pytest.mark.parametrize("stem", zammad_names("attachments"))
def test_attachment_names_match_zammad(stem: str) -> None:
    """Attachment names and order equal Zammad's, minus its stored HTML body (message.html)."""
    expected = zammad_expected(stem)
    names = [
        a["filename"] for a in expected["attachments"] or [] if a["filename"] != "message.html"
    ]
    if stem in ATTACHMENT_EXCEPTIONS:
        names = ATTACHMENT_EXCEPTIONS[stem][1]
    assert [a.filename for a in _parsed(stem).attachments] == names


@pytest.mark.parametrize("stem", zammad_names("body"))
def test_body_matches_zammad(stem: str) -> None:
    """The body text carries the same words as Zammad's body (90 % of shingles both ways)."""
    expected = zammad_expected(stem)
    text = _parsed(stem).text
    if stem in BODY_EXCEPTIONS:
        assert BODY_EXCEPTIONS[stem][1] in text
        return
    body = expected["body"]
    if body == NO_CONTENT:
        assert text.strip() == ""
        return
    tagged = re.search(r"<(div|br|p|span|b|strong|table)\b", body)
    is_html = expected.get("content_type") == "text/html" or tagged
    want, got = shingles(visible_text(body) if is_html else body), shingles(text)
    common = len(want & got)
    assert common >= 0.9 * len(want), "words of Zammad's body missing from ours"
    assert common >= 0.9 * len(got), "words in our body that Zammad does not have"


def test_exceptions_name_real_expectation_files() -> None:
    """Every documented exception refers to an existing expectation file."""
    tables = (SUBJECT_EXCEPTIONS, SENDER_EXCEPTIONS, NAME_EXCEPTIONS, ATTACHMENT_EXCEPTIONS)
    for table in (*tables, BODY_EXCEPTIONS):
        assert set(table) <= set(NAMES)
