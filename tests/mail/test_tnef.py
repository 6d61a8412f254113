"""Outlook winmail.dat (TNEF): the files inside become attachments; junk is kept as is."""

from __future__ import annotations

import base64
import struct

from tests.mail.corpus import raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.mail.tnef import unpack_tnef

SIGNATURE = 0x223E9F78
LEVEL_MESSAGE, LEVEL_ATTACHMENT = 0x01, 0x02


def _attribute(name: int, kind: int, data: bytes, level: int = LEVEL_ATTACHMENT) -> bytes:
    checksum = sum(data) & 0xFFFF
    header = struct.pack("<BHHI", level, name, kind, len(data))
    return header + data + struct.pack("<H", checksum)


def winmail(files: dict[str, bytes], body: bytes = b"") -> bytes:
    """A minimal TNEF stream: an optional body, then render data, title and data per file."""
    blob = struct.pack("<IH", SIGNATURE, 0x1234)
    if body:
        blob += _attribute(0x800C, 0x0002, body, LEVEL_MESSAGE)  # attBody
    for name, data in files.items():
        blob += _attribute(0x9002, 0x0006, bytes(14))  # attRenddata starts an attachment
        blob += _attribute(0x8010, 0x0001, name.encode() + b"\x00")  # attAttachTitle
        blob += _attribute(0x800F, 0x0006, data)  # attAttachData
    return blob


def test_files_inside_winmail_dat_are_unpacked() -> None:
    """Each file in the TNEF stream is an attachment with a type guessed from its name."""
    content = unpack_tnef(winmail({"report.pdf": b"%PDF-1.4 body", "notes.txt": b"hello"}))
    assert content.failure is None
    assert [(f.filename, f.content_type, f.data) for f in content.files] == [
        ("report.pdf", "application/pdf", b"%PDF-1.4 body"),
        ("notes.txt", "text/plain", b"hello"),
    ]


def test_winmail_dat_in_a_mail_is_replaced_by_its_files() -> None:
    """An application/ms-tnef part in a mail yields the inner files, not winmail.dat."""
    encoded = base64.encodebytes(winmail({"scan.png": b"\x89PNG data"})).decode()
    mail = parse_message(
        (
            "From: a@clinic1.example\r\nSubject: scan\r\nMessage-ID: <t@x>\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
            "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            "--b\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + encoded + "--b--\r\n"
        ).encode()
    )
    assert [(a.filename, a.data) for a in mail.attachments] == [("scan.png", b"\x89PNG data")]


def test_a_body_only_in_winmail_dat_becomes_the_text() -> None:
    """Outlook sending everything inside winmail.dat: its body is the mail's text."""
    encoded = base64.encodebytes(winmail({}, body="Не печатается выписка".encode("cp1251")))
    mail = parse_message(
        b"From: a@clinic1.example\r\nSubject: x\r\nMessage-ID: <w@x>\r\n"
        b"Content-Type: application/ms-tnef; name=winmail.dat\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded
    )
    assert mail.text == "Не печатается выписка"
    assert mail.attachments == ()


@needs_corpus
def test_a_winmail_dat_that_is_not_tnef_is_kept_with_a_defect() -> None:
    """The corpus winmail.dat holds a PNG, not TNEF: it stays as is and a defect says why."""
    mail = parse_message(raw("zbateson__m4006.txt.eml"))
    assert [a.filename for a in mail.attachments] == ["winmail.dat"]
    assert mail.attachments[0].data.startswith(b"\x89PNG")
    assert "TNEF not unpacked: ValueError" in mail.defects


def test_an_8bit_title_without_a_code_page_is_decoded_not_fatal() -> None:
    """Outlook writes titles in its ANSI code page; without attOemCodepage it is detected."""
    blob = struct.pack("<IH", SIGNATURE, 0x1234)
    blob += _attribute(0x9002, 0x0006, bytes(14))
    blob += _attribute(0x8010, 0x0001, "Протокол осмотра.pdf".encode("cp1251") + b"\x00")
    blob += _attribute(0x800F, 0x0006, b"%PDF-1.4")
    content = unpack_tnef(blob)
    assert content.failure is None
    assert [(f.filename, f.data) for f in content.files] == [("Протокол осмотра.pdf", b"%PDF-1.4")]
