"""Facts about a queue set up as docs/operations.md asks, written once: the ids of the local fields
the bridge fills and the resolution it closes with. The configuration's defaults, the gateway's,
``check`` and the fake Tracker's default queue all read them from here."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["DEFAULT_FIELD_IDS", "DEFAULT_RESOLUTION"]

# Logical field (``InboundMail.fields`` names, plus requester, deadlines, arrival) → the queue's
# local field id (``tracker.fields`` in the configuration overrides each).
DEFAULT_FIELD_IDS: Mapping[str, str] = MappingProxyType(
    {
        "department": "department",
        "login": "login",
        "card_number": "cardNumber",
        "history_number": "historyNumber",
        "record_name": "recordName",
        "button_name": "buttonName",
        "requester": "requesterEmail",
        "customer_priority": "customerPriority",
        "deadline": "slaDeadline",  # execution deadline (R17), a datetime field
        "reaction_deadline": "reactionDeadline",  # take into work by (R10), datetime
        "arrived_at": "mailReceivedAt",  # the mail's arrival (R10 "появление")
    }
)

# Sent on every transition to a done or cancelled status unless configured otherwise: "fixed"
# is in every organisation's standard list (docs api-ref/admin/get-resolutions.md, its example).
DEFAULT_RESOLUTION = "fixed"
