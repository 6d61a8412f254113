"""Bytes → text for mail: declared charsets when they work, detection when they do not.

Clinic mail comes from old Windows clients, Russian webmail and phone apps, so a declared charset
is a hint, not a fact. Order of trust: a declared charset that decodes cleanly, then UTF-8, then a
Cyrillic check (cp1251 / KOI8), then charset-normalizer, then cp1252 with replacement characters.
Nothing here raises.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

__all__ = ["LATIN", "decode_bytes", "decode_raw", "detect_codec", "lookup_codec"]

# Labels seen in real mail that Python's codec registry does not know (or knows too narrowly).
_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "unicode-1-1-utf-8": "utf-8",
    "utf8mb4": "utf-8",
    "gb2312": "gb18030",  # senders mean GBK/GB18030 when they write GB2312
    "iso-gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-user-defined": "cp1252",
    "ansi_x3.4-1968": "ascii",
    "win-1251": "cp1251",
    "cp-1251": "cp1251",
    "windows-1251": "cp1251",
    "koi8r": "koi8_r",
}
_UNKNOWN = frozenset({"", "unknown-8bit", "x-unknown", "unknown", "default", "charset"})
LATIN = frozenset(codecs.lookup(c).name for c in ("ascii", "latin-1", "iso-8859-15", "cp1252"))
_CYRILLIC_CANDIDATES = ("cp1251", "koi8_u")
_WORD = re.compile(r"[^\W\d_]+")
# Russian letter frequencies, per cent (National Corpus of the Russian Language).
_FREQUENCY = dict(
    zip(
        "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
        (10.97, 8.45, 8.01, 7.35, 6.70, 6.26, 5.47, 4.73, 4.54, 4.40, 3.49, 3.21, 2.98, 2.81,
         2.62, 2.01, 1.90, 1.74, 1.70, 1.65, 1.59, 1.44, 1.21, 0.97, 0.94, 0.73, 0.64, 0.48,
         0.36, 0.32, 0.26, 0.04, 0.04),
        strict=True,
    )
)  # fmt: skip
_NATURAL_FREQUENCY = 4.5  # mean letter frequency: Russian text ≈ 5.5–6.5, a wrong code page ≈ 3
_DETECT_LIMIT = 64 * 1024
_HIGH = bytes(range(0x80, 0x100))
_HIGH_LETTERS = bytes(range(0xC0, 0x100))


def lookup_codec(label: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None if it is unknown."""
    if label is None:
        return None
    name = label.strip().strip("\"'").lower()
    if name in _UNKNOWN:
        return None
    for candidate in (_ALIASES.get(name), name, name.removeprefix("x-"), name.replace("-", "")):
        codec = _text_codec(candidate)
        if codec:
            return codec
    if "1251" in name:
        return "cp1251"
    match = re.search(r"(iso.?2022.?jp|utf.?8|koi8.?r)", name)
    return lookup_codec(match.group(1)) if match and match.group(1) != name else None


def _text_codec(name: str | None) -> str | None:
    """A codec that decodes bytes to text; never zlib, base64, rot13 and other byte codecs."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name
        b"a\xff".decode(codec, errors="replace")  # empty input would skip the codec check
    except (LookupError, UnicodeError, ValueError):
        return None
    return _ALIASES.get(codec, codec)


def decode_raw(data: bytes, hint: str | None = None) -> str:
    """Undeclared bytes (a raw 8-bit header): UTF-8 if valid, else ``hint``, else a guess."""
    if data.isascii():
        return data.decode("ascii")
    text = _strict(data, "utf-8")
    return text if text is not None else decode_bytes(data, hint)[0]


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """Decode ``data``; returns the text and a short defect note when the declaration failed."""
    codec = lookup_codec(declared)
    if codec is not None:
        text = _strict(data, codec)
        if text is not None and not (codec in LATIN and _cyrillic_codec(data)):
            return text, None
        if text is None and codec not in LATIN and _strict(data, "utf-8") is None:
            # A multi-byte charset with a few bad bytes: the declaration is still the best bet.
            return data.decode(codec, errors="replace"), f"invalid bytes for charset {codec}"
    if data.isascii():
        return data.decode("ascii"), None
    found = detect_codec(data)
    note = None if declared is None else f"charset {declared.strip()[:40]!r} replaced by {found}"
    return data.decode(found, errors="replace"), note


def detect_codec(data: bytes) -> str:
    """Best guess of the codec of undeclared bytes, biased to UTF-8 and Cyrillic."""
    if data.isascii():
        return "ascii"
    if _strict(data, "utf-8") is not None or _mostly_utf8(data):
        return "utf-8"
    cyrillic = _cyrillic_codec(data)
    if cyrillic is not None:
        return cyrillic
    if not _mostly_accented_words(data):
        return "cp1252"  # Western text: ASCII words with the odd accented letter
    best = from_bytes(data[:_DETECT_LIMIT]).best()
    if best is not None and lookup_codec(best.encoding) is not None:
        return lookup_codec(best.encoding) or "cp1252"
    return "cp1252"


def _mostly_utf8(data: bytes) -> bool:
    """Valid UTF-8 but for a few bytes (a cut-off name, one bad byte in a long body)."""
    text = data[:_DETECT_LIMIT].decode("utf-8", errors="replace")
    errors = text.count("\ufffd")
    valid = sum(1 for ch in text if ord(ch) > 0x7F) - errors
    return valid >= 3 and errors * 10 <= valid


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError):
        return None


def _cyrillic_codec(data: bytes) -> str | None:
    """cp1251 or KOI8 if the 8-bit bytes read as natural Russian text in one of them."""
    sample = data[:_DETECT_LIMIT]
    high = len(sample) - len(sample.translate(None, _HIGH))
    letters = len(sample) - len(sample.translate(None, _HIGH_LETTERS))
    if not high or letters < 0.8 * high:
        return None  # Cyrillic letters live in 0xC0-0xFF in both cp1251 and KOI8; CJK does not
    if not _mostly_accented_words(data):
        return None
    scored = [(_russian_score(data.decode(c, errors="replace")), c) for c in _CYRILLIC_CANDIDATES]
    score, codec = max(scored)
    return codec if score >= 1.0 else None


def _mostly_accented_words(data: bytes) -> bool:
    """Single-byte Cyrillic read as Latin-1 gives words made of accented letters only."""
    words = [w for w in _WORD.findall(data[:_DETECT_LIMIT].decode("latin-1")) if not w.isascii()]
    if not words:
        return False
    letters = sum(len(w) for w in words)
    accented = sum(1 for w in words for ch in w if not ch.isascii())
    return accented / letters > 0.6


def _russian_score(text: str) -> float:
    """How much ``text`` reads as Russian: Cyrillic words, common letters, sane letter case.

    Reading KOI8 as cp1251 (or back) swaps case and scrambles letters, so it yields rare letters
    and words like "пРИВЕТ"; the right code page yields common letters in lower/Title/UPPER case.
    """
    words: list[str] = [w for w in _WORD.findall(text[:_DETECT_LIMIT]) if not w.isascii()]
    cyrillic = [w for w in words if all("\u0400" <= ch <= "\u04ff" for ch in w)]
    if not cyrillic:
        return 0.0
    letters = "".join(cyrillic).lower()
    frequency = sum(_FREQUENCY.get(ch, 0.0) for ch in letters) / len(letters)
    cased = sum(w.islower() or w.isupper() or w.istitle() for w in cyrillic) / len(cyrillic)
    purity = len(cyrillic) / len(words)
    return purity * cased * frequency / _NATURAL_FREQUENCY
