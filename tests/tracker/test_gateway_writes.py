"""TrackerGateway writes (one method per action), asserted on the FakeTracker's records."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from structlog.testing import capture_logs

from tests.test_config import a_config
from tracker_bridge.config import Settings
from tracker_bridge.foundation.retry import RetryPolicy
from tracker_bridge.regulation.actions import AddComment, AttachFiles, Link, SetFields, Transition
from tracker_bridge.regulation.model import Attachment
from tracker_bridge.regulation.statuses import TERMINAL_STATUSES, Status
from tracker_bridge.runtime.wiring import gateway_for
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.fake_tracker.catalog import FieldDef
from tracker_bridge.tracker.errors import NoTransitionError, TrackerNotFound
from tracker_bridge.tracker.gateway import TrackerGateway
from tracker_bridge.tracker.markers import find_marker, marker_id

from .conftest import create_action, make_gateway

PNG = Attachment("shot.png", "image/png", b"\x89PNG 1234")


async def test_create_issue_writes_fields_unique_and_files(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """R1/R7: summary, unique, priority, tags, requester, template fields and files land."""
    action = create_action(
        priority="critical",
        tags=("clinic-a",),
        fields={"department": "Хирургия", "card_number": "123"},
        attachments=(PNG,),
        deadline=datetime(2026, 11, 29, 7, 0, tzinfo=UTC),
    )
    key = await gateway.create_issue(action)
    issue = fake.issues[key]
    assert (issue.summary, issue.unique, issue.priority) == (action.summary, "tb-1", "critical")
    assert issue.tags == ["clinic-a"]
    assert issue.email_from == "doctor@clinic.ru"
    assert issue.local == {
        "department": "Хирургия",
        "cardNumber": "123",
        "requesterEmail": "doctor@clinic.ru",
        "slaDeadline": "2026-11-29T07:00:00.000+0000",
    }
    assert issue.deadline == "2026-11-29"
    assert [a.name for a in fake.attachments.values() if a.issue == key] == ["shot.png"]


async def test_create_issue_twice_returns_the_same_key(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """A repeated unique is Tracker's 409; the existing issue's key comes back, nothing new."""
    first = await gateway.create_issue(create_action())
    second = await gateway.create_issue(create_action())
    assert first == second == "SUP-1"
    assert list(fake.issues) == ["SUP-1"]
    assert fake.request_count("POST", "/v2/issues/_findByUnique") == 1


async def test_add_comment_carries_a_marker_and_returns_its_id(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """R8: the comment's text ends with a marker derived from the source id."""
    fake.create_issue(summary="x")
    action = AddComment("SUP-1", "Ответ клиента", "<reply-1@clinic.ru>", on_behalf_of="d@c.ru")
    comment_id = await gateway.add_comment(action, "SUP-1")
    (stored,) = fake.comments["SUP-1"]
    assert str(stored.id) == comment_id
    assert stored.text.startswith("Ответ клиента")
    if fake.settings.marker_rendering == "strip":  # Tracker dropped it: the id is what counts
        assert stored.text == "Ответ клиента"
    else:
        assert find_marker(stored.text) == ("customer", marker_id("<reply-1@clinic.ru>"))


async def test_add_comment_again_finds_the_first_one(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """A redo after a crash finds the marker and posts nothing (exactly once)."""
    if fake.settings.marker_rendering == "strip":
        pytest.skip(
            "a new call cannot tell an unmarked earlier post from a customer's repeated words; "
            "with markers stripped only retries within one call are covered (docs/tracker.md)"
        )
    fake.create_issue(summary="x")
    action = AddComment("SUP-1", "text", "<m@x>", attachments=(PNG,))
    first = await gateway.add_comment(action, "SUP-1")
    again = await gateway.add_comment(action, "SUP-1")
    assert first == again
    assert len(fake.comments["SUP-1"]) == 1
    assert fake.comments["SUP-1"][0].attachment_ids != []
    found = await gateway.comment_with_marker("SUP-1", "<m@x>")
    assert found is not None
    assert found.id == first


async def test_transition_finds_the_transition_into_the_target(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """R13: a logical status is reached by whichever transition leads to its key."""
    fake.create_issue(summary="x")
    fake.transition("SUP-1", "start_progress")
    fake.transition("SUP-1", "request_info")
    moved = await gateway.transition(
        Transition("SUP-1", Status.CLOSED_NO_RESPONSE, "silence:1", comment="Закрыто (R19)"),
        "SUP-1",
    )
    assert moved is True
    issue = fake.issues["SUP-1"]
    # R19 closes with the default resolution: the workflow (as a documented one) sets none
    assert (issue.status, issue.resolution) == ("closedNoResponse", "fixed")
    (note,) = fake.comments["SUP-1"]
    if fake.settings.marker_rendering != "strip":
        assert find_marker(note.text) == ("bridge", marker_id("silence:1"))
    assert note.text.startswith("Закрыто (R19)")


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES, key=lambda s: s.value))
async def test_r19_every_transition_to_a_done_type_status_sends_a_resolution(
    fake: FakeTracker, status: Status
) -> None:
    """A documented workflow answers 422 to a closing transition without a resolution: the
    gateway sends the configured one for the status, else the default (``fixed``)."""
    overrides = {Status.CLOSED_NO_RESPONSE: "wontFix"}
    async with make_gateway(fake, resolutions=overrides) as gateway:
        fake.create_issue(summary="x")
        fake.transition("SUP-1", "request_info")
        if status is Status.COMPLETED:  # offered from "in progress" only
            fake.transition("SUP-1", "start_progress")
        assert await gateway.transition(Transition("SUP-1", status, "e"), "SUP-1") is True
    assert fake.issues["SUP-1"].resolution == overrides.get(status, "fixed")


