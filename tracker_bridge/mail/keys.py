"""Tracker issue keys (SUP-42) named in a mail, without charset names and standards."""

from __future__ import annotations

import re

__all__ = ["issue_keys"]

# Queue part: Latin, starts with two capitals; digits may follow. Not glued to letters, digits,
# dashes or dots on either side (so no "UTF-8", "x-SUP-1", "SUP-1.2"); URLs ".../SUP-1" count.
_KEY = re.compile(r"(?<![\w\-.@])([A-Z]{2}[A-Z0-9]{0,30})-([1-9][0-9]{0,8})(?![\w\-@]|\.\d)")
_NOT_QUEUES = frozenset(
    {
        "UTF", "ISO", "KOI", "KOI8", "WIN", "WINDOWS", "CP", "IBM", "MAC", "GB", "EUC", "BIG",
        "RFC", "SHA", "MD", "TLS", "SSL", "AES", "RSA", "DES", "ECDSA", "PKCS", "X", "CVE", "CWE",
        "GOST", "IEEE", "ECMA", "EN", "DIN", "IEC", "ANSI", "ASCII", "US", "MS", "UCS",
        "HTTP", "TCP", "UDP", "IP", "IPV", "COVID", "SARS", "MKB", "ICD", "MP", "MPEG", "H",
        "PDF", "JPEG", "DOC", "ID", "NO", "NR", "TEL", "FAX",
    }
)  # fmt: skip


def issue_keys(*texts: str) -> tuple[str, ...]:
    """Keys in order of first appearance across ``texts`` (subject first, then body)."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in _KEY.finditer(text):
            if match.group(1) not in _NOT_QUEUES:
                seen.setdefault(f"{match.group(1)}-{int(match.group(2))}", None)
    return tuple(seen)
