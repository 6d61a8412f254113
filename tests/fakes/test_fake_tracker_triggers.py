"""FakeTracker's triggers, via the real client and a real HTTP receiver on loopback: stored as
docs concepts/queues/create-trigger.md, get-trigger.md, change-trigger.md describe them, and run
on issue events as docs user/trigger.md and user/set-action.md ("HTTP request") say."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest
from yandex_tracker_client.exceptions import PreconditionFailed, UnprocessableEntity

from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.fake_tracker.triggers import HIDDEN
from tracker_bridge.testing.http import ThreadedServer
from tracker_bridge.testing.waiting import eventually_blocking

EVERY_EVENT = [
    {
        "type": "Or",
        "conditions": [
            {"type": "Event.create"},
            {"type": "Event.update"},
            {"type": "Event.comment-create"},
        ],
    }
]


class Receiver(BaseHTTPRequestHandler):
    """Records every request it gets; answers 202."""

    got: ClassVar[list[dict[str, Any]]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.lock:
            self.got.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.got = []
    with ThreadedServer(Receiver) as server:
        yield server.url


def _hook(url: str, **auth: Any) -> dict[str, Any]:
    return {
        "type": "Webhook",
        "endpoint": url + "/hook/{{issue.key}}",
        "method": "POST",
        "contentType": "application/json",
        "headers": {"X-Queue": "{{issue.queue}}"},
        "authContext": auth or {"type": "noauth"},
        "body": '{"issue": "{{issue.key}}", "status": "{{issue.status}}"}',
    }


def _wait_calls(fake: FakeTracker, count: int, limit: float = 5.0) -> None:
    eventually_blocking(lambda: len(fake.trigger_calls) >= count, limit, f"{count} calls")
    time.sleep(0.3)  # and no more than that


def test_a_trigger_is_created_listed_read_and_updated_with_its_version(
    fake: FakeTracker, client: Any, receiver: str
) -> None:
    """POST answers the trigger with id and version 1; PATCH needs ``?version=`` and bumps it;
    a stale version is refused (the issues' 409/412 switch)."""
    body = {"name": "hook", "actions": [_hook(receiver)], "conditions": EVERY_EVENT}
    created = client._connection.post(path="/v2/queues/SUP/triggers", data=body)
    assert (created["name"], created["version"], created["active"]) == ("hook", 1, True)
    assert created["queue"].key == "SUP"
    assert created["actions"][0]["id"] == 1
    listed = client._connection.get(path="/v2/queues/SUP/triggers")
    assert [t["id"] for t in listed] == [created["id"]]
    path = f"/v2/queues/SUP/triggers/{created['id']}"
    updated = client._connection.patch(path=path, data={"active": False}, params={"version": 1})
    assert (updated["version"], updated["active"]) == (2, False)
    with pytest.raises(PreconditionFailed):
        client._connection.patch(path=path, data={"active": True}, params={"version": 1})
    assert client._connection.get(path=path)["active"] is False


def test_the_auth_token_is_hidden_on_read_back_unless_switched(
    fake: FakeTracker, client: Any, receiver: str
) -> None:
    """Docs: saved secret values are hidden; whether an authContext token is, is not said —
    hidden by default, ``trigger_secrets_readable`` offers the other candidate."""
    action = _hook(receiver, type="oauth", headerName="Authorization", tokenType="Bearer",
                   accessToken="s3cret")  # fmt: skip
    created = client._connection.post(
        path="/v2/queues/SUP/triggers", data={"name": "hook", "actions": [action]}
    )
    assert created["actions"][0]["authContext"]["accessToken"] == HIDDEN
    fake.settings.trigger_secrets_readable = True
    shown = client._connection.get(path=f"/v2/queues/SUP/triggers/{created['id']}")
    assert shown["actions"][0]["authContext"]["accessToken"] == "s3cret"


@pytest.mark.parametrize(
    "body",
    [
        {"actions": [{"type": "Webhook", "endpoint": "http://x", "method": "POST"}]},
        {"name": "no actions", "actions": []},
        {"name": "bad url", "actions": [{"type": "Webhook", "endpoint": "x", "method": "POST"}]},
        {
            "name": "bad method",
            "actions": [{"type": "Webhook", "endpoint": "http://x", "method": "PATCH"}],
        },
        {
            "name": "unknown condition",
            "actions": [{"type": "Webhook", "endpoint": "http://x", "method": "POST"}],
            "conditions": [{"type": "CommentMessageExternal"}],
        },
    ],
)
def test_a_trigger_the_docs_or_the_fake_cannot_take_is_refused(client: Any, body: Any) -> None:
    with pytest.raises(UnprocessableEntity):
        client._connection.post(path="/v2/queues/SUP/triggers", data=body)


def test_every_issue_event_sends_the_request_with_the_body_filled_and_the_auth(
    fake: FakeTracker, receiver: str
) -> None:
    """Create, update, transition and comment each fire the trigger once; the URL, headers and
    body carry the issue's values; OAuth auth is sent as ``<header>: <type> <token>``."""
    action = _hook(receiver, type="oauth", headerName="Authorization", tokenType="Bearer",
                   accessToken="tok")  # fmt: skip
    fake.add_trigger("SUP", "hook", [action], EVERY_EVENT)
    issue = fake.create_issue("SUP", "Печать")
    fake.update_issue(issue.key, tags=["x"])
    fake.transition(issue.key, "start_progress")
    fake.add_comment(issue.key, "Вопрос")
    _wait_calls(fake, 4)
    events = [c.event for c in fake.trigger_calls]
    assert events == ["Event.create", "Event.update", "Event.update", "Event.comment-create"]
    assert all(c.status == 202 and c.sent_after >= 0.02 for c in fake.trigger_calls)
    got = Receiver.got[-1]
    assert got["path"] == f"/hook/{issue.key}"
    assert got["headers"]["Authorization"] == "Bearer tok"
    assert got["headers"]["X-Queue"] == "SUP"
    assert json.loads(got["body"]) == {"issue": issue.key, "status": "inProgress"}


def test_basic_auth_is_sent_as_rfc_2617(fake: FakeTracker, receiver: str) -> None:
    fake.add_trigger("SUP", "hook", [_hook(receiver, type="basic", login="u", password="p")])
    fake.create_issue("SUP", "x")
    _wait_calls(fake, 1)
    assert (
        Receiver.got[0]["headers"]["Authorization"] == "Basic " + base64.b64encode(b"u:p").decode()
    )


def test_conditions_decide_which_events_fire(fake: FakeTracker, receiver: str) -> None:
    """A trigger on "status became inProgress" fires for that transition only; an inactive
    trigger never fires; a top-level condition list means all of them."""
    became = [{"type": "FieldBecameEqual", "field": "status", "value": "inProgress"}]
    fake.add_trigger("SUP", "on progress", [_hook(receiver)], became)
    off = fake.add_trigger("SUP", "off", [_hook(receiver)], EVERY_EVENT)
    off.active = False
    both = [{"type": "Event.update"}, {"type": "Event.create"}]  # never both at once
    fake.add_trigger("SUP", "impossible", [_hook(receiver)], both)
    issue = fake.create_issue("SUP", "x")
    fake.add_comment(issue.key, "c")
    fake.transition(issue.key, "start_progress")
    fake.transition(issue.key, "request_info", comment="?")
    _wait_calls(fake, 1)
    assert [(c.trigger, c.event) for c in fake.trigger_calls] == [
        (fake.triggers("SUP")[0].id, "Event.update")
    ]


def test_a_trigger_of_another_queue_does_not_fire(fake: FakeTracker, receiver: str) -> None:
    fake.add_queue("OPS")
    fake.add_trigger("OPS", "hook", [_hook(receiver)], EVERY_EVENT)
    fake.create_issue("SUP", "x")
    time.sleep(0.3)
    assert fake.trigger_calls == []


def test_lost_calls_are_recorded_and_never_sent(fake: FakeTracker, receiver: str) -> None:
    """``lose_next_trigger_calls`` for one certain loss; ``trigger_loss`` for a share."""
    fake.add_trigger("SUP", "hook", [_hook(receiver)], EVERY_EVENT)
    fake.lose_next_trigger_calls(1)
    issue = fake.create_issue("SUP", "x")
    fake.update_issue(issue.key, tags=["y"])
    _wait_calls(fake, 2)
    assert sorted(c.lost for c in fake.trigger_calls) == [False, True]  # delays differ
    assert len(Receiver.got) == 1
    fake.trigger_loss = 1.0
    fake.update_issue(issue.key, tags=["z"])
    _wait_calls(fake, 3)
    assert fake.trigger_calls[-1].lost
    assert len(Receiver.got) == 1


def test_calls_come_after_the_configured_delay(receiver: str) -> None:
    with FakeTracker(trigger_delay=(0.3, 0.3)) as fake:
        fake.add_trigger("SUP", "hook", [_hook(receiver)], EVERY_EVENT)
        fake.create_issue("SUP", "x")
        _wait_calls(fake, 1)
        assert fake.trigger_calls[0].sent_after >= 0.3


def test_an_unreachable_receiver_is_recorded_not_retried(fake: FakeTracker) -> None:
    fake.add_trigger("SUP", "hook", [_hook("http://127.0.0.1:9")], EVERY_EVENT)
    fake.create_issue("SUP", "x")
    _wait_calls(fake, 1)
    call = fake.trigger_calls[0]
    assert (call.status, call.lost) == (None, False)
    assert call.error
