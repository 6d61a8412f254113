"""FakeTracker conformance: issues, fields, dictionaries and auth, driven by the real client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from yandex_tracker_client.exceptions import (
    Forbidden,
    NotFound,
    PreconditionFailed,
    TrackerServerError,
    UnprocessableEntity,
)

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.regulation.statuses import DEFAULT_TRACKER_KEYS, Status
from tracker_bridge.testing.fake_tracker import FakeTracker

START = datetime(2026, 11, 26, 9, 15, tzinfo=UTC)


def test_create_returns_the_issue_in_the_initial_status_with_key_sup_1(
    fake: FakeTracker, client: Any
) -> None:
    """POST /v2/issues creates SUP-1 in "open", version 1, authored by the token's user."""
    issue = client.issues.create(queue="SUP", summary="Не печатается выписка", priority="critical")

    assert (issue.key, issue.status.key, issue.version) == ("SUP-1", "open", 1)
    assert issue.priority.key == "critical"
    assert issue.createdBy.id == fake.state.token_user
    assert fake.issues["SUP-1"].summary == "Не печатается выписка"
    assert fake.issues["SUP-1"].priority == "critical"


def test_keys_are_sequential_per_queue(fake: FakeTracker, client: Any) -> None:
    """Keys are deterministic: SUP-1, SUP-2, and CLN-1 in another queue."""
    fake.add_queue("CLN", "Клиника")
    keys = [client.issues.create(queue=q, summary="x").key for q in ("SUP", "SUP", "CLN")]
    assert keys == ["SUP-1", "SUP-2", "CLN-1"]


def test_timestamps_come_from_the_clock_in_tracker_format(
    fake: FakeTracker, client: Any, clock: ManualClock
) -> None:
    """createdAt/updatedAt use the injected clock, as "YYYY-MM-DDThh:mm:ss.sss+0000"."""
    issue = client.issues.create(queue="SUP", summary="x")
    clock.advance(timedelta(minutes=5, milliseconds=250))
    issue.update(summary="y")

    assert issue.createdAt == "2026-11-26T09:15:00.000+0000"
    assert issue.updatedAt == "2026-11-26T09:20:00.250+0000"
    assert fake.issues["SUP-1"].updated_at == START + timedelta(minutes=5, milliseconds=250)


def test_repeated_unique_answers_409_and_the_client_finds_the_existing_issue(
    fake: FakeTracker, client: Any
) -> None:
    """A repeated `unique` gives 409 (nothing created); the client's _findByUnique returns it."""
    first = client.issues.create(queue="SUP", summary="mail 1", unique="msg-1@example.org")
    again = client.issues.create(queue="SUP", summary="mail 1 again", unique="msg-1@example.org")

    assert again.key == first.key == "SUP-1"
    assert list(fake.issues) == ["SUP-1"]
    assert fake.request_count("POST", "/v2/issues/_findByUnique") == 1


def test_raw_repeated_unique_is_a_409_with_tracker_error_body(fake: FakeTracker) -> None:
    """Without the client's fallback the second create is a plain 409 in Tracker's error body."""
    headers = {"Authorization": f"OAuth {fake.token}", "X-Org-ID": fake.org_id}
    body = {"queue": "SUP", "summary": "x", "unique": "u-1"}
    with requests.Session() as http:
        assert http.post(f"{fake.url}/v2/issues/", json=body, headers=headers).status_code == 201
        second = http.post(f"{fake.url}/v2/issues", json=body, headers=headers)
    assert second.status_code == 409
    assert set(second.json()) >= {"errors", "errorMessages", "statusCode"}
    assert second.json()["errors"] == {}


def test_get_by_key_and_by_id_and_404_for_unknown(fake: FakeTracker, client: Any) -> None:
    """GET /v2/issues/{key|id}; an unknown key raises NotFound "Issue does not exist."."""
    created = client.issues.create(queue="SUP", summary="x")
    assert client.issues[created.id].key == "SUP-1"
    assert client.issues["SUP-1"].summary == "x"
    with pytest.raises(NotFound, match="Issue does not exist"):
        client.issues["SUP-99"]


def test_update_with_current_version_bumps_version_and_logs_the_diff(
    fake: FakeTracker, client: Any
) -> None:
    """PATCH with If-Match: "<version>" applies, increments version, writes IssueUpdated."""
    issue = client.issues.create(queue="SUP", summary="old")
    issue.update(summary="new", tags=["vip"], assignee="ivanov")

    record = fake.issues["SUP-1"]
    assert (issue.version, record.version, record.summary, record.tags) == (2, 2, "new", ["vip"])
    assert fake.users[record.assignee or ""].login == "ivanov"
    entry = fake.changelog["SUP-1"][-1]
    assert entry.type == "IssueUpdated"
    assert {c.field for c in entry.fields} == {"summary", "tags", "assignee"}


