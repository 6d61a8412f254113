"""Malformed MIME from Dovecot's test suite, against stalwart mail-parser's expected trees.

Only what is meaningful for a helpdesk is compared: whether there is body text and how many
attachments there are. Stalwart's byte offsets and header trees have no counterpart here.
"""

from __future__ import annotations

import json

from tests.mail.corpus import EXPECTED, raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.parse import parse_message

pytestmark = needs_corpus


def expected(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((EXPECTED / f"{name}.json").read_text("utf-8"))
    return loaded


def test_000_boundaries_without_parts_give_no_text_and_no_attachments() -> None:
    """Bare boundary lines with no bodies: no text, no attachments (stalwart: none of either)."""
    tree = expected("dovecot__000")
    mail = parse_message(raw("dovecot__000.eml"))
    assert tree["text_body"] == [] and tree["attachments"] == []
    assert mail.text == "" and mail.attachments == ()


def test_001_nested_boundary_prefix_gives_an_empty_text() -> None:
    """A nested boundary that prefixes the outer one: the text part is empty (as in stalwart)."""
    tree = expected("dovecot__001")
    assert tree["text_body"] == [2]
    mail = parse_message(raw("dovecot__001.eml"))
    assert mail.text == ""
    assert "multipart/mixed without parts" in mail.defects


def test_002_multipart_without_its_boundary_keeps_the_text() -> None:
    """Boundary never appears: stalwart files "body" as an attachment; we keep it as the text.

    Documented difference: R7 says an unrecognised layout still becomes a request with the whole
    text as description, so the words must reach the text, not a nameless attachment.
    """
    tree = expected("dovecot__002")
    assert tree["attachments"] == [0]
    mail = parse_message(raw("dovecot__002.eml"))
    assert mail.text == "body"
    assert "StartBoundaryNotFoundDefect" in mail.defects


def test_010_nested_rfc822_is_one_eml_attachment() -> None:
    """message/rfc822 inside message/rfc822: one attachment holding the innermost text."""
    tree = expected("dovecot__010")
    assert tree["attachments"] == [0]
    mail = parse_message(raw("dovecot__010.eml"))
    assert mail.text == ""
    assert len(mail.attachments) == 1
    attachment = mail.attachments[0]
    assert attachment.filename.endswith(".eml")
    assert attachment.content_type == "message/rfc822"
    assert attachment.data.rstrip().endswith(b"1")
