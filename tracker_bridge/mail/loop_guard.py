"""Whether an incoming email may get an automatic answer (safety rules; PRIOR-ART §13.3). Pure.

Helpdesks melt down in mail loops: an auto-reply answers an auto-reply, 8 000 mails overnight
(freescout #4143). The guard refuses, in this order: automatic mail (RFC 3834 headers, bounces,
lists — as the parser found, plus tell-tale subjects the parser may not know), our own messages and
addresses, no-reply style senders, addresses that bounced permanently, and any sender past the
daily cap. The counters are the caller's (the store's), so the same inputs give the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tracker_bridge.regulation.model import InboundMail

__all__ = [
    "DEFAULT_DAILY_LIMIT",
    "LoopCaps",
    "domain_key",
    "is_no_reply_address",
    "request_cap",
    "robot_key",
    "should_answer",
]

DEFAULT_DAILY_LIMIT = 10

# Local parts that never read replies (after lower-casing and dropping a "+tag").
_NO_REPLY = re.compile(
    r"""^(?:
        no[-_.]?reply.* | do[-_.]?not[-_.]?reply.* | dont[-_.]?reply.* | ne[-_.]?otvechat.*
      | mailer[-_.]?daemon | postmaster | mail[-_.]?delivery[-_.]?(?:system|subsystem)?
      | bounces? | bounce[-_.].* | .*[-_.]bounces? | auto[-_.]?(?:reply|responder|mailer)
      | autoresponder | listserv | majordomo | owner-.* | .*-owner | .*-request
    )$""",
    re.VERBOSE,
)
# Subjects of auto-replies and delivery reports whose headers fail to say so.
# A phrase followed by a colon ("Автоответ: <subject>"), so that a person writing *about* an
# auto-reply ("Автоответ не работает") is still answered; delivery reports by their fixed titles.
_AUTO_SUBJECT = re.compile(
    r"""^\s*(?:
        (?: automatic\s+reply | auto[-\s]?re(?:ply|sponse) | out\s+of\s+(?:the\s+)?office
          | автоответ | автоматический\s+ответ | вне\s+офиса | undeliver(?:ed|able)
          | не\s+доставлено | недоставленное\s+сообщение ) \s*[:：]
      | delivery\s+status\s+notification | mail\s+delivery\s+fail(?:ed|ure)
      | returned\s+mail\s*: | undelivered\s+mail\s+returned\s+to\s+sender
      | недоставленное\s+сообщение\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Our own notifications' Message-IDs (see tracker_bridge.mail.outbound.message_id_for).
_OWN_MESSAGE_ID = re.compile(r"^<?tb\.[0-9a-f]{24}@", re.IGNORECASE)


def should_answer(  # noqa: PLR0911 - one guard per rule, in order
    mail: InboundMail,
    *,
    own_addresses: Iterable[str],
    answers_today: int,
    limit: int = DEFAULT_DAILY_LIMIT,
    bounced: bool,
    domain_answers_today: int = 0,
    domain_limit: int | None = None,
) -> tuple[bool, str]:
    """``(True, "ok")`` if ``mail`` may get an automatic answer, else ``(False, why)``.

    ``own_addresses`` holds full addresses and ``@domain`` entries (every address there);
    ``answers_today`` is how many automatic answers this sender already got today;
    ``bounced`` says a mail to this sender has bounced permanently;
    ``domain_answers_today`` is how many its domain got, against ``domain_limit``.
    """
    sender = _plain(mail.sender)
    if mail.is_automatic:
        return False, f"automatic: {mail.automatic_reason or 'marked by the parser'}"
    if _AUTO_SUBJECT.match(mail.subject):
        return False, "automatic: auto-reply subject"
    if _OWN_MESSAGE_ID.match(mail.message_id.strip()) or _is_own(sender, own_addresses):
        return False, "own address"
    if not sender or is_no_reply_address(sender):
        return False, "no-reply sender"
    if bounced:
        return False, "bounced"
    if answers_today >= limit:
        return False, f"daily limit reached ({answers_today}/{limit})"
    if domain_limit is not None and domain_answers_today >= domain_limit:
        return False, f"daily domain limit reached ({domain_answers_today}/{domain_limit})"
    return True, "ok"


@dataclass(frozen=True)
class LoopCaps:
    """Daily caps beyond the per-address answer limit (issue 17): a ticket system answering from
    ``support+N@clinic.example`` rotates its address, so answers and new requests are also
    counted per *robot* (the address without its ``+tag``) and per sending domain."""

    answers_per_domain: int = 1000
    requests_per_sender: int = 30
    requests_per_domain: int = 1000


def robot_key(address: str) -> str:
    """The sender without a ``+tag``: one key for a robot that rotates ``local+N@domain``."""
    local, at, domain = _plain(address).rpartition("@")
    return f"{local.partition('+')[0]}@{domain}" if at else _plain(address)


def domain_key(address: str) -> str:
    """``@domain`` of an address (the key of the per-domain counters)."""
    return "@" + _plain(address).rpartition("@")[2]


def request_cap(sender: str, *, by_sender: int, by_domain: int, caps: LoopCaps) -> str | None:
    """Why a new request from ``sender`` may not be opened today (a mail loop), or None.
    ``by_sender`` counts today's requests of its robot key, ``by_domain`` of its domain."""
    if by_sender >= caps.requests_per_sender:
        return (
            f"loop cap: {by_sender} requests from {robot_key(sender)} today "
            f"(mail.limits.requests_per_sender = {caps.requests_per_sender})"
        )
    if by_domain >= caps.requests_per_domain:
        return (
            f"loop cap: {by_domain} requests from {domain_key(sender)} today "
            f"(mail.limits.requests_per_domain = {caps.requests_per_domain})"
        )
    return None


def is_no_reply_address(address: str) -> bool:
    """Whether ``address`` looks like a mailbox nobody reads (no-reply, mailer-daemon, lists)."""
    local = _plain(address).rpartition("@")[0] or _plain(address)
    return bool(_NO_REPLY.match(local.partition("+")[0]))


def _is_own(sender: str, own_addresses: Iterable[str]) -> bool:
    local, _, domain = sender.rpartition("@")
    detagged = f"{local.partition('+')[0]}@{domain}"
    for own in own_addresses:
        entry = _plain(own)
        if entry.startswith("@") and domain == entry[1:]:
            return True
        if entry in (sender, detagged):
            return True
    return False


def _plain(address: str) -> str:
    return address.strip().strip("<>").strip().lower()