def test_update_with_a_stale_version_is_412_and_changes_nothing(
    fake: FakeTracker, client: Any
) -> None:
    """A stale If-Match version → PreconditionFailed; the issue keeps the other edit."""
    stale = client.issues.create(queue="SUP", summary="x")
    fake.update_issue("SUP-1", by="petrova", summary="edited by a human")

    with pytest.raises(PreconditionFailed):
        stale.update(summary="from the daemon")
    assert fake.issues["SUP-1"].summary == "edited by a human"
    assert fake.issues["SUP-1"].version == 2


def test_update_ignoring_version_applies_over_a_newer_version(
    fake: FakeTracker, client: Any
) -> None:
    """ignore_version_change=True sends no If-Match, so the edit applies anyway."""
    stale = client.issues.create(queue="SUP", summary="x")
    fake.update_issue("SUP-1", summary="human")
    stale.update(deadline="2026-12-10", ignore_version_change=True)
    assert fake.issues["SUP-1"].deadline == "2026-12-10"


def test_status_cannot_be_patched_and_unknown_fields_are_rejected(
    fake: FakeTracker, client: Any
) -> None:
    """PATCH status → 422 (only via transitions); an unknown field → 422; nothing changes."""
    issue = client.issues.create(queue="SUP", summary="x")
    with pytest.raises(UnprocessableEntity):
        issue.update(status="closed")
    with pytest.raises(UnprocessableEntity):
        issue.update(summary="y", noSuchField=1)
    assert fake.issues["SUP-1"].summary == "x"
    assert fake.issues["SUP-1"].status == "open"


def test_array_fields_take_add_and_remove_operations(fake: FakeTracker, client: Any) -> None:
    """{"add": …} and {"remove": …} edit array fields in place (docs patch-issue.md)."""
    issue = client.issues.create(queue="SUP", summary="x", tags=["a", "b"])
    issue.update(tags={"add": ["c"], "remove": ["a"]})
    assert fake.issues["SUP-1"].tags == ["b", "c"]


def test_local_fields_are_written_by_key_and_read_back_as_queue_prefixed_ids(
    fake: FakeTracker, client: Any
) -> None:
    """Local fields are stored by key and served as "<queue hex>--<key>" (client exposes both)."""
    issue = client.issues.create(
        queue="SUP",
        summary="x",
        department="Хирургия",
        cardNumber="12345",
        requesterEmail="doctor@clinic.example",
    )
    hex_id = fake.queues["SUP"].hex_id
    assert issue.as_dict()[f"{hex_id}--cardNumber"] == "12345"
    assert issue.department == "Хирургия"
    assert fake.issues["SUP-1"].local == {
        "department": "Хирургия",
        "cardNumber": "12345",
        "requesterEmail": "doctor@clinic.example",
    }
    local_ids = {f.id for f in client.queues["SUP"].local_fields}
    assert f"{hex_id}--customerPriority" in local_ids


def test_fields_list_every_standard_field_so_absent_values_read_as_none(client: Any) -> None:
    """GET /v2/fields/ has every standard field with schema.type; absent ones read None/[]."""
    issue = client.issues.create(queue="SUP", summary="x")
    assert (issue.resolution, issue.assignee, issue.deadline, issue.parent) == (None,) * 4
    assert (issue.followers, issue.tags, issue.emailTo) == ([], [], [])
    fields = {f.id: f.schema["type"] for f in client.fields.get_all()}
    assert fields["followers"] == "array"
    assert fields["deadline"] == "date"


def test_default_queue_has_every_regulation_status_with_russian_names(client: Any) -> None:
    """/v2/statuses lists all 14 R13 statuses under DEFAULT_TRACKER_KEYS with Status.title_ru."""
    names = {s.key: s.name for s in client.statuses.get_all()}
    assert names == {DEFAULT_TRACKER_KEYS[s]: s.title_ru for s in Status}
    assert client.issues.create(queue="SUP", summary="x").status.name == "Открыто"


