"""``tracker-bridge check`` (Tracker part) against good and broken queues on the FakeTracker."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tracker_bridge.regulation.statuses import DEFAULT_TRACKER_KEYS, Status, StatusMap
from tracker_bridge.testing.fake_tracker import (
    DEFAULT_LOCAL_FIELDS,
    DEFAULT_TRANSITIONS,
    FakeTracker,
    default_workflow,
)
from tracker_bridge.testing.fake_tracker.catalog import FieldDef
from tracker_bridge.tracker.check import REQUIRED_TRANSITIONS, CheckReport, check_tracker, render
from tracker_bridge.tracker.gateway import DEFAULT_FIELD_IDS, TrackerGateway

from .conftest import make_gateway

MAP = StatusMap()


async def _report(gateway: TrackerGateway) -> CheckReport:
    return await check_tracker(gateway, queues=["SUP"], status_map=MAP, field_ids=DEFAULT_FIELD_IDS)


async def _check(gateway: TrackerGateway, *queues: str) -> tuple[int, str]:
    report = await check_tracker(
        gateway, queues=list(queues), status_map=MAP, field_ids=DEFAULT_FIELD_IDS
    )
    return report.exit_code, render(report)


async def test_the_default_queue_passes(gateway: TrackerGateway) -> None:
    """R13: the regulation's workflow, statuses and local fields are all there: exit 0."""
    code, text = await _check(gateway, "SUP")
    assert code == 0, text
    assert "✗" not in text
    assert "✓ token and organisation accepted (acting as robot-tracker-bridge)" in text
    assert text.endswith("Tracker: all good")
    closing = [t for t in REQUIRED_TRANSITIONS if t[1].is_terminal]  # the auto-closes (R19)
    assert text.count("✓") == 3 + len(REQUIRED_TRANSITIONS) + len(closing) + len(DEFAULT_FIELD_IDS)
    assert (
        "✓ queue SUP, workflow 'regulationWorkflow': transition 'needInfo' → 'closedNoResponse' "
        "(auto-close without an answer (R19)): needs a resolution; the bridge sends 'fixed'"
    ) in text


