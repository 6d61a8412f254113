"""Charset handling: declared when it works, detected (biased to Russian) when it does not."""

from __future__ import annotations

import codecs

import pytest

from tracker_bridge.mail.charsets import decode_bytes, decode_raw, detect_codec, lookup_codec

RUSSIAN = "Не печатается выписка из истории болезни, помогите пожалуйста"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("windows-1251", "cp1251"),
        ("cp-1251", "cp1251"),
        ("Win-1251", "cp1251"),
        ('"KOI8-R"', "koi8_r"),
        ("unicode-1-1-utf-7", "utf-7"),
        ("GB2312", "gb18030"),
        ("ks_c_5601-1987", "cp949"),
        ("_iso-2022-jp$ESC", "iso2022_jp"),
        ("bad-charset", None),
        ("zlib", None),  # byte codecs are not charsets (and must not inflate anything)
        ("rot13", None),
        ("base64", None),
        ("x-windows_1251", "cp1251"),
        ("", None),
        (None, None),
    ],
)
def test_charset_labels_from_real_mail(label: str | None, codec: str | None) -> None:
    """Aliases and misspellings map to Python codecs; nonsense maps to None."""
    found = lookup_codec(label)
    assert found == codec or (found and codec and codecs.lookup(found) == codecs.lookup(codec))


@pytest.mark.parametrize("codec", ["utf-8", "cp1251", "koi8_r"])
def test_undeclared_russian_is_detected_in_each_code_page(codec: str) -> None:
    """UTF-8, cp1251 and KOI8-R Russian decode correctly without a declaration."""
    assert decode_bytes(RUSSIAN.encode(codec))[0] == RUSSIAN


def test_short_all_caps_cyrillic_is_still_detected() -> None:
    """A short upper-case cp1251 subject ("СРОЧНО") is not mistaken for KOI8."""
    assert decode_raw("СРОЧНО".encode("cp1251")) == "СРОЧНО"


def test_western_text_is_not_mistaken_for_cyrillic() -> None:
    """German cp1252 text stays German (the Cyrillic bias needs Russian-looking words)."""
    text = "Die Hasen und die Frösche, Matterhörn, Grüße"
    assert decode_bytes(text.encode("cp1252"))[0] == text
    assert detect_codec(text.encode("cp1252")) == "cp1252"


def test_chinese_is_left_to_charset_normalizer() -> None:
    """GB18030 text is not forced into a Cyrillic code page."""
    text = "转发：整体提升企业服务水平"
    assert decode_raw(text.encode("gb18030")) == text


def test_cp1251_declared_as_latin1_is_corrected() -> None:
    """Old Russian clients label cp1251 as iso-8859-1; the Russian reading wins."""
    text, note = decode_bytes(RUSSIAN.encode("cp1251"), "iso-8859-1")
    assert text == RUSSIAN
    assert note is not None and "cp1251" in note


def test_wrong_declaration_is_replaced_with_a_note() -> None:
    """UTF-8 bytes declared us-ascii decode as UTF-8 and the mismatch is noted."""
    text, note = decode_bytes("Mätterhorn".encode(), "us-ascii")
    assert text == "Mätterhorn"
    assert note == "charset 'us-ascii' replaced by utf-8"


def test_a_few_bad_bytes_keep_the_declared_multibyte_charset() -> None:
    """A declared UTF-8 body with one broken byte stays UTF-8, the byte replaced."""
    data = (RUSSIAN + " ").encode() + b"\xff" + RUSSIAN.encode()
    text, note = decode_bytes(data, "utf-8")
    assert text == f"{RUSSIAN} \ufffd{RUSSIAN}"
    assert note == "invalid bytes for charset utf-8"


def test_cut_off_utf8_is_still_utf8() -> None:
    """A UTF-8 name cut in the middle of a character is UTF-8 with one replacement."""
    assert decode_raw("Картинка с очень длинным".encode()[:-1]) == "Картинка с очень длинны\ufffd"
