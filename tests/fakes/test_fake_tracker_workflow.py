"""FakeTracker conformance: transitions, comments and the changelog, via the real client."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from yandex_tracker_client.exceptions import Conflict, NotFound, UnprocessableEntity

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_tracker import FakeTracker, catalog

START = datetime(2026, 11, 26, 9, 15, tzinfo=UTC)


def test_transitions_list_only_what_the_current_status_allows(client: Any) -> None:
    """GET …/transitions lists the workflow's transitions out of the current status (R13)."""
    issue = client.issues.create(queue="SUP", summary="x")
    ids = {t.id for t in issue.transitions.get_all()}
    assert ids == {
        "start_progress",
        "request_info",
        "close",
        "mark_duplicate",
        "mark_infeasible",
        "cancel",
    }
    assert issue.transitions["start_progress"].to.key == "inProgress"
    with pytest.raises(NotFound):
        issue.transitions["verified"]


def test_execute_moves_the_status_and_records_a_workflow_entry(
    fake: FakeTracker, client: Any, clock: ManualClock
) -> None:
    """_execute sets status/previousStatus/statusStartTime, bumps version, logs IssueWorkflow."""
    issue = client.issues.create(queue="SUP", summary="x")
    clock.advance(timedelta(hours=1))
    after = issue.transitions["start_progress"].execute()

    assert {t.id for t in after} >= {"request_info", "send_to_testing"}
    record = fake.issues["SUP-1"]
    assert (record.status, record.previous_status, record.version) == ("inProgress", "open", 2)
    assert record.status_start_time == START + timedelta(hours=1)
    entry = fake.changelog["SUP-1"][-1]
    assert entry.type == "IssueWorkflow"
    status_change = next(c for c in entry.fields if c.field == "status")
    assert (status_change.before["key"], status_change.after["key"]) == ("open", "inProgress")


def test_a_transition_not_allowed_from_the_status_is_refused(
    fake: FakeTracker, client: Any
) -> None:
    """Executing a transition the current status does not offer → 409; the status stays."""
    issue = client.issues.create(queue="SUP", summary="x")
    transition = issue.transitions["start_progress"]
    fake.transition("SUP-1", "request_info", by="petrova")
    fake.transition("SUP-1", "start_progress", by="petrova")
    fake.transition("SUP-1", "send_to_testing", by="petrova")
    fake.transition("SUP-1", "verified", by="petrova")

    with pytest.raises(Conflict):
        transition.execute()
    assert fake.issues["SUP-1"].status == "verifiedNoErrors"


def test_the_refusal_code_is_configurable(clock: ManualClock) -> None:
    """transition_error_status=422 makes the refusal an UnprocessableEntity instead."""
    with FakeTracker(clock=clock, transition_error_status=422) as fake, fake.client() as client:
        issue = client.issues.create(queue="SUP", summary="x")
        stale = issue.transitions["start_progress"]
        fake.transition("SUP-1", "close", resolution="fixed")
        with pytest.raises(UnprocessableEntity):
            stale.execute()
        assert fake.issues["SUP-1"].status == "closed"


def test_closing_needs_a_resolution_and_reopening_clears_it(fake: FakeTracker, client: Any) -> None:
    """A done target without resolution → 422; with it, resolved*; reopen clears them."""
    issue = client.issues.create(queue="SUP", summary="x")
    with pytest.raises(UnprocessableEntity):
        issue.transitions["close"].execute()
    issue.transitions["close"].execute(resolution="fixed", comment="Готово")

    record = fake.issues["SUP-1"]
    assert (record.status, record.resolution, record.resolved_by) == (
        "closed",
        "fixed",
        fake.state.token_user,
    )
    assert [c.text for c in fake.comments["SUP-1"]] == ["Готово"]
    assert fake.changelog["SUP-1"][-1].comments_added == [fake.comments["SUP-1"][0].id]

    client.issues["SUP-1"].transitions["reopen"].execute()
    assert (record.status, record.resolution, record.resolved_at) == ("reopened", None, None)


def test_a_done_type_transition_without_a_resolution_is_a_422_and_changes_nothing(
    fake: FakeTracker, client: Any
) -> None:
    """docs new-transition.md: the closing screen's resolution is required; the fake invents
    none (the default workflow sets no resolution by itself, as a standard one does not)."""
    fake.create_issue("SUP", "x")
    fake.transition("SUP-1", "request_info")
    with pytest.raises(UnprocessableEntity):
        client.issues["SUP-1"].transitions["close_no_response"].execute()
    assert fake.issues["SUP-1"].status == "needInfo"
    client.issues["SUP-1"].transitions["close_no_response"].execute(resolution="fixed")
    record = fake.issues["SUP-1"]
    assert (record.status, record.resolution) == ("closedNoResponse", "fixed")


def test_a_workflow_may_set_the_resolution_itself(fake: FakeTracker) -> None:
    """A transition action that sets the field (workflow editor) stands in for the caller's."""
    flow = catalog.default_workflow()
    own = [
        replace(t, resolution="wontFix") if t.id == "close_no_response" else t
        for t in flow.transitions
    ]
    fake.add_queue("OWN", workflow=replace(flow, id="own", transitions=tuple(own)))
    fake.create_issue("OWN", "x")
    fake.transition("OWN-1", "request_info")
    fake.transition("OWN-1", "close_no_response", comment="Нет ответа 10 рабочих дней")
    assert fake.issues["OWN-1"].resolution == "wontFix"