async def test_a_missing_status_is_named_with_its_fix(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """A workflow without 'closedNoResponse' fails on that status and on the transitions to it."""
    gone = DEFAULT_TRACKER_KEYS[Status.CLOSED_NO_RESPONSE]
    flow = default_workflow()
    fake.add_queue(
        "NOCLOSE",
        workflow=replace(
            flow,
            id="noClose",
            statuses=tuple(s for s in flow.statuses if s != gone),
            transitions=tuple(t for t in DEFAULT_TRANSITIONS if gone not in {t.to, *t.sources}),
        ),
        local_fields=DEFAULT_LOCAL_FIELDS,
    )
    code, text = await _check(gateway, "NOCLOSE")
    assert code == 1
    assert (
        "✗ queue NOCLOSE, workflow 'noClose': status 'closedNoResponse' "
        "(Закрыто из-за отсутствия ответа) — add status 'closedNoResponse' to the workflow, "
        "or map closed_no_response to one of its statuses"
    ) in text
    assert (
        "✗ queue NOCLOSE, workflow 'noClose': transition 'needInfo' → 'closedNoResponse' "
        "(auto-close without an answer (R19)) — add a transition from 'needInfo' to "
        "'closedNoResponse' to the workflow"
    ) in text


async def test_a_missing_transition_fails_with_a_precise_line(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """Without a way from 'awaitingTesting' to 'verifiedNoErrors', exactly that line fails."""
    fake.add_queue(
        "NOVERIFY",
        workflow=replace(
            default_workflow(),
            id="noVerify",
            transitions=tuple(t for t in DEFAULT_TRANSITIONS if t.id != "verified"),
        ),
        local_fields=DEFAULT_LOCAL_FIELDS,
    )
    report = await check_tracker(
        gateway, queues=["NOVERIFY"], status_map=MAP, field_ids=DEFAULT_FIELD_IDS
    )
    assert [line.what for line in report.failures] == [
        "queue NOVERIFY, workflow 'noVerify': transition 'awaitingTesting' → "
        "'verifiedNoErrors' (the customer confirms the change (R15))"
    ]


async def test_a_missing_local_field_fails(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """A queue without the precise deadline field fails on it and says how to fix it."""
    fields = [f for f in DEFAULT_LOCAL_FIELDS if f.id != "slaDeadline"]
    fake.add_queue("NOFIELD", local_fields=fields)
    code, text = await _check(gateway, "NOFIELD")
    assert code == 1
    assert (
        "✗ queue NOFIELD: local field 'slaDeadline' (deadline) — add the local field "
        "'slaDeadline' to queue NOFIELD, or map deadline to another field"
    ) in text


async def test_r10_a_deadline_field_that_is_not_a_date_and_time_fails(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """12.5: a deadline kept in a text field would show a raw string in Tracker's UI: check
    names the field and asks for a date-and-time field."""
    fields = [
        FieldDef("reactionDeadline", "Срок", "string") if f.id == "reactionDeadline" else f
        for f in DEFAULT_LOCAL_FIELDS
    ]
    fake.add_queue("TXTDL", local_fields=fields)
    code, text = await _check(gateway, "TXTDL")
    assert code == 1
    assert (
        "✗ queue TXTDL: local field 'reactionDeadline' (reaction_deadline) is of type 'string', "
        "not a date and time — make 'reactionDeadline' a local field of type date-and-time "
        "(datetime) in queue TXTDL"
    ) in text


async def test_a_missing_queue_fails(gateway: TrackerGateway) -> None:
    """A configured queue that Tracker does not have is one failing line."""
    code, text = await _check(gateway, "SUP", "NOPE")
    assert code == 1
    assert "✗ queue NOPE exists — create it or fix the queue in config" in text
    assert "Tracker: 1 problem(s) to fix" in text


async def test_a_bad_token_stops_the_check_at_login(fake: FakeTracker) -> None:
    """401: one failing line about the credentials, nothing else is tried."""
    async with make_gateway(fake, token="expired") as gateway:
        code, text = await _check(gateway, "SUP")
    assert code == 1
    assert text.startswith("✗ Tracker refused the login")
    assert "X-Cloud-Org-Id" in text
    assert fake.request_count("GET", "/v2/queues/SUP") == 0


@pytest.mark.parametrize(
    "case",
    [
        # a workflow Tracker will not show (403): what to fix; the rest still runs
        (
            "GET /v3/workflows/{id}",
            403,
            "queue SUP: workflow 'regulationWorkflow' can be read",
            "read access",
        ),
        # point 4: the queue exists, its workflow page answers 404: said as such, not "create it"
        (
            "GET /v3/queues/SUP/workflows",
            404,
            "queue SUP: its workflows can be read at /v3/queues/SUP/workflows (404",
            "tracker.base_url",
        ),
    ],
)
async def test_an_unreadable_workflow_is_a_failing_line_not_a_crash(
    fake: FakeTracker, gateway: TrackerGateway, case: tuple[str, int, str, str]
) -> None:
    """One failing line naming the page and the fix; the queue and its fields still checked."""
    route, status, line, fix = case
    fake.fail_next(route, status=status)
    report = await _report(gateway)
    (failure,) = report.failures
    assert failure.what.startswith(line)
    assert fix in failure.fix
    assert any(x.ok and x.what.startswith("queue SUP exists") for x in report.lines)
    assert any("local field 'slaDeadline'" in x.what for x in report.lines)


async def test_workflows_are_read_at_the_documented_v3_pages(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """Point 4: /v3/queues/{key}/workflows and /v3/workflows/{id}; nothing under /v2."""
    code, _ = await _check(gateway, "SUP")
    assert code == 0
    assert fake.request_count("GET", "/v3/queues/SUP/workflows") == 1
    workflow_reads = [path for _, path, _ in fake.sent if "workflows" in path]
    assert workflow_reads == ["/v3/queues/SUP/workflows", "/v3/workflows/regulationWorkflow"]


async def test_a_resolution_the_organisation_lacks_is_named(fake: FakeTracker) -> None:
    """Point 3: the closing transitions need a resolution; one that does not exist fails."""
    async with make_gateway(fake, resolution="closedByRobot") as gateway:
        report = await check_tracker(
            gateway, queues=["SUP"], status_map=MAP, field_ids=DEFAULT_FIELD_IDS
        )
    assert len(report.failures) == 2  # needInfo → closedNoResponse, awaitingTesting → same
    for failure in report.failures:
        assert failure.what.endswith("needs a resolution ('closedByRobot')")
        assert "set tracker.resolution" in failure.fix and "fixed" in failure.fix


async def test_a_screen_field_the_bridge_cannot_fill_is_named(fake: FakeTracker) -> None:
    """A transition whose screen requires another field fails with the field and the fix."""
    flow = default_workflow()
    own = tuple(
        replace(t, required=("assignee",)) if t.id == "start_progress" else t
        for t in flow.transitions
    )
    fake.add_queue(
        "SCR",
        workflow=replace(flow, id="screens", transitions=own),
        local_fields=DEFAULT_LOCAL_FIELDS,
    )
    async with make_gateway(fake) as gateway:
        code, text = await _check(gateway, "SCR")
    assert code == 1
    assert (
        "✗ queue SCR, workflow 'screens': transition 'open' → 'inProgress' (taking a request "
        "into work (R10)): requires the field 'assignee' — make 'assignee' optional on the "
        "screen of 'start_progress': the bridge cannot fill it"
    ) in text