async def test_no_resolution_is_sent_to_a_status_that_is_not_done(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """Reopening clears the resolution: none is sent with it."""
    fake.create_issue(summary="x")
    await gateway.transition(Transition("SUP-1", Status.CLOSED, "close"), "SUP-1")
    await gateway.transition(Transition("SUP-1", Status.REOPENED, "reopen"), "SUP-1")
    issue = fake.issues["SUP-1"]
    assert (issue.status, issue.resolution) == ("reopened", None)


async def test_transition_to_the_current_status_is_false(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """Already there: nothing is executed and the answer is False."""
    fake.create_issue(summary="x")
    assert await gateway.transition(Transition("SUP-1", Status.OPEN, "e"), "SUP-1") is False
    assert [e.type for e in fake.changelog["SUP-1"]] == ["IssueCreated"]


async def test_transition_with_resolution(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """A resolution given by the action is sent with the transition."""
    fake.create_issue(summary="x")
    action = Transition("SUP-1", Status.CLOSED, "close:1", resolution="infrastructure")
    assert await gateway.transition(action, "SUP-1") is True
    assert fake.issues["SUP-1"].resolution == "infrastructure"


async def test_no_transition_into_the_target_is_a_clear_error(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """From open there is no way to 'verified': NoTransitionError names both statuses."""
    fake.create_issue(summary="x")
    with pytest.raises(NoTransitionError, match="'open' to 'verifiedNoErrors'"):
        await gateway.transition(Transition("SUP-1", Status.VERIFIED, "e"), "SUP-1")
    assert fake.issues["SUP-1"].status == "open"


async def test_set_fields_writes_deadline_date_precise_value_and_assignee(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """R10: the deadline goes to Tracker's date (Moscow day) and the precise local field."""
    fake.create_issue(summary="x")
    fields = {"deadline": "2026-11-27T22:30:00+00:00", "assignee": "ivanov", "login": "doc"}
    await gateway.set_fields(SetFields("SUP-1", fields), "SUP-1")
    issue = fake.issues["SUP-1"]
    assert issue.deadline == "2026-11-28"  # 01:30 in Moscow is the next day
    # 12.5: a datetime field in Tracker's own format, so the UI shows a date and a time
    assert issue.local["slaDeadline"] == "2026-11-27T22:30:00.000+0000"
    assert issue.local["login"] == "doc"
    assert fake.users[str(issue.assignee)].login == "ivanov"


async def test_r6_the_deadline_date_is_the_day_in_the_calendars_zone(fake: FakeTracker) -> None:
    """R6: Tracker's ``deadline`` date is the deadline's day in the support calendar's zone
    (``calendar.timezone``), not always Moscow's: 17:30 UTC is the 27th in Moscow (20:30) and
    the 28th in Vladivostok (03:30)."""
    fake.create_issue(summary="x")
    fake.create_issue(summary="y")
    fields = {"deadline": "2026-11-27T17:30:00+00:00"}
    async with make_gateway(fake) as moscow:
        await moscow.set_fields(SetFields("SUP-1", fields), "SUP-1")
    async with make_gateway(fake, deadline_zone=ZoneInfo("Asia/Vladivostok")) as far_east:
        await far_east.set_fields(SetFields("SUP-2", fields), "SUP-2")
    assert fake.issues["SUP-1"].deadline == "2026-11-27"
    assert fake.issues["SUP-2"].deadline == "2026-11-28"
    assert fake.issues["SUP-2"].local["slaDeadline"] == "2026-11-27T17:30:00.000+0000"


async def test_r6_the_daemons_gateway_takes_the_zone_from_the_calendar_setting(
    fake: FakeTracker,
) -> None:
    """R6: the gateway the daemon builds (``wiring.gateway_for``) dates Tracker's ``deadline``
    in ``calendar.timezone``."""
    fake.create_issue(summary="x")
    settings = Settings.model_validate(
        a_config(
            tracker_token=fake.token,
            tracker={"org_id": fake.org_id, "base_url": fake.url},
            calendar={"timezone": "Asia/Vladivostok"},
        )
    )
    async with gateway_for(settings, RetryPolicy(attempts=1), None) as gateway:
        await gateway.set_fields(
            SetFields("SUP-1", {"deadline": "2026-11-27T17:30:00+00:00"}), "SUP-1"
        )
    assert fake.issues["SUP-1"].deadline == "2026-11-28"


async def test_set_fields_none_clears_the_deadline(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """A None deadline clears both the date and the precise field."""
    fake.create_issue(summary="x", deadline="2026-12-01", slaDeadline="2026-12-01T10:00:00+03:00")
    await gateway.set_fields(SetFields("SUP-1", {"deadline": None}), "SUP-1")
    issue = fake.issues["SUP-1"]
    assert issue.deadline is None
    assert issue.local.get("slaDeadline") is None


async def test_update_issue_with_a_stale_version_is_a_conflict(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """With a version, a concurrent change is refused (Tracker's 409/412 → TrackerConflict)."""
    from tracker_bridge.tracker.errors import TrackerConflict

    fake.create_issue(summary="x")
    snapshot = await gateway.issue("SUP-1")
    fake.update_issue("SUP-1", summary="changed by support")
    with pytest.raises(TrackerConflict):
        await gateway.update_issue("SUP-1", {"summary": "ours"}, version=snapshot.version)
    assert fake.issues["SUP-1"].summary == "changed by support"


async def test_link_twice_is_one_link(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """R20: a repeated link is Tracker's 422 'already linked', treated as done."""
    fake.create_issue(summary="old")
    fake.create_issue(summary="new")
    await gateway.link(Link("SUP-2", "SUP-1"), "SUP-2")
    await gateway.link(Link("SUP-2", "SUP-1"), "SUP-2")
    assert len(fake.links) == 1


async def test_link_to_a_missing_issue_fails(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """A link to an issue that does not exist is an error, not silently done."""
    fake.create_issue(summary="new")
    with pytest.raises(TrackerNotFound):
        await gateway.link(Link("SUP-1", "SUP-99"), "SUP-1")
    assert fake.links == {}


async def test_attach_uploads_each_file_once(fake: FakeTracker, gateway: TrackerGateway) -> None:
    """R7: files land on the issue; a repeat uploads only what is not there yet."""
    fake.create_issue(summary="x")
    report = Attachment("report.pdf", "application/pdf", b"%PDF-1.4")
    await gateway.attach(AttachFiles("SUP-1", (PNG,), "<m1>"), "SUP-1")
    await gateway.attach(AttachFiles("SUP-1", (PNG, report), "<m1>"), "SUP-1")
    names = sorted(a.name for a in fake.attachments.values() if a.issue == "SUP-1")
    assert names == ["report.pdf", "shot.png"]
    downloaded = {a.name: await gateway.download(a) for a in await gateway.attachments("SUP-1")}
    assert downloaded == {"shot.png": PNG.data, "report.pdf": report.data}


async def test_a_local_field_the_queue_lacks_is_skipped_not_fatal(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """R1: a queue without the card-number and precise-deadline fields still gets the request."""
    fake.add_queue("BARE")
    action = create_action(
        queue="BARE",
        fields={"card_number": "123"},
        deadline=datetime(2026, 11, 29, 7, 0, tzinfo=UTC),
    )
    with capture_logs() as logs:
        key = await gateway.create_issue(action)
    assert fake.issues[key].local == {}
    assert fake.issues[key].deadline == "2026-11-29"
    missing = {e["field"] for e in logs if e["event"] == "tracker.local_field_missing"}
    assert missing == {"card_number", "requester", "deadline"}


async def test_r10_create_writes_both_deadlines_and_the_arrival_as_tracker_datetimes(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """R10/R17 and 12.5: the reaction and execution deadlines and the mail's arrival go to
    `datetime` local fields in Tracker's format (``YYYY-MM-DDThh:mm:ss.sss+0000``)."""
    action = create_action(
        priority="critical",
        deadline=datetime(2026, 11, 29, 7, 0, tzinfo=UTC),
        reaction_deadline=datetime.fromisoformat("2026-11-20T13:05:00+03:00"),
        arrived_at=datetime.fromisoformat("2026-11-17T13:05:07.250+03:00"),
    )
    key = await gateway.create_issue(action)
    local = fake.issues[key].local
    assert local["reactionDeadline"] == "2026-11-20T10:05:00.000+0000"
    assert local["mailReceivedAt"] == "2026-11-17T10:05:07.250+0000"
    assert local["slaDeadline"] == "2026-11-29T07:00:00.000+0000"


async def test_a_deadline_field_of_another_type_gets_iso_with_its_offset(
    fake: FakeTracker, gateway: TrackerGateway
) -> None:
    """12.5: only a `datetime` field takes Tracker's datetime format; a text field keeps an
    ISO 8601 value the bridge can read back."""
    fake.add_queue("TXT", local_fields=[FieldDef("slaDeadline", "Срок", "string")])
    key = await gateway.create_issue(
        create_action(queue="TXT", deadline=datetime(2026, 11, 29, 7, 0, tzinfo=UTC))
    )
    assert fake.issues[key].local["slaDeadline"] == "2026-11-29T07:00:00+00:00"
