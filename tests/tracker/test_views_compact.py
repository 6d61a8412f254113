"""What the daemon keeps of an open issue: the compact view answers as the full one does."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.telegram.conftest import ACCESS, CHAT, MSK, NOW, POLICY, SUPPORT, a_view, cal
from tracker_bridge.regulation.digest import daily_digests
from tracker_bridge.regulation.model import Comment, IssueView, PriorityChange, StatusChange
from tracker_bridge.regulation.sla import read_clocks
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.telegram.cards import render_card
from tracker_bridge.telegram.commands import Incoming, Situation, handle_command
from tracker_bridge.telegram.text import CardSettings
from tracker_bridge.tracker.views import compact_view

SETTINGS = CardSettings(tracker_url="https://tracker.example.ru/")
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=MSK)


def _comment(n: int, minutes: int, **flags: bool) -> Comment:
    return Comment(f"c{n}", T0 + timedelta(minutes=minutes), f"Текст комментария {n} " * 5, **flags)


def full(key: str = "SUP-1", **changes: Any) -> IssueView:
    """A request with a life: comments of every kind, a priority change, done keys, fields."""
    base: dict[str, Any] = {
        "comments": (
            _comment(1, 10, by_customer=True),
            _comment(2, 20, by_customer=False),
            _comment(3, 30, by_customer=False, internal=True),
            _comment(4, 25, by_customer=True),
            _comment(5, 25, by_customer=False),
        ),
        "priority_history": (PriorityChange(T0 + timedelta(minutes=5), "normal", "critical"),),
        "done": frozenset({f"notify:{key}:status:x", f"card:{key}:abc", f"fields:{key}:d"}),
        "fields": {"department": "Хирургия", "login": "ivanova", "card_number": "123"},
        "tags": frozenset({"telegram"}),
        "links": ("SUP-0",),
        "last_customer_reply_at": T0 + timedelta(minutes=25),
        "deadline": T0 + timedelta(days=20),
        "updated_at": T0 + timedelta(minutes=30),
        "tracked_since": T0,
    }
    return a_view(key, **(base | changes))


VIEWS = {
    "open, latest public comment": full(),
    "a public comment and an internal one at the same minute": full(
        comments=(
            _comment(1, 40, by_customer=False, internal=True),
            _comment(2, 40, by_customer=True),
        )
    ),
    "two latest comments at the same minute": full(
        comments=(_comment(1, 40, by_customer=True), _comment(2, 40, by_customer=False))
    ),
    "no comments, history only": full(comments=()),
    "waiting for the customer": full(status=Status.INFO_REQUESTED),
    "an enhancement": full(issue_type="improvement"),
    "closed": full(status=Status.CLOSED, resolution="fixed"),
    "closed with no recorded history": full(status=Status.CLOSED, status_history=()),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_the_compact_view_renders_the_same_card(name: str) -> None:
    """R5: the card and its clock readings are the same from the compact view."""
    view = VIEWS[name]
    for now in (NOW, NOW + timedelta(days=30)):
        reading = read_clocks(view, now, cal(), POLICY)
        small = compact_view(view)
        assert read_clocks(small, now, cal(), POLICY) == reading
        assert render_card(small, reading, now, cal(), SETTINGS) == render_card(
            view, reading, now, cal(), SETTINGS
        )


def test_the_compact_views_give_the_same_digest_and_command_answers() -> None:
    """R21/R5: the digest, /sla and /status read the compact views as they read the full."""
    views = [full(f"SUP-{n}", status=status) for n, status in enumerate(Status, 1)]
    small = [compact_view(v) for v in views]
    assert daily_digests(small, ["clinic-one"], NOW, cal(), POLICY) == daily_digests(
        views, ["clinic-one"], NOW, cal(), POLICY
    )
    for name, args in (("sla", ""), ("status", "SUP-1"), ("status", "SUP-3"), ("take", "SUP-2")):
        asked = Incoming(CHAT, SUPPORT, "Иван", f"/{name} {args}", "tg:1:1")
        answers = [
            handle_command(asked, name, args, ACCESS, Situation(vs, NOW, cal(), POLICY, SETTINGS))
            for vs in (views, small)
        ]
        assert answers[0] == answers[1]


def test_the_compact_view_drops_what_only_the_rules_read() -> None:
    """Done keys, the requester, other fields and older comments are not kept."""
    small = compact_view(full())
    assert small.done == frozenset()
    assert small.requester == ""
    assert small.fields == {"department": "Хирургия"}
    assert [c.id for c in small.comments] == ["c4"]
    assert small.status_history == ()
    assert small.history == (StatusChange(small.created_at, Status.OPEN),)


PLAIN = {"comments": (), "priority_history": (), "tags": frozenset()}


@pytest.mark.parametrize(
    ("changes", "limit"), [({}, 1536), (PLAIN, 768)], ids=["with a comment", "plain"]
)
def test_a_compact_view_costs_well_under_2_kib(changes: dict[str, Any], limit: int) -> None:
    """The memory kept per open request, measured: 200 compact views of 200 full ones (a long
    public comment and a priority change kept; a plain new request much less)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [
            compact_view(full(f"SUP-{n}", summary=f"Не печатается {n}", **changes))
            for n in range(200)
        ]
        gc.collect()
        per_view = (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    finally:
        tracemalloc.stop()
    assert per_view < limit, per_view
