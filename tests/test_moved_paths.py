"""Import paths from before issue 16's packages still work.

They give the very modules they name now (tracker_bridge.foundation.moved): code outside the
repository needs no change.
"""

from __future__ import annotations

import importlib

import pytest

from tracker_bridge.foundation.moved import MOVED, PACKAGES, new_name

OLD = sorted({*MOVED, *PACKAGES, "tracker_bridge.commands.run", "tracker_bridge.commands.common"})


@pytest.mark.parametrize("old", OLD)
def test_an_old_path_is_the_module_at_its_new_one(old: str) -> None:
    new = new_name(old)
    assert new is not None
    assert importlib.import_module(old) is importlib.import_module(new)


def test_the_names_outside_code_takes_from_old_paths_are_there() -> None:
    """A FakeTracker on a ManualClock, the bridge's wiring, the CLI, the fake Telegram's parts."""
    from tracker_bridge.clock import ManualClock
    from tracker_bridge.commands.run import main as run
    from tracker_bridge.testing.fake_telegram_state import World
    from tracker_bridge.wiring import Bridge, open_bridge

    from tracker_bridge.foundation.clock import ManualClock as moved_clock

    assert ManualClock is moved_clock
    assert callable(run) and callable(open_bridge) and Bridge and World
