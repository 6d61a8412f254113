"""The project's own test mails parse as written beside each (tests/data/mail/NAME.json).

They cover what the shared corpus covers — every charset met in practice, HTML-only Outlook mail,
TNEF, bounces, auto-replies by each RFC 3834 and vendor header, RFC 2231 and encoded-word file
names, nested messages, broken MIME, the R7 template in its variants, replies (R8) — so a clone
with nothing beside it holds the parser to all of it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.data.mail import make_mails
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.regulation.model import InboundMail

HERE = Path(make_mails.__file__).resolve().parent
NAMES = sorted(p.stem for p in HERE.glob("*.eml"))


@cache
def raw(name: str) -> bytes:
    return (HERE / f"{name}.eml").read_bytes()


@cache
def expected(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _attachments(mail: InboundMail, want: list[dict[str, Any]]) -> list[dict[str, object]]:
    """The attachments as NAME.json writes them (inline and content_id where it names them)."""
    found: list[dict[str, object]] = []
    for index, a in enumerate(mail.attachments):
        item: dict[str, object] = {"filename": a.filename, "content_type": a.content_type}
        item["size"] = a.size
        wanted = want[index] if index < len(want) else {}
        item |= {k: getattr(a, k) for k in ("inline", "content_id") if k in wanted}
        if not wanted.get("inline", False):
            assert not a.inline, a.filename
        found.append(item)
    return found


def test_the_files_are_what_make_mails_writes() -> None:
    """The committed mails and expectations are current (python -m tests.data.mail.make_mails)."""
    built = make_mails.build()
    assert sorted(built) == NAMES
    for name, (data, expect) in built.items():
        assert raw(name) == data, name
        assert expected(name) == json.loads(make_mails.expected_json(expect)), name


def test_every_category_of_the_corpus_has_its_own_mail() -> None:
    """Charsets, HTML, TNEF, bounces, robots, names, nesting, broken MIME, template, replies."""
    prefixes = {"cp1251", "koi8r", "utf8", "undeclared", "outlook", "tnef", "dsn", "auto",
                "filenames", "nested", "broken", "template", "reply"}  # fmt: skip
    assert prefixes <= {name.split("_", 1)[0] for name in NAMES}
    headers = {name for name in NAMES if name.startswith("auto_")}
    assert len(headers) >= 12  # one per RFC 3834 value and vendor header


# Fields compared as they are (tuples as lists, the date with its offset); absent keys: unchecked.
_AS_IS = ("subject", "sender", "sender_name", "reply_text", "in_reply_to", "fields", "message_id",
          "text")  # fmt: skip
_AS_LIST = ("to", "cc", "delivered_to", "references", "issue_keys")


def _fields_of(mail: InboundMail, want: dict[str, Any]) -> dict[str, object]:
    got: dict[str, object] = {k: getattr(mail, k) for k in _AS_IS if k in want}
    got |= {k: list(getattr(mail, k)) for k in _AS_LIST if k in want}
    if "date" in want:
        got["date"] = mail.date and mail.date.isoformat()
    if "attachments" in want:
        got["attachments"] = _attachments(mail, want["attachments"])
    if "attachments_named" in want:
        got["attachments_named"] = [a.filename for a in mail.attachments]
    return got


def _text_checks(mail: InboundMail, want: dict[str, Any]) -> None:
    for phrase in want.get("text_contains", []):
        assert phrase in mail.text
    for phrase in want.get("text_lacks", []):
        assert phrase not in mail.text
    for phrase in want.get("defects_contain", []):
        assert any(phrase.lower() in d.lower() for d in mail.defects), (phrase, mail.defects)


@pytest.mark.parametrize("name", NAMES)
def test_r7_own_mail_parses_as_expected(name: str) -> None:
    """Each field written in NAME.json is what parse_message gives; the text never has markup."""
    want = expected(name)
    mail = parse_message(raw(name))
    wanted = {k: want[k] for k in (*_AS_IS, *_AS_LIST, "date", "attachments", "attachments_named")
              if k in want}  # fmt: skip
    assert _fields_of(mail, want) == wanted
    _text_checks(mail, want)
    emls = [a for a in mail.attachments if a.content_type == "message/rfc822"]
    forwarded = [parse_message(eml.data) for eml in emls]
    assert [{"subject": m.subject, "text": m.text} for m in forwarded] == want.get("forwarded", [])
    assert mail.is_automatic is want.get("is_automatic", False)
    assert mail.automatic_reason == want.get("automatic_reason")
    if want.get("message_id_synthetic"):
        assert mail.message_id == parse_message(raw(name)).message_id
        assert mail.message_id != parse_message(raw(name) + b"\r\n").message_id


@pytest.mark.parametrize("name", NAMES)
def test_own_mail_parsing_is_deterministic(name: str) -> None:
    """The same bytes give the same mail (intake dedupe relies on it, R1)."""
    assert parse_message(raw(name)) == parse_message(raw(name))
