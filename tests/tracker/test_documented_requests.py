"""Issue 11.2: every request the gateway sends is one ``docs/tracker.md`` lists with its doc
page — method, path, and query parameters, none of them repeated (the docs define each as one
value). Driven through the real client against the strict FakeTracker, which records each
request as sent (``fake.sent``)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.regulation.actions import AddComment, AttachFiles, Link, SetFields, Transition
from tracker_bridge.regulation.model import Attachment
from tracker_bridge.regulation.statuses import Status, StatusMap
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.check import check_tracker
from tracker_bridge.tracker.gateway import DEFAULT_FIELD_IDS, TrackerGateway
from tracker_bridge.tracker.sync import TrackerSync

from .conftest import create_action, make_gateway

DOC = Path(__file__).resolve().parents[2] / "docs" / "tracker.md"
PNG = Attachment("shot.png", "image/png", b"\x89PNG\r\n")


def documented() -> list[tuple[str, re.Pattern[str], frozenset[str]]]:
    """The rows of docs/tracker.md's request table: (method, path pattern, parameters)."""
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[0] not in {"GET", "POST", "PATCH", "DELETE"}:
            continue
        path = cells[1].strip("`")
        pattern = re.compile(re.sub(r"\\\{[a-z]+\\\}", "[^/]+", re.escape(path)))
        params = frozenset(p.strip(" `") for p in cells[2].split(",") if p.strip(" `"))
        rows.append((cells[0], pattern, params))
    return rows


def undocumented(sent: list[tuple[str, str, tuple[str, ...]]]) -> list[str]:
    rows = documented()
    bad = []
    for method, path, names in sent:
        repeated = len(names) != len(set(names))
        fits = any(
            m == method and p.fullmatch(path) and set(names) <= allowed for m, p, allowed in rows
        )
        if repeated or not fits:
            bad.append(f"{method} {path} {names}")
    return bad


async def _everything(gateway: TrackerGateway, fake: FakeTracker, clock: ManualClock) -> None:
    """Every operation the gateway offers, with pages long enough to follow ``Link: next``."""
    key = await gateway.create_issue(create_action(attachments=(PNG,)))
    other = await gateway.create_issue(create_action("tb-2"))
    for n in range(105):
        fake.add_comment(key, f"c{n}", by="ivanov")
        fake.update_issue(key, by="ivanov", summary=f"s{n}")
    await gateway.add_comment(AddComment(key, "Ответ", "<r@c>", on_behalf_of="d@c"), key)
    await gateway.transition(Transition(key, Status.IN_PROGRESS, "take"), key)
    await gateway.transition(Transition(key, Status.CLOSED, "close", comment="Готово"), key)
    await gateway.set_fields(SetFields(key, {"deadline": "2026-11-27T12:00:00+03:00"}), key)
    issue = await gateway.issue(key)
    await gateway.update_issue(key, {"summary": "x"}, version=issue.version)
    await gateway.link(Link(key, other), key)
    await gateway.attach(AttachFiles(key, (Attachment("b.txt", "text/plain", b"b"),), "<f>"), key)
    for attachment in await gateway.attachments(key):
        await gateway.download(attachment)
    await gateway.changelog(key)
    await gateway.comments(key)
    await gateway.links(key)
    await gateway.find_by_unique("tb-1")
    await gateway.search_keys([f"SUP-{n}" for n in range(1, 120)])
    await gateway.fields()
    await gateway.statuses()
    sync = TrackerSync(gateway, MemoryStore(), queues=["SUP"], tracked=lambda: [key])
    await sync.cycle()
    clock.advance(timedelta(hours=1))
    await sync.cycle()
    await check_tracker(
        gateway, queues=["SUP"], status_map=StatusMap(), field_ids=DEFAULT_FIELD_IDS
    )


async def test_every_request_the_gateway_sends_is_documented(clock: ManualClock) -> None:
    with FakeTracker(clock=clock, repeated_param="error") as fake:
        async with make_gateway(fake) as gateway:
            await _everything(gateway, fake, clock)
        assert len(fake.sent) > 40
        assert undocumented(fake.sent) == []
        # the changelog was read whole: the one-string `field` is never sent
        assert not any("field" in names for _, _, names in fake.sent)


def test_the_audit_would_catch_an_undocumented_or_repeated_parameter() -> None:
    """The check itself: the old changelog request and an unknown path are caught."""
    old = ("GET", "/v2/issues/SUP-1/changelog", ("perPage", "field", "field"))
    assert undocumented([old, ("GET", "/v2/workflows/x", ())]) == [
        "GET /v2/issues/SUP-1/changelog ('perPage', 'field', 'field')",
        "GET /v2/workflows/x ()",
    ]
    assert undocumented([("GET", "/v3/workflows/x", ())]) == []
