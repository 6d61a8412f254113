"""Shared fixtures, and the shared corpus as an optional layer (tests/shared_corpus.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import shared_corpus
from tracker_bridge.testing.postgres import PostgresCluster, PostgresMissingError

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


@pytest.fixture(scope="session", name="postgres")
def fixture_postgres() -> Iterator[PostgresCluster]:
    """One private PostgreSQL cluster on loopback for the session; a test asks it for its own
    database (``postgres.create_database()``). Missing server programs fail the test (never
    skip) and say how to install them, as Dovecot's fixture does."""
    try:
        cluster = PostgresCluster().__enter__()
    except PostgresMissingError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield cluster
    cluster.close()