def test_priorities_resolutions_and_issue_types_are_served(client: Any) -> None:
    """The dictionaries the daemon reads exist with the documented keys."""
    assert [p.key for p in client.priorities.get_all()] == [
        "trivial",
        "minor",
        "normal",
        "critical",
        "blocker",
    ]
    resolutions = {r.key for r in client.resolutions.get_all()}
    assert {"fixed", "duplicate", "wontFix", "infeasible", "noResponse"} <= resolutions
    assert {t.key for t in client.issue_types.get_all()} >= {"task", "bug", "improvement"}
    assert client.priorities["critical"].name == "Критичный"


def test_queue_and_its_workflow_describe_statuses_and_transitions(
    fake: FakeTracker, client: Any
) -> None:
    """GET /v2/queues/SUP, then the workflow pages where the docs put them: /v3/queues/SUP/
    workflows and /v3/workflows/{id} (api/queues/workflows/*.md); under /v2 they are 404s."""
    queue = client.queues.get("SUP")
    assert (queue.key, queue.defaultPriority.key, queue.lead.login) == (
        "SUP",
        "normal",
        "robot-tracker-bridge",
    )
    with pytest.raises(NotFound):
        client.workflows.get_all()
    with fake.client(api_version="v3") as v3:
        workflow_id = next(iter(v3._connection.get(path="/v3/queues/SUP/workflows")))
        workflow = v3.workflows[workflow_id]
        steps = workflow.steps
    graph = {s["status"].key: {a["id"] for a in s["actions"]} for s in steps}
    assert graph["awaitingTesting"] >= {"verified", "error_found", "close_no_response"}
    assert graph["closed"] == {"reopen"}
    screens = {a["id"]: a["screen"] for s in steps for a in s["actions"]}
    required = [e["field"]["id"] for e in screens["close_no_response"]["elements"]]
    assert required == ["resolution"]  # a done-type target: its screen asks for a resolution
    assert screens["start_progress"]["elements"] == []


def test_myself_and_users_by_uid_and_login(fake: FakeTracker, client: Any) -> None:
    """/v2/myself is the token's user; /v2/users/{uid|login} resolve; lazy refs dereference."""
    fake.add_user("sidorov", "Пётр", "Сидоров")
    assert client.myself.login == "robot-tracker-bridge"
    assert client.users["sidorov"].display == "Пётр Сидоров"
    issue = client.issues.create(queue="SUP", summary="x", author="ivanov")
    assert issue.createdBy.login == "ivanov"


def test_wrong_token_is_401_and_wrong_org_is_403(fake: FakeTracker) -> None:
    """Bad OAuth token → 401 (TrackerServerError); wrong X-Org-ID → Forbidden; nothing created."""
    with fake.client(token="wrong") as bad_token, pytest.raises(TrackerServerError) as error:
        bad_token.issues.create(queue="SUP", summary="x")
    assert error.value.status_code == 401
    with fake.client(org_id="999") as bad_org, pytest.raises(Forbidden):
        bad_org.myself  # noqa: B018  (the access is the request)
    assert fake.issues == {}


def test_iam_token_with_cloud_org_is_accepted(fake: FakeTracker) -> None:
    """Bearer <iam token> + X-Cloud-Org-ID works although X-Org-Id says "not provided"."""
    with fake.client(
        token=None, org_id=None, iam_token=fake.iam_token, cloud_org_id=fake.cloud_org_id
    ) as iam:
        assert iam.myself.login == "robot-tracker-bridge"


def test_paths_work_with_and_without_trailing_slash_and_under_v3(fake: FakeTracker) -> None:
    """Collection paths answer with or without "/" at the end, and /v3 like /v2."""
    headers = {"Authorization": f"OAuth {fake.token}", "X-Org-ID": fake.org_id}
    with requests.Session() as http:
        codes = {
            http.get(f"{fake.url}{path}", headers=headers).status_code
            for path in ("/v2/statuses", "/v2/statuses/", "/v3/statuses/1", "/v2/fields")
        }
        missing = http.get(f"{fake.url}/v2/boards", headers=headers)
    assert codes == {200}
    assert missing.status_code == 404
    assert missing.json()["statusCode"] == 404


def test_self_links_point_at_the_fake(fake: FakeTracker, client: Any) -> None:
    """Every `self` is an absolute URL on the fake's host."""
    issue = client.issues.create(queue="SUP", summary="x")
    raw = issue.as_dict()
    assert raw["self"] == f"{fake.url}/v2/issues/SUP-1"
    assert raw["status"]["self"].startswith(fake.url)
    assert raw["queue"]["self"] == f"{fake.url}/v2/queues/SUP"
