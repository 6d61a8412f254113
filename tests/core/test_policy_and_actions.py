"""The policy's validation and the actions' idempotency keys (R22: each event once)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tracker_bridge.regulation.actions import (
    AddComment,
    AttachFiles,
    CreateIssue,
    Ignore,
    Link,
    NewIssue,
    Notify,
    Quarantine,
    SetFields,
    TelegramAlert,
    TelegramCard,
    Transition,
    unique_for,
)
from tracker_bridge.regulation.model import Attachment
from tracker_bridge.regulation.policy import Policy, TerminalReply
from tracker_bridge.regulation.statuses import Status


class TestPolicy:
    def test_the_defaults_are_the_regulations_numbers(self) -> None:
        """R10/R17/R19: 72 h to take into work, 14 working days to execute, 10 working days
        of silence with reminders at 3 and 1."""
        policy = Policy()
        assert (policy.high_reaction, policy.normal_execution, policy.silence_days) == (72, 14, 10)
        assert policy.high_execution == 14
        assert policy.silence_reminders == (3, 1)
        assert policy.warn_before == timedelta(hours=1)
        assert policy.reply_to_terminal(Status.CLOSED) is TerminalReply.REOPEN
        assert policy.reply_to_terminal(Status.COMPLETED) is TerminalReply.REJECT

    @pytest.mark.parametrize(
        "bad",
        [
            {"warn_fraction": 1.5},
            {"high_reaction": 0},
            {"high_execution": 0},
            {"normal_execution": 0},
            {"silence_reminders": (10,)},
            {"terminal_reply": {Status.OPEN: TerminalReply.REOPEN}},
        ],
    )
    def test_nonsense_settings_are_refused(self, bad: dict[str, object]) -> None:
        """Config errors: impossible numbers fail at start, not at the first request."""
        with pytest.raises(ValueError):
            Policy(**bad)  # type: ignore[arg-type]


class TestKeys:
    def test_r1_unique_is_stable_and_per_customer(self) -> None:
        """R1: the Tracker ``unique`` depends only on the customer and the Message-ID."""
        assert unique_for("a", "m@x") == unique_for("a", "m@x")
        assert unique_for("a", "m@x") != unique_for("b", "m@x")
        assert unique_for("a", "m@x").startswith("tb-")

    def test_r22_every_action_has_a_distinct_stable_key(self) -> None:
        """R22: keys name the action, the issue and the event — never the time of the pass."""
        new = NewIssue("tb-1")
        file = Attachment("a.txt", "text/plain", b"1")
        actions = [
            CreateIssue("tb-1", "c", "SUP", "s", "d", "r@x", "m@x"),
            AddComment("SUP-1", "t", "m@x"),
            Transition("SUP-1", Status.IN_PROGRESS, "m@x"),
            SetFields("SUP-1", {"deadline": None, "a": "1"}),
            Link(new, "SUP-2"),
            AttachFiles(new, (file,), "m@x"),
            Notify("registered", "r@x", new, "registered"),
            Notify("reply_ignored", "r@x", None, "e"),
            TelegramCard("SUP-1", "c", "fp"),
            TelegramAlert("SUP-1", "c", "breach", "intake:x"),
            Quarantine("m@x", "why"),
            Ignore("m@x", "why"),
        ]
        keys = [a.key for a in actions]
        assert len(set(keys)) == len(keys)
        assert keys[3] == "fields:SUP-1:a=1,deadline=None"
        assert keys[4] == "link:new:tb-1:relates:SUP-2"
        assert keys[7] == "notify:r@x:e"
        assert actions[0].ref == new  # type: ignore[union-attr]
        assert file.size == 1
