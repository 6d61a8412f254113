"""Did the receiving server authenticate the sender's domain? (RFC 8601 Authentication-Results)

R15 confirmations change a request's state, so ``From:`` alone is not trusted (issue 17: a reply
spoofing the responsible person's address moved a request to «Проверено»). The receiving server
records its DKIM/SPF/DMARC verdicts in ``Authentication-Results``; only the *topmost* such header
is read: it is the one our own server added last — a sender can write any number of its own
below it. The sender counts as authenticated when DMARC passed for the ``From:`` domain, or when
DKIM (``header.d``) or SPF (``smtp.mailfrom``) passed for a domain in the same organisational
domain (relaxed alignment, RFC 7489 §3.1).

The organisational domain is found with the Public Suffix List (RFC 7489 §3.2), as DMARC itself
does: the last two labels are wrong wherever a registry sells names one level down (a pass for
``other.co.uk`` would vouch for ``clinic.co.uk``; ``spb.ru``, ``msk.ru``, ``github.io`` alike).
The list comes from the ``publicsuffixlist`` package, which ships a current snapshot of it and
reads it from disk: nothing is fetched at run time. It is loaded (~0.1 s, ~3 MiB) only when a
pass names a domain other than the sender's own.
Pure (the list is data).
"""

from __future__ import annotations

import functools
import re

from publicsuffixlist import PublicSuffixList

__all__ = ["organisational_domain", "sender_verified"]

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
        properties = _PROPERTY.findall(rest)
        if method == "dmarc":
            # DMARC's verdict is about the header.from domain: ours, unless it names another
            named = [v for name, v in properties if name == "header.from"]
            if not named or any(_domain_of(v) == domain for v in named):
                return True
            continue
        for _name, value in properties:
            if _aligned(_domain_of(value), domain):
                return True
    return False


def _domain_of(value: str) -> str:
    return value.strip("<>\"'").rpartition("@")[2].strip(".").lower()


def _aligned(checked: str, domain: str) -> bool:
    """Relaxed alignment (RFC 7489 §3.1): the same organisational domain. A pass for a public
    suffix itself (``co.uk``, ``example``) vouches for nobody else."""
    if checked == domain:
        return True  # strict alignment: the sender's own domain
    found = organisational_domain(checked)
    return found is not None and found == organisational_domain(domain)


def organisational_domain(domain: str) -> str | None:
    """The registered domain above ``domain`` (RFC 7489 §3.2: one label below its public
    suffix), or None for a public suffix itself."""
    name = domain.strip(".").lower()
    if not name:
        return None
    found = _suffixes().privatesuffix(name)
    return str(found) if found else None


@functools.cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()
