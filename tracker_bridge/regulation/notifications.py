"""The notifications the regulation owes the requester (R12), by template name.

Every :class:`~tracker_bridge.regulation.actions.Notify` names one of these templates; the mail
adapter renders ``<name>.subject.j2`` / ``<name>.txt.j2`` from them. ``CONTEXT`` lists the context
keys each template may use (all values are strings; the issue key, summary and requester are always
there as ``key``, ``summary`` and ``to``).
"""

from __future__ import annotations

from collections.abc import Mapping

from tracker_bridge.regulation.statuses import Status

__all__ = ["CONTEXT", "TEMPLATES", "status_template"]


def status_template(status: Status) -> str:
    """The template that tells the requester the request entered ``status`` (R12)."""
    return f"status_{status.value}"


_COMMON = ("key", "summary", "to", "status", "status_title")

CONTEXT: Mapping[str, tuple[str, ...]] = {
    # R12/R6/R7: acknowledgement with the deadlines (deadline: execution, R17; reaction_deadline:
    # take into work, R10, high priorities only); out-of-hours receipt; missing login asked for
    "registered": (
        *_COMMON,
        "deadline",
        "reaction_deadline",
        "priority",
        "out_of_hours",
        "next_opening",
        "missing_login",
        "linked",
    ),
    "support_comment": (*_COMMON, "comment", "author"),  # R8
    "priority_changed": (*_COMMON, "old_priority", "new_priority"),  # R9
    "autoclose_reminder": (*_COMMON, "days_left", "close_at"),  # R19
    # R4; reply: "reply" (answer this mail when fixed) or "new_request" (closed: R20 refuses)
    "infrastructure": (*_COMMON, "comment", "reply"),
    "reply_ignored": (*_COMMON, "old_key"),  # R20: a reply to a finished request
    "confirmation_not_allowed": (*_COMMON, "sender"),  # R15: sender may not confirm
    # R12: one per status the requester hears about; info_requested carries the question (R8),
    # awaiting_testing reminds to refresh the browser cache (R11)
    **{status_template(s): (*_COMMON, "comment", "resolution") for s in Status},
}

TEMPLATES: tuple[str, ...] = tuple(CONTEXT)
