"""Shared fixtures, and the shared corpus as an optional layer (tests/shared_corpus.py)."""

from __future__ import annotations

import pytest

from tests import shared_corpus

_left_out: list[pytest.Item] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the corpus its conformance tests are left out (not failed, not one skip each)."""
    if shared_corpus.AVAILABLE:
        return
    kept = [item for item in items if item.get_closest_marker("shared_corpus") is None]
    _left_out[:] = [item for item in items if item.get_closest_marker("shared_corpus")]
    if _left_out:
        config.hook.pytest_deselected(items=_left_out)
        items[:] = kept


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _left_out:
        terminalreporter.write_line(
            f"shared corpus not found at {shared_corpus.CORPUS}: its {len(_left_out)} "
            f"conformance tests were skipped; to run them, {shared_corpus.HOW_TO_GET}"
        )
