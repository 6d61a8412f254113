"""Tracker JSON → snapshots: the shapes TRACKER-API.md §2.3 records, including the odd ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tracker_bridge.tracker import parse


def test_tracker_times_with_and_without_colon_offsets() -> None:
    """``…+0000`` (Tracker's format) and ``…+03:00`` both parse to aware datetimes."""
    assert parse.parse_time("2017-06-11T05:16:01.339+0000") == datetime(
        2017, 6, 11, 5, 16, 1, 339000, tzinfo=UTC
    )
    moscow = timezone(timedelta(hours=3))
    assert parse.parse_time("2026-11-27T12:00:00+03:00") == datetime(
        2026, 11, 27, 12, tzinfo=moscow
    )


def test_a_time_without_offset_is_refused() -> None:
    """A zone-less time would be read in the machine's zone: refused loudly instead."""
    with pytest.raises(ValueError, match="without an offset"):
        parse.parse_time("2026-11-27T12:00:00")


def test_an_issue_with_a_string_version_and_local_fields() -> None:
    """A string ``version`` (aikts/yandex-tracker-mcp#21) is kept; local keys lose their prefix."""
    raw = {
        "self": "https://api.tracker.yandex.net/v2/issues/MVP-1",
        "key": "MVP-1",
        "version": "MVP-0",
        "status": {"self": "x", "id": "1", "key": "open", "display": "Открыт"},
        "createdAt": "2026-11-26T09:15:00.000+0000",
        "updatedAt": "2026-11-26T09:16:00.000+0000",
        "assignee": {"self": "u", "id": "1120000000000002", "display": "Иван Иванов"},
        "6063181a59590578909db920--cardNumber": "123",
        "cardNumber": "123",
        "tags": ["a", "b"],
    }
    issue = parse.issue(raw)
    assert (issue.version, issue.status, issue.queue) == ("MVP-0", "open", "MVP")
    assert (issue.assignee, issue.assignee_display) == ("1120000000000002", "Иван Иванов")
    assert issue.local == {"cardNumber": "123"}
    assert issue.tags == ("a", "b")


def test_changelog_diffs_reduce_references_to_keys() -> None:
    """A status diff carries status references; the entry keeps just their keys."""
    entry = parse.changelog_entry(
        {
            "id": "e1",
            "updatedAt": "2026-11-26T10:00:00.000+0000",
            "updatedBy": {"self": "u", "id": "42", "display": "x"},
            "type": "IssueWorkflow",
            "fields": [
                {
                    "field": {"self": "f", "id": "status", "display": "Статус"},
                    "from": {"self": "s", "id": "1", "key": "open", "display": "Открыт"},
                    "to": {"self": "s", "id": "2", "key": "inProgress", "display": "В работе"},
                }
            ],
        }
    )
    diff = entry.diff("status")
    assert diff is not None
    assert (diff.before, diff.after, entry.by) == ("open", "inProgress", "42")
    assert entry.diff("priority") is None
