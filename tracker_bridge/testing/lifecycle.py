"""The context-manager half every private server of the tests shares (Dovecot, PostgreSQL).

``with Server(...) as s`` starts it; a start that fails half-way still cleans up what it made,
and leaving the block closes it (stop and remove its temp dir). The logic is
:class:`~tracker_bridge.foundation.closing.Started`, which the stores and servers share.
"""

from __future__ import annotations

from tracker_bridge.foundation.closing import Started

__all__ = ["StartedServer"]

StartedServer = Started
