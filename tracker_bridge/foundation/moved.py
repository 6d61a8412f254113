"""Old import paths of the modules moved into packages (issue 16) keep working.

``import tracker_bridge.clock`` gives :mod:`tracker_bridge.foundation.clock` itself (the same
module object, not a copy), so code outside this repository written against the flat layout
runs unchanged. The project's own code uses the new paths; a test imports every old one.
Installed by ``tracker_bridge/__init__.py``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

__all__ = ["MOVED", "install"]

# old module path -> where it lives now; a moved package's submodules follow it (PACKAGES)
MOVED: dict[str, str] = {
    "tracker_bridge.calendar_watch": "tracker_bridge.observability.calendar_watch",
    "tracker_bridge.clock": "tracker_bridge.foundation.clock",
    "tracker_bridge.daemon": "tracker_bridge.runtime.daemon",
    "tracker_bridge.effects": "tracker_bridge.service.effects",
    "tracker_bridge.extras": "tracker_bridge.foundation.extras",
    "tracker_bridge.failures": "tracker_bridge.foundation.failures",
    "tracker_bridge.health": "tracker_bridge.observability.health",
    "tracker_bridge.intake": "tracker_bridge.service.intake",
    "tracker_bridge.issue_reader": "tracker_bridge.service.issue_reader",
    "tracker_bridge.lanes": "tracker_bridge.service.lanes",
    "tracker_bridge.log": "tracker_bridge.observability.log",
    "tracker_bridge.metrics": "tracker_bridge.observability.metrics",
    "tracker_bridge.outages": "tracker_bridge.observability.outages",
    "tracker_bridge.outbox": "tracker_bridge.service.outbox",
    "tracker_bridge.retry": "tracker_bridge.foundation.retry",
    "tracker_bridge.rules_pass": "tracker_bridge.service.rules_pass",
    "tracker_bridge.stall_guard": "tracker_bridge.service.stall_guard",
    "tracker_bridge.systemd": "tracker_bridge.runtime.systemd",
    "tracker_bridge.testing.fake_telegram_api": "tracker_bridge.testing.fake_telegram.api",
    "tracker_bridge.testing.fake_telegram_faults": "tracker_bridge.testing.fake_telegram.faults",
    "tracker_bridge.testing.fake_telegram_html": "tracker_bridge.testing.fake_telegram.html",
    "tracker_bridge.testing.fake_telegram_http": "tracker_bridge.testing.fake_telegram.http",
    "tracker_bridge.testing.fake_telegram_methods": "tracker_bridge.testing.fake_telegram.methods",
    "tracker_bridge.testing.fake_telegram_server": "tracker_bridge.testing.fake_telegram.server",
    "tracker_bridge.testing.fake_telegram_state": "tracker_bridge.testing.fake_telegram.state",
    "tracker_bridge.testing.fake_telegram_updates": "tracker_bridge.testing.fake_telegram.updates",
    "tracker_bridge.titles": "tracker_bridge.regulation.titles",
    "tracker_bridge.wiring": "tracker_bridge.runtime.wiring",
}
PACKAGES: dict[str, str] = {
    "tracker_bridge.commands": "tracker_bridge.cli",
}


def new_name(old: str) -> str | None:
    """Where the module once named ``old`` lives now (``None``: it did not move)."""
    if old in MOVED:
        return MOVED[old]
    if old in PACKAGES:
        return PACKAGES[old]
    for before, after in PACKAGES.items():
        if old.startswith(before + "."):
            return after + old[len(before) :]
    return None


class _Moved(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path and hands out the module at its new one."""

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if new_name(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = new_name(spec.name)
        assert new is not None
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """Already executed under its new name."""


def install() -> None:
    if not any(isinstance(finder, _Moved) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Moved())
