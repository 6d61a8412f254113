"""IssueView from a realistic Tracker history (read through the gateway) and from plain values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.regulation.actions import AddComment, SetFields, Transition
from tracker_bridge.regulation.model import StatusChange
from tracker_bridge.regulation.statuses import Status, StatusMap, UnknownStatusError
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.gateway import DEFAULT_FIELD_IDS, TrackerGateway
from tracker_bridge.tracker.markers import with_marker
from tracker_bridge.tracker.snapshots import (
    ChangelogEntry,
    CommentInfo,
    FieldDiff,
    IssueSnapshot,
)
from tracker_bridge.tracker.sync import read_view
from tracker_bridge.tracker.views import StoreFacts, ViewSettings, build_view, is_internal_text

from .conftest import START, create_action

ROBOT = "1120000000000001"
SETTINGS = ViewSettings(StatusMap(), robot_uid=ROBOT, field_ids=DEFAULT_FIELD_IDS)
FACTS = StoreFacts(customer="clinic", requester="doctor@clinic.ru", done=frozenset({"x"}))
H = timedelta(hours=1)


async def _history(
    fake: FakeTracker, gateway: TrackerGateway, clock: ManualClock
) -> tuple[str, StoreFacts]:
    """A request's life: created by the bridge, taken, asked, answered by mail, re-prioritised."""
    key = await gateway.create_issue(create_action(fields={"login": "doctor"}))
    clock.advance(H)
    fake.transition(key, "start_progress", by="ivanov")
    clock.advance(H)
    fake.transition(key, "request_info", by="ivanov", comment="Пришлите скриншот")
    clock.advance(H)
    fake.add_comment(key, "#внутр клиент звонил", by="petrova")
    clock.advance(H)
    reply = AddComment(key, "Вот скриншот", "<r1@c>", on_behalf_of="d@c")
    reply_id = await gateway.add_comment(reply, key)
    await gateway.transition(Transition(key, Status.IN_PROGRESS, "reply:r1"), key)
    clock.advance(H)
    fake.update_issue(key, by="petrova", priority="critical")
    await gateway.update_issue(key, {"priority": "blocker"})  # the customer's own, via the bridge
    await gateway.set_fields(SetFields(key, {"deadline": "2026-11-27T12:00:00+03:00"}), key)
    return key, replace(FACTS, own_comments={reply_id: "customer"})  # as the store keeps it


async def test_view_from_a_realistic_history(
    fake: FakeTracker, gateway: TrackerGateway, clock: ManualClock
) -> None:
    """Status and priority history, comment kinds, last reply and deadline (R8, R9, R10, R14)."""
    key, facts = await _history(fake, gateway, clock)
    view = await read_view(gateway, await gateway.issue(key), facts, SETTINGS)

    assert view.status is Status.IN_PROGRESS
    assert view.status_history == (
        StatusChange(START, Status.OPEN),
        StatusChange(START + H, Status.IN_PROGRESS),
        StatusChange(START + 2 * H, Status.INFO_REQUESTED),
        # the bridge's own move after the customer's answer is not a person's (R10)
        StatusChange(START + 4 * H, Status.IN_PROGRESS, by_person=False),
    )
    assert [(p.old, p.new, p.by_support) for p in view.priority_history] == [
        ("normal", "critical", True),
        ("critical", "blocker", False),
    ]
    kinds = [(c.text, c.by_customer, c.internal) for c in view.comments]
    assert kinds == [
        ("Пришлите скриншот", False, False),
        ("#внутр клиент звонил", False, True),
        ("Вот скриншот", True, False),
    ]
    assert view.last_customer_reply_at == START + 4 * H
    assert view.deadline == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert view.fields == {"login": "doctor"}
    assert (view.customer, view.requester, view.done) == ("clinic", "doctor@clinic.ru", FACTS.done)
    assert view.priority == "blocker"


async def test_read_view_costs_two_requests(
    fake: FakeTracker, gateway: TrackerGateway, clock: ManualClock
) -> None:
    """Given the snapshot from sync, a view needs only the changelog and the comments."""
    key, _ = await _history(fake, gateway, clock)
    snapshot = await gateway.issue(key)
    before = len(fake.requests)
    await read_view(gateway, snapshot, FACTS, SETTINGS)
    assert len(fake.requests) - before == 2


class _SupportActsBetweenReads:
    """The gateway, with support asking a question in Tracker right after the first read."""

    def __init__(self, gateway: TrackerGateway, fake: FakeTracker, key: str) -> None:
        self._gateway, self._fake, self._key, self._acted = gateway, fake, key, False

    def _act(self) -> None:
        if not self._acted:
            self._acted = True
            self._fake.transition(self._key, "request_info", by="ivanov", comment="Какой логин?")

    async def changelog(self, key: str) -> list[ChangelogEntry]:
        entries = await self._gateway.changelog(key)
        self._act()
        return entries

    async def comments(self, key: str) -> list[CommentInfo]:
        comments = await self._gateway.comments(key)
        self._act()
        return comments


