"""``tracker-bridge replay FILE.eml --dry-run``: the decision and its actions, nothing done."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.commands.world import DOCTOR, email, msk, run_cli, write_config
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

NOW = "2026-03-04T11:00+03:00"


def dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        lines = list(db.iterdump())
    db.close()
    return lines


def tracker_state(tracker: FakeTracker) -> tuple[object, ...]:
    with tracker.lock:
        return (
            {k: (i.status, i.version) for k, i in tracker.issues.items()},
            {k: len(c) for k, c in tracker.comments.items()},
            len(tracker.links),
        )


def test_replay_of_a_confirmation_shows_r15_and_changes_nothing(tmp_path: Path) -> None:
    """R15: a reply "проверено" to an issue awaiting testing would verify it; nothing is done."""
    clock = ManualClock(msk("2026-03-02 11:00"))
    with FakeTracker(clock=clock) as tracker, SmtpCapture() as smtp:
        issue = tracker.create_issue("SUP", "Не печатается рецепт")
        tracker.transition(issue.key, "start_progress")
        tracker.transition(issue.key, "send_to_testing")
        config = write_config(tmp_path, tracker, smtp)
        ours = "tb-testing-1@support.example"  # our "awaiting testing" mail, in the thread map
        with SqliteStore(tmp_path / "state.sqlite3") as store:
            store.track(issue.key, "clinic-one", DOCTOR, msk("2026-03-02 11:00"))
            store.remember_outgoing(ours, issue.key, msk("2026-03-02 11:00"))
        _, raw = email(
            subject=f"Re: [{issue.key}] Не печатается рецепт", body="Проверено, ошибок нет.",
            in_reply_to=f"<{ours}>",
        )  # fmt: skip
        # issue 17: a confirmation counts in the request's thread, with the receiving server's
        # DKIM/SPF pass for the sender's domain
        passed = (
            b"Authentication-Results: mx.support.example; dkim=pass header.d=clinic1.example;"
            b" spf=pass smtp.mailfrom=doctor@clinic1.example\r\n"
        )
        (tmp_path / "reply.eml").write_bytes(passed + raw)
        (tmp_path / "spoofed.eml").write_bytes(raw)
        before_store, before_tracker = dump(tmp_path / "state.sqlite3"), tracker_state(tracker)
        result = run_cli(
            "replay",
            str(tmp_path / "reply.eml"),
            "--dry-run",
            "--config",
            str(config),
            "--now",
            NOW,
        )
        spoofed = run_cli(
            "replay", str(tmp_path / "spoofed.eml"), "--dry-run", "--config", str(config),
            "--now", NOW,
        )  # fmt: skip
        assert (dump(tmp_path / "state.sqlite3"), tracker_state(tracker)) == (
            before_store,
            before_tracker,
        )
    assert result.code == 0, result.err
    assert f"Customer (R2): clinic-one   Replies to: {issue.key} (awaiting_testing)" in result.out
    assert "Decision: R15 — the customer confirmed the change" in result.out
    assert (
        f"  1. AddComment\n     issue: {issue.key}\n     text: Проверено, ошибок нет.\n"
        in result.out
    )
    assert f"  2. Transition\n     issue: {issue.key}\n     to: verified\n" in result.out
    assert smtp.messages == []
    # the same words without the server's pass: as the daemon, a comment and support alerted
    assert spoofed.code == 0, spoofed.err
    assert "not authenticated (the mail carries no Authentication-Results header)" in spoofed.out
    assert "to: verified" not in spoofed.out


def test_offline_replay_of_a_new_request_asks_no_one_and_writes_no_store(tmp_path: Path) -> None:
    """R7/R12: a new request would be filed and acknowledged; offline, Tracker is not called."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        (tmp_path / "new.eml").write_bytes(email(subject="Не открывается карта")[1])
        requests = len(tracker.requests)
        result = run_cli(
            "replay",
            str(tmp_path / "new.eml"),
            "--dry-run",
            "--offline",
            "--config",
            str(config),
            "--now",
            NOW,
        )
        assert len(tracker.requests) == requests
    assert result.code == 0, result.err
    assert "Decision: R7 — new request for clinic-one" in result.out
    assert "  1. CreateIssue\n     unique: tb-" in result.out
    assert "     summary: Не открывается карта\n" in result.out
    assert "     deadline: 2026-03-25 11:00 MSK\n" in result.out  # 9 March is a holiday
    assert "  2. Notify\n     template: registered\n     to: doctor@clinic1.example\n" in result.out
    assert "Note: no store at" in result.out
    assert not (tmp_path / "state.sqlite3").exists()


def test_replay_requires_dry_run(tmp_path: Path) -> None:
    """Replay never acts: without --dry-run the command is refused."""
    result = run_cli("replay", str(tmp_path / "x.eml"))
    assert result.code == 2
    assert "--dry-run" in result.err
