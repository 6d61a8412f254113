"""Body versus attachments (R7: every attachment reaches the issue, nothing else does)."""

from __future__ import annotations

from tests.mail.corpus import raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.regulation.model import Attachment

pytestmark = needs_corpus


def attachments(name: str) -> tuple[Attachment, ...]:
    return parse_message(raw(name)).attachments


def test_html_alternative_of_the_body_is_not_an_attachment() -> None:
    """multipart/alternative gives one body (text/plain preferred), not a message.html file."""
    mail = parse_message(raw("zammad__mail001.box.eml"))
    assert mail.attachments == ()
    assert "wie besprochen hier noch die Daten" in mail.text


def test_html_only_mail_is_converted_to_text() -> None:
    """A single text/html part becomes readable text without tags, styles or scripts."""
    mail = parse_message(raw("zammad__mail030.box.eml"))
    assert mail.text.startswith("Sehr geehrte Damen und Herren,")
    assert "<" not in mail.text.split("\n", 1)[0]


def test_empty_text_plain_alternative_falls_back_to_html() -> None:
    """An empty text/plain alternative does not hide the HTML one."""
    assert parse_message(raw("zammad__mail034.box.eml")).text == "**some html text**"


def test_inline_cid_images_are_inline_attachments() -> None:
    """Images referenced by cid: are attachments with inline=True and their Content-ID."""
    (image,) = attachments("zammad__mail010.box.eml")
    assert (image.filename, image.content_type, image.inline) == (
        "image001.jpg",
        "image/jpeg",
        True,
    )
    assert image.content_id == "image001.jpg@01CDB132.D8A510F0"
    assert image.data.startswith(b"\xff\xd8")  # JPEG magic: base64 decoded
    (bare,) = attachments("chatwoot__cid_inline_images_without_disposition.eml")
    assert bare.inline and bare.content_id


def test_regular_attachments_are_not_inline() -> None:
    """Content-Disposition: attachment files are kept with their type and bytes."""
    found = attachments("zammad__mail028.box.eml")
    assert [(a.filename, a.content_type, a.inline) for a in found] == [
        ("Znuny GmbH .pdf", "application/pdf", False),
        ("Lebenslauf.pdf", "application/pdf", False),
    ]
    assert found[1].data.startswith(b"%PDF")  # the first one's base64 is broken in the source
    assert found[0].size > 0


def test_forwarded_message_is_an_eml_attachment_named_by_its_subject() -> None:
    """message/rfc822 is kept whole as <subject>.eml and parses back to the forwarded mail."""
    (eml,) = attachments("phpmmp__issue158a.eml")
    assert (eml.filename, eml.content_type) == ("Test 5.eml", "message/rfc822")
    inner = parse_message(eml.data)
    assert inner.subject == "Test 5"
    assert "An RFC 822 forward" not in inner.text  # the outer body stays outside


def test_base64_encoded_forward_is_decoded() -> None:
    """A message/rfc822 part sent as base64 is stored as the decoded message."""
    (eml,) = attachments("tb__rfc822_base64_attachment.eml")
    assert eml.data.startswith(b"Subject: Hi")
    assert parse_message(eml.data).text == "Hello."


def test_detached_signature_is_dropped_but_signed_content_kept() -> None:
    """multipart/signed: the text is the body, signature.asc is not an attachment."""
    mail = parse_message(raw("zammad__mail038.box.eml"))
    assert mail.attachments == ()
    assert mail.text.startswith("test 1234 äöü sig test without attachment")


def test_calendar_invite_in_an_alternative_is_kept() -> None:
    """text/calendar next to the body alternatives is an attachment (nothing is lost)."""
    found = attachments("phpmmp__m0020.eml")
    assert [(a.filename, a.content_type) for a in found] == [("invite.ics", "text/calendar")]
    assert found[0].data.startswith(b"BEGIN:VCALENDAR")


def test_unnamed_parts_get_names_by_type() -> None:
    """Blank or missing names become image.jpg, video.mov, document.html … made unique."""
    assert [a.filename for a in attachments("zammad__mail080.box.eml")] == ["image.jpg"]
    names = [a.filename for a in attachments("zammad__mail062.box.eml")]
    assert names[2:4] == ["document.html", "document1.html"]
    assert names[-2:] == ["video.mov", "video1.mov"]


def test_single_part_non_text_mail_is_an_attachment_with_empty_text() -> None:
    """A mail whose only part is a PDF or octet-stream has no text and one attachment."""
    mail = parse_message(raw("zammad__mail086.box.eml"))
    assert mail.text == ""
    assert [a.filename for a in mail.attachments] == ["test.pdf"]


def test_broken_multipart_keeps_the_text() -> None:
    """A multipart without its boundary becomes text, with a defect (R7: still a request)."""
    mail = parse_message(raw("enmime__multipart-wo-boundary.raw.eml"))
    assert "multipart message without boundary" in mail.text
    assert "multipart/report without parts" in mail.defects
