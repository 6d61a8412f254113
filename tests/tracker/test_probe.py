"""Issue 11.9: ``tracker-bridge check --live`` against the FakeTracker in each of its modes —
it finds what the switch says, writes only to its throwaway issue in the sandbox queue, and
refuses to run without a sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from tracker_bridge.regulation.statuses import StatusMap
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.tracker.check import REQUIRED_TRANSITIONS
from tracker_bridge.tracker.gateway import TrackerGateway
from tracker_bridge.tracker.probe import ProbeRefused, ProbeReport, probe_tracker, render_probe

from .conftest import make_gateway

SANDBOX = "SANDBOX"

# what the probe must find in each switch position (topic → words of its finding)
EXPECTED: dict[str, tuple[str, str]] = {
    "defaults": ("comment marker", "kept verbatim and hidden"),
    "query_tz=Europe/Moscow": ("query date literals", "read in UTC+03:00"),
    "marker_rendering=strip": ("comment marker", "stripped from the text"),
    "marker_rendering=show": ("comment marker", "shown to support"),
    "if_match=ignored": ("If-Match", "ignored"),
    "last_comment_query=rejected": ('"Last comment" in queries', "refused (400)"),
    "comment_bumps_updated=True": ("a comment moves updatedAt", "yes"),
}


async def _probe(fake: FakeTracker, gateway: TrackerGateway) -> ProbeReport:
    fake.add_queue(SANDBOX, "Песочница")
    return await probe_tracker(
        gateway, sandbox=SANDBOX, customer_queues=["SUP"], status_map=StatusMap()
    )


async def test_the_probe_finds_what_the_fake_does_and_writes_only_to_its_issue(
    fake: FakeTracker, gateway: TrackerGateway, request: pytest.FixtureRequest
) -> None:
    fake.create_issue("SUP", "a customer's request, never touched")
    report = await _probe(fake, gateway)
    text = render_probe(report)
    assert report.ok, text
    assert report.issue == "SANDBOX-1"
    profile = request.node.callspec.id
    topic, words = EXPECTED.get(profile, EXPECTED["defaults"])
    assert words in report.finding(topic).found, text
    if profile != "query_tz=Europe/Moscow":
        assert report.finding("query date literals").found == "read in UTC"
    if profile != "if_match=ignored":
        assert report.finding("If-Match").found == "honoured"
    assert report.finding("?version= (docs patch-issue.md)").found == "honoured"
    walked = [x for x in report.lines if x.what.startswith("transition ")]
    assert len(walked) == len(REQUIRED_TRANSITIONS)
    assert any("resolution 'fixed' accepted" in x.what for x in walked)
    # writes: only the sandbox issue (and temporary uploads, none here)
    writes = [(m, p) for m, p, _ in fake.sent if m in ("PATCH", "DELETE")]
    reads = {"/v2/issues/_search", "/v2/issues/_count", "/v2/issues/_findByUnique"}
    writes += [(m, p) for m, p, _ in fake.sent if m == "POST" and p not in reads]
    assert writes
    assert all(p.startswith("/v2/issues/SANDBOX-1") or p == "/v2/issues" for _, p in writes)
    assert fake.issues["SUP-1"].version == 1 and fake.comments["SUP-1"] == []
    # cleaned up: its comments deleted, the issue closed
    assert all(c.deleted for c in fake.comments["SANDBOX-1"] if "probe" in c.text)
    assert fake.issues["SANDBOX-1"].status == "closed"


@pytest.mark.parametrize(
    ("sandbox", "words"),
    [
        (None, "give it a sandbox queue"),
        ("", "give it a sandbox queue"),
        ("SUP", "a customer's queue"),
        ("NOPE", "has no queue NOPE"),
    ],
)
async def test_the_probe_refuses_without_a_sandbox_and_writes_nothing(
    clock: Any, sandbox: str | None, words: str
) -> None:
    with FakeTracker(clock=clock) as fake:
        async with make_gateway(fake) as gateway:
            with pytest.raises(ProbeRefused, match=words):
                await probe_tracker(
                    gateway, sandbox=sandbox, customer_queues=["SUP"], status_map=StatusMap()
                )
        assert not [m for m, _, _ in fake.sent if m != "GET"]
