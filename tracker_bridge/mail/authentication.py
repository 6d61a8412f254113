"""Did the receiving server authenticate the sender's domain? (RFC 8601 Authentication-Results)

R15 confirmations change a request's state, so ``From:`` alone is not trusted (issue 17: a reply
spoofing the responsible person's address moved a request to «Проверено»). The receiving server
records its DKIM/SPF/DMARC verdicts in ``Authentication-Results``; only the *topmost* such header
is read: it is the one our own server added last — a sender can write any number of its own
below it. The sender counts as authenticated when DMARC passed, or when DKIM (``header.d``) or
SPF (``smtp.mailfrom``) passed for the ``From:`` domain's organisational domain (relaxed
alignment).
Pure.
"""

from __future__ import annotations

import re

__all__ = ["sender_verified"]

_RESULT = re.compile(r"\b(dkim|spf|dmarc)\s*=\s*([a-z]+)\b([^;]{0,500})", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(header\.d|header\.i|header\.from|smtp\.mailfrom)\s*=\s*([^\s;]{1,255})")


def sender_verified(results: str | None, sender: str) -> bool | None:
    """True: the sender's domain passed; False: the header says otherwise; None: no header."""
    if results is None:
        return None
    domain = sender.rpartition("@")[2].strip().lower()
    if not domain:
        return False
    for found in _RESULT.finditer(results[:8192]):
        method, verdict, rest = found.group(1).lower(), found.group(2).lower(), found.group(3)
        if verdict != "pass":
            continue
        if method == "dmarc":
            return True
        for _name, value in _PROPERTY.findall(rest):
            checked = value.strip("<>\"'").rpartition("@")[2].lower()
            if _aligned(checked, domain):
                return True
    return False


def _aligned(checked: str, domain: str) -> bool:
    """Relaxed alignment (RFC 7489 §3.1): one organisational domain, approximated by the last
    two labels (no public-suffix list here: a pass for a bare suffix never counts)."""
    return checked.count(".") >= 1 and _organisational(checked) == _organisational(domain)


def _organisational(domain: str) -> str:
    return ".".join(domain.strip(".").split(".")[-2:])
