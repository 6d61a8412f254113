"""One taxonomy (issue 18): what the store's and the disk's own errors mean for the work."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from tracker_bridge.foundation.failures import Failure, classify, waits


@pytest.mark.parametrize(
    "message",
    ["database or disk is full", "attempt to write a readonly database", "disk I/O error"],
)
def test_a_state_disk_that_cannot_be_written_waits_for_an_operator(message: str) -> None:
    """Freeing space or remounting is a person's fix: an alert, and the work kept meanwhile."""
    assert classify(sqlite3.OperationalError(message)) is Failure.OPERATOR


def test_a_locked_database_passes_by_itself() -> None:
    assert classify(sqlite3.OperationalError("database is locked")) is Failure.TRANSIENT


def test_an_unknown_store_error_is_a_bug() -> None:
    assert classify(sqlite3.OperationalError("no such table: nothing")) is Failure.PERMANENT


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EDQUOT])
def test_a_full_or_read_only_filesystem_waits_for_an_operator(code: int) -> None:
    assert classify(OSError(code, "no")) is Failure.OPERATOR


@pytest.mark.parametrize("code", [errno.ECONNREFUSED, errno.ECONNRESET, None])
def test_a_socket_error_is_transient(code: int | None) -> None:
    error = OSError(code, "no") if code is not None else OSError("no")
    assert classify(error) is Failure.TRANSIENT and waits(error)