async def test_r8_a_status_change_is_never_read_without_its_comment(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """R8: a transition with a question made between the two reads shows either whole or as the
    comment alone, never as "info requested" without the question."""
    key = await gateway.create_issue(create_action())
    source = _SupportActsBetweenReads(gateway, fake, key)
    view = await read_view(source, await gateway.issue(key), FACTS, SETTINGS)
    asked = Status.INFO_REQUESTED in [c.status for c in view.status_history]
    has_question = [c.text for c in view.comments] == ["Какой логин?"]
    assert has_question or not asked


def _snapshot(status: str = "open") -> IssueSnapshot:
    return IssueSnapshot(
        key="SUP-7",
        id="7",
        queue="SUP",
        version="3",
        summary="x",
        status=status,
        created_at=START,
        updated_at=START + H,
        local={"requesterEmail": "from-tracker@clinic.ru"},
    )


def test_an_unknown_current_status_is_named_in_the_error() -> None:
    """A status the config does not map raises UnknownStatusError with its key."""
    with pytest.raises(UnknownStatusError, match="'onHold'"):
        build_view(_snapshot("onHold"), [], [], FACTS, SETTINGS)


def test_an_unknown_status_in_the_history_is_an_error_too() -> None:
    """The clocks cannot be computed across a status of unknown category."""
    entry = ChangelogEntry("1", START, "u", "IssueWorkflow", (FieldDiff("status", "open", "x"),))
    with pytest.raises(UnknownStatusError, match="'x'"):
        build_view(_snapshot(), [entry], [], FACTS, SETTINGS)


def test_an_alias_maps_an_extra_status() -> None:
    """StatusMap aliases let a queue's extra status be read as a logical one."""
    settings = ViewSettings(StatusMap(aliases={"onHold": Status.INFO_REQUESTED}), ROBOT)
    view = build_view(_snapshot("onHold"), [], [], FACTS, settings)
    assert view.status is Status.INFO_REQUESTED


def test_no_history_means_in_the_current_status_since_creation() -> None:
    """Without status changes the history is the creation in the current status."""
    view = build_view(_snapshot("inProgress"), [], [], FACTS, SETTINGS)
    assert view.status_history == (StatusChange(START, Status.IN_PROGRESS),)


def test_requester_falls_back_to_the_local_field() -> None:
    """With no requester in the store, the issue's requester field is used."""
    view = build_view(_snapshot(), [], [], StoreFacts(customer="c"), SETTINGS)
    assert view.requester == "from-tracker@clinic.ru"


def test_bridge_notes_are_internal_and_mail_comments_are_the_customers() -> None:
    """A bridge note (marker kind bridge) is internal; Tracker's incoming mail is the customer."""
    note = CommentInfo("1", with_marker("Автозакрытие", "e1", "bridge"), START, START, ROBOT)
    mail = CommentInfo("2", "Письмо", START + H, START + H, None, type="incoming")
    view = build_view(_snapshot(), [], [mail, note], FACTS, SETTINGS)
    assert [(c.text, c.by_customer, c.internal) for c in view.comments] == [
        ("Автозакрытие", False, True),
        ("Письмо", True, False),
    ]
    assert view.last_customer_reply_at == START + H


SUPPORT = "1120000000000002"


@pytest.mark.parametrize(
    ("text", "author", "own", "expected"),
    [
        # the store's ids come first: a customer's words whose marker Tracker stripped
        ("Вот скриншот", ROBOT, {"9": "customer"}, (True, False)),
        # ... and they win over a marker (a forged or mangled one)
        (with_marker("x", "e", "customer"), ROBOT, {"9": "bridge"}, (False, True)),
        # the marker next, when the store does not know the comment (written before the upgrade)
        (with_marker("Вот скриншот", "m", "customer"), ROBOT, {}, (True, False)),
        # then the author: the bridge's robot wrote it, so it is not support's
        ("Вот скриншот", ROBOT, {}, (False, True)),
        # support's comment, marker or not
        ("Исправили", SUPPORT, {}, (False, False)),
    ],
)
def test_issue_11_6_own_comments_by_id_then_marker_then_author(
    text: str, author: str, own: dict[str, str], expected: tuple[bool, bool]
) -> None:
    """A customer's own words are never taken for support's comment (and so never mailed back),
    whatever Tracker does to the marker."""
    comment = CommentInfo("9", text, START, START, author)
    facts = replace(FACTS, own_comments=own)
    (read,) = build_view(_snapshot(), [], [comment], facts, SETTINGS).comments
    assert (read.by_customer, read.internal) == expected
    assert "tracker-bridge" not in read.text


@pytest.mark.parametrize(
    ("text", "internal"),
    [
        ("#внутр: проверить логи", True),
        ("  [internal] check logs", True),
        ("#ВНУТР заметка", True),
        ("Добрый день! Исправили.", False),
        ("Внутренняя ошибка сервера исправлена", False),
    ],
)
def test_internal_prefixes(text: str, internal: bool) -> None:
    """R8: support marks a comment internal by starting it with #внутр or [internal]."""
    assert is_internal_text(text) is internal


async def test_r10_a_telegram_take_is_a_persons_move_the_answer_move_is_not(
    fake: FakeTracker, gateway: TrackerGateway, clock: ManualClock
) -> None:
    """R10: the robot moved the request to work twice — first for a support person's /take in
    Telegram (the store's done key says so), later after the customer's answer: only the first
    is a person taking it into work."""
    key = await gateway.create_issue(create_action())
    clock.advance(H)
    await gateway.transition(Transition(key, Status.IN_PROGRESS, "tg:-100:7"), key)
    clock.advance(H)
    fake.transition(key, "request_info", by="ivanov")
    clock.advance(H)
    await gateway.transition(Transition(key, Status.IN_PROGRESS, "<answer@c>"), key)
    done = frozenset({f"transition:{key}:in_progress:tg:-100:7"})
    facts = StoreFacts(customer="clinic", requester="d@c", done=done)
    view = await read_view(gateway, await gateway.issue(key), facts, SETTINGS)
    assert [(c.status, c.by_person) for c in view.status_history[1:]] == [
        (Status.IN_PROGRESS, True),
        (Status.INFO_REQUESTED, True),
        (Status.IN_PROGRESS, False),
    ]
