"""What the source projects' own tests assert about their corpus files (SOURCES.md "expect").

Only assertions that mean something for a helpdesk are repeated; project-specific renaming
(OTOBO's "_" for spaces, "file-N" for the HTML body) is not.
"""

from __future__ import annotations

from tests.mail.corpus import raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.regulation.model import InboundMail

pytestmark = needs_corpus


def parsed(name: str) -> InboundMail:
    return parse_message(raw(name))


def names(name: str) -> list[str]:
    return [a.filename for a in parsed(name).attachments]


def test_attachment_after_a_reused_boundary_is_not_lost() -> None:
    """spamscope: a nested multipart reusing the outer boundary still yields the zip file."""
    mail = parsed("spamscope__mail_malformed_1.eml")
    assert [a.filename for a in mail.attachments] == ["20160523_916527.jpg_.zip"]
    assert mail.attachments[0].data.startswith(b"PK")
    assert "parts after the closing boundary recovered" in mail.defects


def test_uuencoded_attachment_is_decoded() -> None:
    """Zammad: Content-Transfer-Encoding x-uuencode gives the file's real content."""
    mail = parsed("zammad__mail078-content_transfer_encoding_x_uuencode.box.eml")
    first = mail.attachments[0]
    assert first.filename == "PGP_Cmts_on_12-14-01_Pkg.txt"
    assert first.data == b"Hello Zammad"  # the corpus predates the fork's TTS rebranding


def test_calendar_attachment_of_php_mime_mail_parser() -> None:
    """php-mime-mail-parser m0020: subject '1' and one 1432-byte text/calendar attachment."""
    mail = parsed("phpmmp__m0020.eml")
    assert mail.subject == "1"
    assert (mail.sender_name, mail.sender) == ("Finntack Newsletter", "newsletter@finntack.com")
    assert [(a.content_type, a.size) for a in mail.attachments] == [("text/calendar", 1432)]


def test_otobo_expectations() -> None:
    """OTOBO: duplicated Content-Type keeps the fax, an empty part stays an empty file."""
    assert [
        (a.filename, a.content_type)
        for a in parsed("otobo__DuplicatedContentTypeHeader.eml").attachments
    ] == [("Cisco_fax.tif", "image/tiff")]
    empty = parsed("otobo__EmptyEmail.eml").attachments
    assert [(a.filename, a.size) for a in empty] == [("Łatwa sprawa.txt", 0)]
    nested = names("otobo__NestedMessage-Test1.box.eml")
    assert nested == [
        "[Presse-Greenpeace] Morgen wird Greenpeace-Einspruch gegenEmbryonen-Patent verhandelt"
        " - NeueDokumentation ueber Patente auf Leben.eml"
    ]
    assert parsed("otobo__BrokenEncoding.box.eml").text  # body found despite the hidden charset


def test_rt_expectations() -> None:
    """Request Tracker: nested forward subject, Outlook .eml name, bounce text, FYI forward."""
    assert parsed("rt__nested-rfc-822.eml").subject == "[Jonas Liljegren] Re: [Para] Nivåer?"
    assert names("rt__outlook-rfc822.eml") == ["Updates to our terms of use.eml"]
    assert "The original message was received" in parsed("rt__multipart-report.eml").text
    assert parsed("rt__crashes-file-based-parser.eml").text.startswith("FYI")
    assert parsed("rt__subject-with-folding-ws.eml").subject == "test"


def test_zbateson_expectations() -> None:
    """zbateson/mail-mime-parser: sender, recipient and subject of its functional tests."""
    mail = parsed("zbateson__m4006.txt.eml")
    assert (mail.sender_name, mail.sender, mail.to) == (
        "Test Sender",
        "sender@email.test",
        ("recipient@email.test",),
    )
    assert mail.subject == "Read: invitation" and len(mail.attachments) == 1
    assert parsed("zbateson__invalid-charset.txt.eml").subject == "Test invalid charset"
    m4001 = parsed("zbateson__m4001.txt.eml")
    assert m4001.subject == "Die Hasen und die Frösche (Microsoft Outlook 00)"


def test_chatwoot_and_discourse_expectations() -> None:
    """Chatwoot and Discourse: Arabic subject and text, UTF-7 reply text, display name."""
    arabic = parsed("chatwoot__non_utf_encoded_mail.eml")
    assert arabic.subject.strip() == "أهلين عميلنا الكريم"
    assert arabic.text.startswith("أنظروا، أنا أحتاجها فقط لتقوم بالتدقيق في مقالتي الشخصية")
    utf7 = parsed("discourse__reply_with_weird_encoding.eml")
    assert utf7.text == "This is a reply with a weird encoding."
    assert parsed("chatwoot__bounced_with_no_from.eml").message_id  # processing does not raise


def test_enmime_expectations() -> None:
    """enmime: text part and a raw 8-bit attachment name."""
    mail = parsed("enmime__mime-bad-8bit-filename.raw.eml")
    assert mail.text == "Text part"
    assert names("enmime__mime-bad-8bit-filename.raw.eml") == ["管理.doc"]
