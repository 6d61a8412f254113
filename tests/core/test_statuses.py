"""The logical statuses of R13, their categories (R14, R16) and the mapping to Tracker keys."""

from __future__ import annotations

import pytest

from tracker_bridge.regulation.statuses import (
    DEFAULT_TRACKER_KEYS,
    Category,
    Status,
    StatusMap,
    UnknownStatusError,
)


def test_r13_every_status_of_the_regulation_exists_with_its_russian_name() -> None:
    """R13: the fourteen statuses, named as the regulation names them."""
    titles = {s.title_ru for s in Status}
    assert len(titles) == 14
    assert {"Открыто", "Запрошена дополнительная информация", "Завершено"} <= titles
    assert "Закрыто из-за отсутствия ответа" in titles


def test_r14_only_awaiting_testing_and_info_requested_are_paused() -> None:
    """R14: the two statuses that wait for the customer stop the clocks."""
    paused = {s for s in Status if s.is_paused}
    assert paused == {Status.AWAITING_TESTING, Status.INFO_REQUESTED}


def test_r16_r20_the_terminal_statuses_are_those_replies_are_ignored_in() -> None:
    """R16/R20: Завершено, Закрыто, Дубликат, Отменено…, Невыполнимо, Закрыто из-за… end work."""
    terminal = {s for s in Status if s.is_terminal}
    assert terminal == {
        Status.COMPLETED,
        Status.CLOSED,
        Status.DUPLICATE,
        Status.CANCELLED,
        Status.INFEASIBLE,
        Status.CLOSED_NO_RESPONSE,
    }
    assert all(s.category is Category.ACTIVE for s in Status if s.is_active)


def test_r13_the_default_map_goes_both_ways() -> None:
    """R13: each logical status maps to one Tracker key and back."""
    mapping = StatusMap()
    for status in Status:
        assert mapping.logical(mapping.tracker_key(status)) is status
    assert mapping.tracker_key(Status.INFO_REQUESTED) == "needInfo"


def test_r13_aliases_read_extra_tracker_statuses() -> None:
    """R13: a queue's own extra status can be read as a logical one."""
    mapping = StatusMap(aliases={"resolvedByCustomer": Status.COMPLETED})
    assert mapping.logical("resolvedByCustomer") is Status.COMPLETED


def test_an_unmapped_tracker_status_is_a_clear_error() -> None:
    """Bad input: an unknown status names itself and where to map it."""
    with pytest.raises(UnknownStatusError, match=r"'weird'.*\[statuses\]"):
        StatusMap().logical("weird")


def test_a_map_must_cover_every_status_once() -> None:
    """Config errors: a missing status or a key used twice is refused."""
    partial = dict(DEFAULT_TRACKER_KEYS)
    del partial[Status.CANCELLED]
    with pytest.raises(ValueError, match="cancelled"):
        StatusMap(to_tracker=partial)
    doubled = dict(DEFAULT_TRACKER_KEYS, **{Status.CLOSED: "resolved"})
    with pytest.raises(ValueError, match="'resolved'"):
        StatusMap(to_tracker=doubled)


def test_naive_times_in_a_view_or_a_mail_are_a_clear_error() -> None:
    """Bad input: a naive datetime names the field it came in."""
    from datetime import datetime

    from tests.core.builders import a_mail, an_issue

    issue = an_issue()
    with pytest.raises(ValueError, match=r"IssueView\.created_at is a naive datetime"):
        type(issue)(**{**issue.__dict__, "created_at": datetime(2026, 3, 2, 12)})
    with pytest.raises(ValueError, match=r"status_history\[0\]"):
        from tracker_bridge.regulation.model import StatusChange

        type(issue)(
            **{
                **issue.__dict__,
                "status_history": (StatusChange(datetime(2026, 3, 2), Status.OPEN),),
            }
        )
    with pytest.raises(ValueError, match=r"IssueView\.deadline"):
        type(issue)(**{**issue.__dict__, "deadline": datetime(2026, 3, 2)})
    with pytest.raises(ValueError, match=r"InboundMail\.date"):
        a_mail(date=datetime(2026, 3, 2))