def test_comments_add_list_with_paging(fake: FakeTracker, client: Any) -> None:
    """Comments: 201 create, ascending list paged by id cursor (perPage), summonees kept."""
    issue = client.issues.create(queue="SUP", summary="x")
    for n in range(7):
        issue.comments.create(text=f"c{n}", summonees=["ivanov"])
    texts = [c.text for c in issue.comments.get_all(perPage=3)]
    assert texts == [f"c{n}" for n in range(7)]
    assert fake.request_count("GET", "/v2/issues/SUP-1/comments") == 3

    stored = fake.comments["SUP-1"][0]
    assert (stored.text, fake.users[stored.summonees[0]].login) == ("c0", "ivanov")


def test_comment_delete_hides_it(fake: FakeTracker, client: Any) -> None:
    """DELETE …/comments/{id} → 204; the list no longer shows it; the record marks it."""
    issue = client.issues.create(queue="SUP", summary="x")
    comment = issue.comments.create(text="oops")
    comment.delete()
    assert list(issue.comments.get_all()) == []
    assert fake.comments["SUP-1"][0].deleted


def test_email_comment_is_stored_as_outgoing_mail(fake: FakeTracker, client: Any) -> None:
    """The undocumented `email` payload makes an outcoming/email comment, kept in the outbox."""
    issue = client.issues.create(queue="SUP", summary="x")
    email = {"subject": "Re: x", "text": "Ответ", "info": {"from": "sup@x", "to": ["c@y"]}}
    created = issue.comments.create(email=email)
    assert (created.type, created.transport) == ("outcoming", "email")
    assert [c.email for c in fake.sent_emails] == [email]


def test_comment_does_not_bump_updated_at_by_default(
    fake: FakeTracker, client: Any, clock: ManualClock
) -> None:
    """comment_bumps_updated=False: lastCommentUpdatedAt moves, updatedAt/version do not."""
    issue = client.issues.create(queue="SUP", summary="x")
    clock.advance(timedelta(minutes=10))
    issue.comments.create(text="hi")
    record = fake.issues["SUP-1"]
    assert (record.updated_at, record.version) == (START, 1)
    assert record.last_comment_updated_at == START + timedelta(minutes=10)
    query = 'Queue: SUP Updated: > "2026-11-26T09:15:00.000+0000"'
    assert list(client.issues.find(query=query)) == []
    assert len(client.issues.find(query='"Last comment": > "2026-11-26 09:15:00"')) == 1


def test_comment_bumps_updated_at_when_switched_on(
    fake: FakeTracker, client: Any, clock: ManualClock
) -> None:
    """comment_bumps_updated=True: a comment moves updatedAt, so `Updated: >=` sees the issue."""
    fake.comment_bumps_updated = True
    issue = client.issues.create(queue="SUP", summary="x")
    clock.advance(timedelta(minutes=10))
    issue.comments.create(text="hi")
    assert fake.issues["SUP-1"].updated_at == START + timedelta(minutes=10)
    query = 'Queue: SUP Updated: > "2026-11-26T09:15:00.000+0000"'
    assert [i.key for i in client.issues.find(query=query)] == ["SUP-1"]


def test_incoming_email_comment_injected_by_the_test(fake: FakeTracker, client: Any) -> None:
    """fake.add_comment(kind="incoming", transport="email") looks like a customer's mail."""
    client.issues.create(queue="SUP", summary="x")
    fake.add_comment(
        "SUP-1", "Проверено, ошибок нет", by="petrova", kind="incoming", transport="email"
    )
    [comment] = list(client.issues["SUP-1"].comments.get_all())
    assert (comment.type, comment.transport, comment.createdBy.login) == (
        "incoming",
        "email",
        "petrova",
    )


def test_changelog_pages_by_id_cursor_and_filters_by_type_and_field(
    fake: FakeTracker, client: Any
) -> None:
    """Changelog is ascending, cursor-paged (id/perPage) and filterable by type and field."""
    issue = client.issues.create(queue="SUP", summary="x")
    for n in range(4):
        issue.update(summary=f"s{n}")
    issue.transitions["start_progress"].execute()

    types = [e.type for e in issue.changelog.get_all(perPage=2)]
    assert types == ["IssueCreated"] + ["IssueUpdated"] * 4 + ["IssueWorkflow"]
    assert fake.request_count("GET", "/v2/issues/SUP-1/changelog") == 3
    workflow = list(issue.changelog.get_all(type="IssueWorkflow"))
    assert [e.type for e in workflow] == ["IssueWorkflow"]
    by_field = list(issue.changelog.get_all(field="status"))
    assert [f["to"].key for f in by_field[0].fields if f["field"].id == "status"] == ["inProgress"]
    assert by_field[0].updatedAt == "2026-11-26T09:15:00.000+0000"
