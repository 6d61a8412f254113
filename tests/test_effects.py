"""The effects executor: each action once, journaled, across failures and replays (R1, R22)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.regulation.actions import (
    Action,
    AddComment,
    AttachFiles,
    CreateIssue,
    Link,
    Notify,
    SetFields,
    TelegramAlert,
    TelegramCard,
    Transition,
)
from tracker_bridge.regulation.digest import Digest, TelegramDigest
from tracker_bridge.regulation.model import Attachment
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.service.effects import (
    Effects,
    PermanentEffectError,
    TransientEffectError,
    notify_from_payload,
)
from tracker_bridge.store.memory import MemoryStore

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@dataclass
class RecordingTracker:
    """An in-memory Tracker port: issues and what was done to them, plus a failure switch."""

    issues: dict[str, dict[str, object]] = field(default_factory=dict)
    by_unique: dict[str, str] = field(default_factory=dict)
    fail: dict[str, Exception] = field(default_factory=dict)

    def _maybe_fail(self, op: str) -> None:
        error = self.fail.pop(op, None)
        if error is not None:
            raise error

    async def create_issue(self, a: CreateIssue) -> str:
        self._maybe_fail("create")
        if a.unique in self.by_unique:  # what Tracker's `unique` guarantees
            return self.by_unique[a.unique]
        key = f"SUP-{len(self.issues) + 1}"
        self.issues[key] = {"summary": a.summary, "comments": [], "status": "open", "links": []}
        self.by_unique[a.unique] = key
        return key

    async def add_comment(self, a: AddComment, key: str) -> str:
        self._maybe_fail("comment")
        comments = self.issues[key]["comments"]
        assert isinstance(comments, list)
        comments.append(a.text)
        return f"{key}/c{len(comments)}"

    async def transition(self, a: Transition, key: str) -> bool:
        self._maybe_fail("transition")
        moved = self.issues[key]["status"] != a.to.value
        self.issues[key]["status"] = a.to.value
        return moved

    async def set_fields(self, a: SetFields, key: str) -> None:
        self.issues[key].update(a.fields)

    async def link(self, a: Link, key: str) -> None:
        links = self.issues[key]["links"]
        assert isinstance(links, list)
        links.append(a.other)

    async def attach(self, a: AttachFiles, key: str) -> None:
        self.issues[key]["files"] = [f.filename for f in a.attachments]


@dataclass
class RecordingTelegram:
    shown: list[str] = field(default_factory=list)

    async def card(self, a: TelegramCard) -> None:
        self.shown.append(f"card {a.issue}")

    async def alert(self, a: TelegramAlert) -> None:
        self.shown.append(f"alert {a.kind}")

    async def digest(self, a: TelegramDigest) -> None:
        self.shown.append(f"digest {a.digest.customer}")


@pytest.fixture(name="store")
def fixture_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(name="tracker")
def fixture_tracker() -> RecordingTracker:
    return RecordingTracker()


@pytest.fixture(name="effects")
def fixture_effects(store: MemoryStore, tracker: RecordingTracker) -> Effects:
    return Effects(store, ManualClock(T0), tracker=tracker, telegram=RecordingTelegram())


def new_request_batch() -> list[Action]:
    create = CreateIssue("tb-1", "clinic", "SUP", "Печать", "описание", "a@c.example", "m1")
    return [
        create,
        Link(create.ref, "SUP-9"),
        AttachFiles(create.ref, (Attachment("s.png", "image/png", b"x"),), "m1"),
        Notify("registered", "a@c.example", create.ref, "registered", {"key": ""}),
    ]


async def test_r1_a_new_request_is_created_once_and_its_actions_follow_it(
    effects: Effects, store: MemoryStore, tracker: RecordingTracker
) -> None:
    """R1: the batch creates the issue, then links, files and the queued acknowledgement."""
    result = await effects.run(new_request_batch(), customer="clinic")
    assert result.issue_key == "SUP-1"
    assert tracker.issues["SUP-1"]["links"] == ["SUP-9"]
    assert tracker.issues["SUP-1"]["files"] == ["s.png"]
    assert store.issue_for_unique("tb-1") == "SUP-1"
    (queued,) = [e for e in store.journal_pending() if e.kind == "notify"]
    notify, key = notify_from_payload(queued.payload)
    assert key == "SUP-1" and notify.context["key"] == "SUP-1"
    assert notify.key == queued.key  # the same event, so the same Message-ID later


async def test_r22_replaying_a_batch_does_nothing_twice(
    effects: Effects, store: MemoryStore, tracker: RecordingTracker
) -> None:
    """R22/exactly once: the same email handled again finds every action done or queued."""
    await effects.run(new_request_batch(), customer="clinic")
    again = await effects.run(new_request_batch(), customer="clinic")
    assert again.done == [] and again.queued == []
    assert again.issue_key == "SUP-1"
    assert len(tracker.issues) == 1
    assert tracker.issues["SUP-1"]["links"] == ["SUP-9"]
    assert len([e for e in store.journal_pending() if e.kind == "notify"]) == 1


async def test_a_transient_failure_stops_the_batch_and_a_retry_finishes_it(
    effects: Effects, store: MemoryStore, tracker: RecordingTracker
) -> None:
    """Nothing lost: an outage mid-batch is raised; the retry redoes only what was not done."""
    await effects.run(new_request_batch(), customer="clinic")
    batch: list[Action] = [
        AddComment("SUP-1", "первый", "m2"),
        Transition("SUP-1", Status.IN_PROGRESS, "m2"),
    ]
    tracker.fail["transition"] = TransientEffectError("503")
    with pytest.raises(TransientEffectError):
        await effects.run(batch, customer="clinic")
    entry = store.journal_get(batch[1].key)
    assert entry is not None and entry.state == "failed" and not entry.permanent
    result = await effects.run(batch, customer="clinic")
    assert result.skipped == [batch[0].key] and result.done == [batch[1].key]
    assert tracker.issues["SUP-1"]["comments"] == ["первый"]
    assert tracker.issues["SUP-1"]["status"] == "in_progress"


async def test_a_permanent_failure_is_settled_and_the_rest_goes_on(
    effects: Effects, store: MemoryStore, tracker: RecordingTracker
) -> None:
    """A refused comment is recorded as failed for good; the next action still runs."""
    await effects.run(new_request_batch(), customer="clinic")
    tracker.fail["comment"] = PermanentEffectError("422 too long")
    batch: list[Action] = [AddComment("SUP-1", "x" * 10, "m3"), SetFields("SUP-1", {"a": "1"})]
    result = await effects.run(batch)
    assert result.failed == [(batch[0].key, "422 too long")]
    assert tracker.issues["SUP-1"]["a"] == "1"
    again = await effects.run(batch)
    assert again.skipped == [a.key for a in batch]


async def test_a_request_that_cannot_be_created_stops_its_batch(
    effects: Effects, tracker: RecordingTracker
) -> None:
    """Without the issue nothing after it makes sense: the failure is raised."""
    tracker.fail["create"] = PermanentEffectError("queue does not exist")
    with pytest.raises(PermanentEffectError):
        await effects.run(new_request_batch())
    assert tracker.issues == {}


async def test_r5_telegram_actions_go_to_the_telegram_port_or_are_noted_as_disabled(
    store: MemoryStore, tracker: RecordingTracker
) -> None:
    """R5/R21: cards, alerts and digests reach Telegram; without it they are journaled."""
    from datetime import date

    telegram = RecordingTelegram()
    with_tg = Effects(store, ManualClock(T0), tracker=tracker, telegram=telegram)
    digest = TelegramDigest(Digest("clinic", date(2026, 3, 2), {}, (), ()))
    actions: list[Action | TelegramDigest] = [
        TelegramCard("SUP-1", "clinic", "fp1"),
        TelegramAlert("SUP-1", "clinic", "breach", "intake:x"),
        digest,
    ]
    await with_tg.run(actions)
    assert telegram.shown == ["card SUP-1", "alert breach", "digest clinic"]
    without = Effects(MemoryStore(), ManualClock(T0), tracker=tracker)
    result = await without.run(actions)
    assert len(result.done) == 3


async def test_an_action_naming_an_issue_never_created_is_refused(effects: Effects) -> None:
    """A reference to a new issue that this batch did not create is a permanent error."""
    stray = Notify(
        "registered",
        "a@c.example",
        CreateIssue("tb-x", "c", "SUP", "s", "d", "a@c.example", "m").ref,
        "registered",
    )
    with pytest.raises(PermanentEffectError, match="never created"):
        await effects.run([stray])


async def test_adapter_errors_are_read_through_the_classes_it_is_given(
    store: MemoryStore, tracker: RecordingTracker
) -> None:
    """An adapter's own transient error stops the batch as ours; its permanent one settles."""

    class Outage(Exception):
        pass

    class Refused(Exception):
        pass

    effects = Effects(
        store, ManualClock(T0), tracker=tracker, transient=(Outage,), permanent=(Refused,)
    )
    await effects.run(new_request_batch(), customer="clinic")
    tracker.fail["comment"] = Outage("503")
    with pytest.raises(TransientEffectError, match="503"):
        await effects.run([AddComment("SUP-1", "a", "m5")])
    tracker.fail["comment"] = Refused("422")
    result = await effects.run([AddComment("SUP-1", "a", "m5")])
    assert result.failed == [(AddComment("SUP-1", "a", "m5").key, "422")]
    tracker.fail["create"] = Refused("no queue")
    other = CreateIssue("tb-2", "clinic", "SUP", "s", "d", "a@c.example", "m6")
    with pytest.raises(PermanentEffectError, match="no queue"):
        await effects.run([other])
