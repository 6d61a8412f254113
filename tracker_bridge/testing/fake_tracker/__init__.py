"""A fake Yandex Tracker over real HTTP for tests and the demo (see :mod:`.fake`)."""

from tracker_bridge.testing.fake_tracker.catalog import (
    DEFAULT_LOCAL_FIELDS,
    DEFAULT_TRANSITIONS,
    FieldDef,
    StatusDef,
    TransitionDef,
    Workflow,
    default_workflow,
)
from tracker_bridge.testing.fake_tracker.fake import FakeTracker

__all__ = [
    "DEFAULT_LOCAL_FIELDS",
    "DEFAULT_TRANSITIONS",
    "FakeTracker",
    "FieldDef",
    "StatusDef",
    "TransitionDef",
    "Workflow",
    "default_workflow",
]
