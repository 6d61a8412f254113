"""Attachment names: decoded from every encoding seen in the wild, never a path."""

from __future__ import annotations

import pytest

from tests.mail.corpus import raw
from tests.shared_corpus import needs_corpus
from tracker_bridge.mail.filenames import safe_filename, unique_name
from tracker_bridge.mail.parse import parse_message


def names(name: str) -> list[str]:
    return [a.filename for a in parse_message(raw(name)).attachments]


@needs_corpus
@pytest.mark.parametrize(
    ("mail", "expected"),
    [
        ("zammad__mail081.box.eml", "Erklärung.txt"),  # RFC 2231 utf-8 + RFC 2047 name=
        ("rt__rfc2231-attachment-filename-continuations.eml", "新しいテキスト ドキュメント.txt"),
        ("otobo__PostMaster-Test3.box.eml", "utf-8-file-äöüß-カスタマ.txt"),
        ("djmailbox__message_with_utf8_attachment.eml", "piłkochwyty.jpg"),
        ("rubymail__attachment_with_base64_encoded_name.eml", "This is a test.pdf"),
        ("enmime__mime-bad-8bit-filename.raw.eml", "管理.doc"),  # raw 8-bit
        ("rubymail__attachment_nonascii_filename.eml", "ciële.txt"),  # raw 8-bit
        ("otobo__UTF8Filename.box.eml", "Documentación.pdf"),
        (
            "zammad__mail048.box.eml",
            "CPG-Reklamationsmitteilung bezügl.01234567895 an Voda-28.03.2017.jpg",
        ),
    ],
)
def test_encoded_filenames_decode(mail: str, expected: str) -> None:
    """RFC 2231 (with continuations), RFC 2047 in quotes and raw 8-bit names all decode."""
    assert expected in names(mail)


@needs_corpus
def test_path_traversal_is_stripped() -> None:
    """ "1234/../../1234.txt" becomes "1234.txt": a name, never a path."""
    assert names("phpmmp__m0124.eml") == ["1234.txt"]


@needs_corpus
@pytest.mark.parametrize(
    "mail", ["otobo__FilenameWithCRLF.box.eml", "otobo__FilenameWithNewline.box.eml"]
)
def test_cr_and_lf_are_removed_from_names(mail: str) -> None:
    """Encoded CR/LF in a filename never reach the stored name (header injection)."""
    found = names(mail)
    assert len(found) == 3
    assert all("\r" not in n and "\n" not in n for n in found)
    assert found[2].endswith(".eml")


@pytest.mark.parametrize(
    ("raw_name", "safe"),
    [
        ("..\\..\\windows\\system32\\evil.exe", "evil.exe"),
        ("/etc/passwd", "passwd"),
        ("report\r\n.pdf", "report.pdf"),
        ("  spaced.txt  ", "spaced.txt"),
        ("a\x00b.txt", "ab.txt"),
        ("..", None),
        ("   ", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_filename(raw_name: str | None, safe: str | None) -> None:
    """Directories, control characters and empty names are removed."""
    assert safe_filename(raw_name) == safe


def test_very_long_names_keep_their_extension() -> None:
    """A 500-character name is cut but still ends in its extension."""
    cut = safe_filename("x" * 500 + ".pdf")
    assert cut is not None and len(cut) <= 200 and cut.endswith(".pdf")


def test_unique_name_numbers_duplicates_like_zammad() -> None:
    """Generated duplicates become name1.ext, name2.ext."""
    assert unique_name("image.jpg", set()) == "image.jpg"
    assert unique_name("image.jpg", {"image.jpg"}) == "image1.jpg"
    assert unique_name("image.jpg", {"image.jpg", "image1.jpg"}) == "image2.jpg"
    assert unique_name("README", {"README"}) == "README1"
