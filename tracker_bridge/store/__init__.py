"""The daemon's memory: processed messages, thread map, journal, cards, quarantine (stdlib only).

:class:`Store` is the port; :class:`SqliteStore` keeps it in a SQLite file (WAL, migrated on
open), :class:`MemoryStore` in dicts with exactly the same behaviour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker_bridge.mail.source import WatermarkStore
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.store.migrations import SCHEMA_VERSION
from tracker_bridge.store.protocol import Store
from tracker_bridge.store.records import (
    CardRecord,
    JournalEntry,
    JournalState,
    ProcessedMessage,
    QuarantineItem,
    SchemaTooNewError,
    StoreClosedError,
    StoreError,
    TrackedIssue,
)
from tracker_bridge.store.sqlite import SqliteStore

__all__ = [
    "SCHEMA_VERSION",
    "CardRecord",
    "JournalEntry",
    "JournalState",
    "MemoryStore",
    "ProcessedMessage",
    "QuarantineItem",
    "SchemaTooNewError",
    "SqliteStore",
    "Store",
    "StoreClosedError",
    "StoreError",
    "TrackedIssue",
]

if TYPE_CHECKING:  # mypy proves both stores satisfy the ports; nothing runs

    def _conforms(
        sqlite: SqliteStore, memory: MemoryStore
    ) -> tuple[Store, Store, WatermarkStore, WatermarkStore]:
        return sqlite, memory, sqlite, memory
