"""The issue's "done means": 500 operations with 20 % injected faults (5xx, 429, dropped
connections, apply-then-fail) all complete, and Tracker ends up with no duplicate issue, comment,
transition, file or link."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable

from tracker_bridge.regulation.actions import AddComment, AttachFiles, Link, SetFields, Transition
from tracker_bridge.regulation.model import Attachment
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.gateway import TrackerGateway
from tracker_bridge.tracker.markers import find_marker

from .conftest import create_action

ISSUES = 50
FAULT_RATE = 0.2
ROUTES = {
    "create": "POST /v2/issues",
    "comment": "POST /v2/issues/{key}/comments",
    "transition": "POST /v2/issues/{key}/transitions/{id}/_execute",
    "fields": "PATCH /v2/issues/{key}",
    "attach": "POST /v2/issues/{key}/attachments",
    "link": "POST /v2/issues/{key}/links",
}


class Chaos:
    """Arms one random fault on an operation's route, 20 % of the time (seeded)."""

    def __init__(self, fake: FakeTracker, seed: int = 20261126) -> None:
        self.fake, self.rng, self.armed, self.ops = fake, random.Random(seed), 0, 0

    def before(self, kind: str) -> None:
        self.ops += 1
        if self.rng.random() >= FAULT_RATE:
            return
        self.armed += 1
        route, fault = ROUTES[kind], self.rng.choice(["5xx", "429", "drop", "apply"])
        if fault == "5xx":
            self.fake.fail_next(route, status=self.rng.choice([500, 502, 503]))
        elif fault == "429":
            self.fake.rate_limit_next(route, retry_after=1)
        elif fault == "drop":
            self.fake.drop_next(route)
        else:
            self.fake.apply_then_fail(route)


async def _life_of_one_issue(gateway: TrackerGateway, chaos: Chaos, n: int) -> str:
    """Ten operations on one request, each behind a possible fault."""

    async def step(kind: str, call: Callable[[], Awaitable[object]]) -> object:
        chaos.before(kind)
        return await call()

    key = str(await step("create", lambda: gateway.create_issue(create_action(f"tb-{n}"))))
    comment = AddComment(key, f"Письмо {n}", f"<mail-{n}@clinic.ru>", on_behalf_of="d@c.ru")
    await step("comment", lambda: gateway.add_comment(comment, key))
    deadline = {"deadline": f"2026-12-{1 + n % 28:02d}T10:00:00+03:00"}
    await step("fields", lambda: gateway.set_fields(SetFields(key, deadline), key))
    for to, event in (
        (Status.IN_PROGRESS, "take"),
        (Status.INFO_REQUESTED, "ask"),
        (Status.IN_PROGRESS, "answer"),
    ):
        action = Transition(key, to, f"{event}:{n}", comment=f"{event} {n}")
        await step("transition", lambda action=action: gateway.transition(action, key))  # type: ignore[misc]
    reply = AddComment(key, f"Ответ {n}", f"<reply-{n}@clinic.ru>", on_behalf_of="d@c.ru")
    await step("comment", lambda: gateway.add_comment(reply, key))
    owner = SetFields(key, {"assignee": "ivanov"})
    await step("fields", lambda: gateway.set_fields(owner, key))
    files = AttachFiles(key, (Attachment(f"shot-{n}.png", "image/png", b"png" * n),), f"<f{n}>")
    await step("attach", lambda: gateway.attach(files, key))
    if key != "SUP-1":  # the issues are created concurrently: any of them may be first
        await step("link", lambda: gateway.link(Link(key, "SUP-1"), key))
    else:
        await step("fields", lambda: gateway.set_fields(SetFields(key, {"login": "x"}), key))
    return key


async def test_500_operations_with_20_percent_faults_make_no_duplicates(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """Every operation completes; issues, comments, transitions, files and links exist once."""
    chaos = Chaos(fake)
    keys = await asyncio.gather(*(_life_of_one_issue(gateway, chaos, n) for n in range(ISSUES)))

    assert chaos.ops == 500
    assert chaos.armed >= 80  # about 20 % of 500
    assert len(set(keys)) == ISSUES
    assert sorted(str(i.unique) for i in fake.issues.values()) == sorted(
        f"tb-{n}" for n in range(ISSUES)
    )
    for key in keys:
        # 2 customer comments + 3 transition notes, each once (by marker, or by its text where
        # Tracker strips the marker: every text is distinct here)
        stripped = fake.settings.marker_rendering == "strip"
        seen = Counter(c.text if stripped else find_marker(c.text) for c in fake.comments[key])
        assert len(seen) == 5, key
        assert set(seen.values()) == {1}, key
        moves = [e for e in fake.changelog[key] if e.type == "IssueWorkflow"]
        assert len(moves) == 3, key
        assert fake.issues[key].status == "inProgress"
        assert fake.issues[key].assignee is not None
        assert len([a for a in fake.attachments.values() if a.issue == key]) == 1, key
    assert len(fake.links) == ISSUES - 1
