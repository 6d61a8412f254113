"""``FakeTracker``: a Yandex Tracker that the unmodified ``yandex-tracker-client`` can talk to.

    with FakeTracker(clock=ManualClock(start)) as fake:
        client = TrackerClient(token=fake.token, org_id=fake.org_id, base_url=fake.url, retries=0)
        fake.fail_next("POST /v2/issues", status=503, times=2)

Behaviour follows ../shared/TRACKER-API.md §2–§5 and §8; each route's docstring names its doc
page. Tests assert on the records (``fake.issues``, ``fake.comments``, …) rather than on calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, tzinfo
from typing import Any

from yandex_tracker_client import TrackerClient
from yandex_tracker_client.connection import Connection

from tracker_bridge.foundation.clock import SystemClock
from tracker_bridge.testing.fake_tracker import catalog
from tracker_bridge.testing.fake_tracker.catalog import FieldDef, StatusDef, Workflow
from tracker_bridge.testing.fake_tracker.faults import FaultPlan, normalize_path
from tracker_bridge.testing.fake_tracker.issue_ops import create_issue, update_issue
from tracker_bridge.testing.fake_tracker.records import (
    AttachmentRecord,
    ChangelogRecord,
    CommentRecord,
    IssueRecord,
    LinkRecord,
    QueueRecord,
    UserRecord,
)
from tracker_bridge.testing.fake_tracker.server import Credentials, close_connections, handler_for
from tracker_bridge.testing.fake_tracker.state import NowClock, Settings, TrackerState
from tracker_bridge.testing.fake_tracker.switches import apply_profile
from tracker_bridge.testing.fake_tracker.triggers import TriggerCall, TriggerRecord, TriggerRunner
from tracker_bridge.testing.fake_tracker.workflow_ops import add_comment, execute_transition
from tracker_bridge.testing.http import Lifecycle, ThreadedServer

__all__ = ["FakeTracker"]


class FakeTracker(Lifecycle):
    """A fake Tracker on ``127.0.0.1:<free port>``, served from its own thread."""

    def __init__(
        self,
        clock: NowClock | None = None,
        *,
        token: str = "fake-oauth-token",  # noqa: S107  (a test token)
        org_id: str = "7000001",
        iam_token: str = "fake-iam-token",  # noqa: S107  (a test token)
        cloud_org_id: str = "bpf-fake-cloud-org",
        comment_bumps_updated: bool = False,
        version_conflict_status: int = 412,
        transition_error_status: int = 409,
        query_tz: tzinfo = UTC,
        trigger_delay: tuple[float, float] = (0.02, 0.15),
        trigger_loss: float = 0.0,
        trigger_secrets_readable: bool = False,
        **switches: Any,
    ) -> None:
        """``trigger_delay`` (real seconds, uniform) and ``trigger_loss`` (the share of trigger
        calls lost) are switches for what Tracker's docs leave open (triggers.py);
        ``switches``: any other behaviour the docs leave open, by its :class:`Settings` name
        (``marker_rendering="strip"``, …; :mod:`.switches` lists them all)."""
        settings = Settings(
            comment_bumps_updated=comment_bumps_updated,
            version_conflict_status=version_conflict_status,
            transition_error_status=transition_error_status,
            query_tz=query_tz,
            trigger_secrets_readable=trigger_secrets_readable,
        )
        apply_profile(settings, switches)
        self.state = TrackerState(clock=clock or SystemClock(), settings=settings)
        self.trigger_runner = TriggerRunner(self.state, delay=trigger_delay, loss=trigger_loss)
        self.state.listeners.append(self.trigger_runner.on_change)
        self.token, self.org_id = token, org_id
        self.iam_token, self.cloud_org_id = iam_token, cloud_org_id
        self._faults = FaultPlan()
        self._credentials = Credentials(token, iam_token, org_id, cloud_org_id)
        self._handler = handler_for(self.state, self._faults, self._credentials)
        self._server = ThreadedServer(self._handler)
        self.url = self._server.url
        self.state.base_url = self.url
        self.add_queue("SUP", "Поддержка", local_fields=catalog.DEFAULT_LOCAL_FIELDS)

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        self._server.start()
        self.trigger_runner.start()

    def stop(self) -> None:
        self.trigger_runner.stop()
        close_connections(self._handler)
        self._server.stop()

    @contextmanager
    def client(self, **options: Any) -> Iterator[Any]:
        """A real ``TrackerClient`` pointed at this fake (``retries=0`` unless overridden); its
        HTTP session is closed on exit so no socket outlives the test."""
        settings: dict[str, Any] = {
            "token": self.token,
            "org_id": self.org_id,
            "base_url": self.url,
            "retries": 0,
            **options,
        }
        connection = Connection(**settings)
        try:
            yield TrackerClient(connection=connection)
        finally:
            connection.session.close()

    # --- the record ---------------------------------------------------------------------------
    @property
    def lock(self) -> Any:
        return self.state.lock

    @property
    def issues(self) -> dict[str, IssueRecord]:
        return self.state.issues

    @property
    def comments(self) -> dict[str, list[CommentRecord]]:
        """Issue key → its comments in order (deleted ones stay, with ``deleted=True``)."""
        return self.state.comments

    @property
    def changelog(self) -> dict[str, list[ChangelogRecord]]:
        return self.state.changelog

    @property
    def links(self) -> dict[int, LinkRecord]:
        return self.state.links

    @property
    def attachments(self) -> dict[str, AttachmentRecord]:
        return self.state.attachments

    @property
    def users(self) -> dict[str, UserRecord]:
        return self.state.users

    @property
    def queues(self) -> dict[str, QueueRecord]:
        return self.state.queues

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request as (method, path without query or trailing slash, v3 read as v2)."""
        return self.state.requests

    @property
    def sent(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """Every request as sent: (method, path as given — ``/v3`` kept — without a trailing
        slash, the query parameter names with repeats)."""
        return self.state.sent

    @property
    def peak_in_flight(self) -> int:
        """The most requests the fake served at the same moment (since the last reset)."""
        return self.state.peak_in_flight

    def reset_peak_in_flight(self) -> None:
        """Start counting :attr:`peak_in_flight` afresh (to look at one phase of a test)."""
        with self.lock:
            self.state.peak_in_flight = self.state.in_flight

    def request_count(self, method: str, path: str) -> int:
        wanted = (method.upper(), normalize_path(path))
        with self.lock:
            return sum(1 for r in self.state.requests if r == wanted)

    @property
    def sent_emails(self) -> list[CommentRecord]:
        """Comments posted with the ``email`` object (the "outbox", TRACKER-API.md §8.5)."""
        with self.lock:
            return [c for cs in self.comments.values() for c in cs if c.email is not None]

    @property
    def comment_bumps_updated(self) -> bool:
        return self.state.settings.comment_bumps_updated

    @comment_bumps_updated.setter
    def comment_bumps_updated(self, value: bool) -> None:
        self.state.settings.comment_bumps_updated = value

    @property
    def settings(self) -> Settings:
        return self.state.settings

    def configure(self, **switches: Any) -> None:
        """Move switches (:mod:`.switches`) on a running fake."""
        with self.lock:
            apply_profile(self.state.settings, switches)

    # --- configuration ------------------------------------------------------------------------
    def add_queue(
        self,
        key: str,
        name: str | None = None,
        *,
        workflow: Workflow | None = None,
        local_fields: Sequence[FieldDef] = (),
        statuses: Sequence[StatusDef] = (),
    ) -> QueueRecord:
        """A new queue; by default with the regulation's workflow and no local fields."""
        with self.lock:
            return self.state.add_queue(
                key,
                name or key,
                workflow or catalog.default_workflow(),
                tuple(local_fields),
                tuple(statuses),
            )

    def add_user(
        self, login: str, first_name: str = "", last_name: str = "", email: str = ""
    ) -> UserRecord:
        with self.lock:
            uid = 1120000000000001 + len(self.state.users)
            return self.state.add_user(login, first_name, last_name, email, uid=uid)

    # --- changes made "by someone else" (a human in the UI, mail, a trigger) -------------------
    def _uid(self, by: str | None) -> str:
        return self.state.token_user if by is None else self.state.user(by).uid

    def create_issue(
        self, queue: str = "SUP", summary: str = "", by: str | None = None, **fields: Any
    ) -> IssueRecord:
        with self.lock:
            body = {"queue": queue, "summary": summary, **fields}
            return create_issue(self.state, body, self._uid(by))

    def update_issue(self, key: str, by: str | None = None, **fields: Any) -> IssueRecord:
        with self.lock:
            return update_issue(self.state, self.state.issue(key), fields, self._uid(by))

    def transition(
        self, key: str, transition_id: str, by: str | None = None, **body: Any
    ) -> IssueRecord:
        """Execute a workflow transition (``comment=``, ``resolution=``, fields) as ``by``."""
        with self.lock:
            issue = self.state.issue(key)
            execute_transition(self.state, issue, transition_id, body, self._uid(by))
            return issue

    def add_comment(
        self,
        key: str,
        text: str,
        by: str | None = None,
        *,
        kind: str = "standard",
        transport: str = "internal",
        **body: Any,
    ) -> CommentRecord:
        """A comment by ``by``; ``kind="incoming", transport="email"`` is a customer's mail."""
        with self.lock:
            issue = self.state.issue(key)
            payload = {"text": text, **body}
            uid = self._uid(by)
            return add_comment(self.state, issue, payload, uid, kind=kind, transport=transport)

    # --- triggers (docs user/trigger.md; run by triggers.py) ---------------------------------
    def add_trigger(
        self,
        queue: str,
        name: str,
        actions: Sequence[dict[str, Any]],
        conditions: Sequence[dict[str, Any]] = (),
    ) -> TriggerRecord:
        """A trigger made "in the UI" (the API's POST …/triggers does the same)."""
        with self.lock:
            book = self.state.triggers.setdefault(self.state.queue(queue).key, [])
            record = TriggerRecord(
                self.state.next_id(), queue, name, list(actions), list(conditions)
            )
            book.append(record)
            return record

    def triggers(self, queue: str) -> list[TriggerRecord]:
        with self.lock:
            return list(self.state.triggers.get(queue, []))

    @property
    def trigger_calls(self) -> list[TriggerCall]:
        """Every HTTP request the triggers made (or lost), in the order they were made."""
        with self.lock:
            return list(self.trigger_runner.calls)

    def lose_next_trigger_calls(self, times: int = 1) -> None:
        """The next ``times`` trigger calls are lost on the way."""
        self.trigger_runner.lose_next(times)

    @property
    def trigger_loss(self) -> float:
        return self.trigger_runner.loss

    @trigger_loss.setter
    def trigger_loss(self, share: float) -> None:
        self.trigger_runner.loss = share

    # --- fault knobs --------------------------------------------------------------------------
    def fail_next(
        self, route: str, status: int = 500, times: int = 1, retry_after: int | None = None
    ) -> None:
        """The next ``times`` requests to ``route`` get ``status`` and change nothing; a 429 gets
        ``Retry-After`` (default 1 s)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults.arm("fail", route, times, status=status, retry_after=retry_after)

    def rate_limit_next(self, route: str, times: int = 1, retry_after: int = 1) -> None:
        self.fail_next(route, status=429, times=times, retry_after=retry_after)

    def drop_next(self, route: str, times: int = 1) -> None:
        """Close the connection without answering (the change is not made)."""
        self._faults.arm("drop", route, times)

    def hang_next(self, route: str, seconds: float, times: int = 1) -> None:
        """Wait ``seconds`` of real time, then close the connection without answering and
        without making the change (past the client's timeout: an outcome it cannot know)."""
        self._faults.arm("hang", route, times, seconds=seconds)

    def delay_next(self, route: str, seconds: float, times: int = 1) -> None:
        """Wait ``seconds`` of real time, then answer normally."""
        self._faults.arm("delay", route, times, seconds=seconds)

    def apply_then_fail(self, route: str, status: int = 500, times: int = 1) -> None:
        """Make the change, then answer ``status`` as if it had failed."""
        self._faults.arm("apply_then_fail", route, times, status=status)

    def invalid_json_next(self, route: str, times: int = 1) -> None:
        """Answer 200 with an HTML page, as a misbehaving proxy would."""
        self._faults.arm("invalid_json", route, times)

    def rotate_token(self, token: str | None = None, iam_token: str | None = None) -> None:
        """The organisation's admin revoked the token and issued ``token`` (or ``iam_token``):
        from now on the old one gets 401 "token is not valid" (docs concepts/access.md)."""
        if token is not None:
            self.token = self._credentials.token = token
        if iam_token is not None:
            self.iam_token = self._credentials.iam_token = iam_token

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def pending_faults(self) -> int:
        return self._faults.pending
