"""R7/R9: turning a new email into the parts of a request.

Subject: "short problem + department"; body: the description with the labelled lines the mail
parser already read into ``InboundMail.fields``. An unrecognised layout still makes a request: the
whole text becomes the description.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tracker_bridge.regulation.model import Customer, InboundMail
from tracker_bridge.regulation.policy import Policy

__all__ = ["RequestDescription", "describe_request", "strip_reply_prefixes"]

SUMMARY_LIMIT = 255
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|fw|tr|aw|wg|sv|ответ|отв|пересл|переслано)(?:\s*\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)
_SEPARATORS = " \t-–—:;,/|()[]"


@dataclass(frozen=True)
class RequestDescription:
    summary: str
    description: str
    fields: Mapping[str, str]
    priority: str
    issue_type: str
    department: str | None
    quoted_keys: tuple[str, ...]


# A tag a mail gateway or a list puts before the subject: «[EXTERNAL]», «[SPAM?]», «[Внешний]».
_TAG = re.compile(r"^\s*\[[^\[\]\n]{1,40}\]\s*")


def strip_reply_prefixes(subject: str) -> str:
    """ "Re: Fwd: Ответ: x" → "x"; whole leading tags go too: "[EXTERNAL] Re: x" → "x"."""
    previous = None
    while previous != subject:
        previous = subject
        subject = _TAG.sub("", _PREFIX.sub("", subject))
    return subject.strip()


def describe_request(mail: InboundMail, customer: Customer, policy: Policy) -> RequestDescription:
    """The summary, department, fields and priority of a new request (R7, R9)."""
    subject = strip_reply_prefixes(mail.subject)
    subject, marker_priority = _take_priority_marker(subject, policy)
    subject, department = _take_department(subject, customer.departments)
    department = department or _known_department(mail.fields.get("department"), customer)
    fields = dict(mail.fields)
    if department:
        fields["department"] = department
    summary = _summary(subject, mail.text)
    return RequestDescription(
        summary=summary,
        description=_description(mail),
        fields=fields,
        priority=mail.priority_hint or marker_priority or policy.default_priority,
        issue_type=policy.default_issue_type,
        department=department,
        quoted_keys=tuple(k for k in mail.issue_keys if k.startswith(f"{customer.queue}-")),
    )


def _take_priority_marker(subject: str, policy: Policy) -> tuple[str, str | None]:
    """R9: «Срочно» and the like in the subject set the priority and leave the summary.

    A negated marker («Не срочно:», «не очень срочно») sets nothing and leaves the summary
    whole, so the summary keeps the customer's meaning (never «Не поменять шрифт» from «Не
    срочно: поменять шрифт»); the mail's own reading of it (the parser's hint) decides."""
    for marker, priority in policy.priority_markers.items():
        pattern = re.compile(
            rf"(?<!\w)(?P<negated>не\s+(?:очень\s+|так\s+)?)?{re.escape(marker)}(?!\w)[!.:\s-]*",
            re.IGNORECASE,
        )
        match = pattern.search(subject)
        if match is None:
            continue
        rest = (subject[: match.start()] + " " + subject[match.end() :]).strip(_SEPARATORS + "!")
        rest = re.sub(r"\s{2,}", " ", rest)
        if match.group("negated"):
            return rest or subject, None
        return rest, priority
    return subject, None


def _take_department(subject: str, departments: tuple[str, ...]) -> tuple[str, str | None]:
    """R7: the clinic's department named in the subject, removed from the summary."""
    for name in sorted(departments, key=len, reverse=True):
        pattern = re.compile(rf"[\s\-–—:;,/|(\[]*(?<!\w){re.escape(name)}(?!\w)[\s)\]]*", re.I)
        match = pattern.search(subject)
        if match:
            rest = (subject[: match.start()] + " " + subject[match.end() :]).strip(_SEPARATORS)
            return re.sub(r"\s{2,}", " ", rest), name
    return subject, None


def _known_department(value: str | None, customer: Customer) -> str | None:
    if not value:
        return None
    for name in customer.departments:
        if name.lower() == value.strip().lower():
            return name
    return value.strip()


def _summary(subject: str, text: str) -> str:
    summary = subject.strip(_SEPARATORS)
    if not summary:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        summary = first or "Заявка без темы"
    summary = " ".join(summary.split())
    return summary if len(summary) <= SUMMARY_LIMIT else summary[: SUMMARY_LIMIT - 1] + "…"


def _description(mail: InboundMail) -> str:
    body = mail.text.strip() or "(письмо без текста)"
    who = f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender
    return f"{body}\n\n---\nПисьмо от {who}"
