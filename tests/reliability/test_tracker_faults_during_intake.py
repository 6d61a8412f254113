"""Dropped connections and "applied, then failed" answers from Tracker during intake (issue 6 §7).

In process, on the e2e harness: the fake Tracker cuts connections without answering, or makes a
change and then answers 500 as if it had not, on issue creation, comments and transitions. The
client cannot tell a lost request from a lost answer; the gateway's reconciliation (``unique``,
the comment marker, the status already reached) and the journal must make every retry a no-op.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import World, running_world
from tests.reliability.support import (
    CLINIC_DOMAIN,
    SUPPORT_LOGIN,
    customer_comment_markers,
    folder_files,
    issue_by_summary,
    message_id_counts,
    robot_transitions,
)

CREATE = "POST /v2/issues"
COMMENT = "POST /v2/issues/{key}/comments"
EXECUTE = "POST /v2/issues/{key}/transitions/{id}/_execute"


def _request(world: World, n: int) -> tuple[str, str]:
    summary = f"Запрос {n}: не сохраняется протокол"
    message_id = world.mail(
        subject=summary, body=f"Логин: user{n}\n", sender=f"doctor{n}@{CLINIC_DOMAIN}"
    )
    return summary, message_id


def _reply(world: World, n: int, to: str, text: str) -> None:
    world.mail(
        subject="Re: протокол", body=text, sender=f"doctor{n}@{CLINIC_DOMAIN}", in_reply_to=to
    )


async def test_lost_answers_and_cut_connections_never_duplicate_an_issue_or_a_comment(
    tmp_path: Path,
) -> None:
    """R1/R8: creates, comments and transitions that Tracker applied but answered 500 for, or
    whose connection was cut, are retried into exactly one issue, comment and transition each."""
    async with running_world(tmp_path) as world:
        tracker = world.tracker
        tracker.apply_then_fail(CREATE, times=3)
        tracker.drop_next(CREATE, times=2)
        sent = [_request(world, n) for n in range(6)]
        await world.run_until(lambda: len(message_id_counts(world.smtp.messages)) == 6)
        keys = {s: ks[0] for s, ks in issue_by_summary(tracker).items()}
        asked = [keys[sent[n][0]] for n in (0, 1)]
        for key in asked:
            tracker.transition(key, "request_info", by=SUPPORT_LOGIN, comment="Уточните")
        await world.run_until(lambda: len(message_id_counts(world.smtp.messages)) == 8)
        tracker.apply_then_fail(COMMENT, times=3)
        tracker.drop_next(COMMENT, times=2)
        tracker.apply_then_fail(EXECUTE, times=1)
        tracker.drop_next(EXECUTE, times=1)
        for n in range(4):
            _reply(world, n, sent[n][1], f"Дополнение {n}: протокол 77.")
        await world.run_until(
            lambda: (
                sum(customer_comment_markers(tracker).values()) >= 4
                and not folder_files(world.maildir)
            )
        )
        await world.settle()
        assert tracker.pending_faults == 0  # every fault was met
        assert {s: len(k) for s, k in issue_by_summary(tracker).items()} == {s: 1 for s, _ in sent}
        assert sorted(customer_comment_markers(tracker).values()) == [1] * 4
        moves = robot_transitions(tracker)
        for key in asked:
            assert moves.get(key) == [("needInfo", "inProgress")]
        assert sorted(message_id_counts(world.smtp.messages).values()) == [1] * 8
        assert folder_files(world.maildir, "Quarantine") == []
        assert len(folder_files(world.maildir, "Processed")) == 10


async def test_a_write_applied_but_unconfirmed_past_every_retry_is_reconciled_on_the_next_try(
    tmp_path: Path,
) -> None:
    """R1/R8: when Tracker applied a create or a comment but the gateway could not confirm it
    within its retries, the email stays in the inbox; the daemon's next try finds the issue by
    its unique and the comment by its marker instead of writing them again."""
    async with running_world(tmp_path) as world:
        tracker = world.tracker
        tracker.apply_then_fail(CREATE, times=1)
        tracker.fail_next("POST /v2/issues/_findByUnique", status=503, times=2)
        summary, message_id = _request(world, 1)
        await world.run_until(lambda: len(message_id_counts(world.smtp.messages)) == 1)
        assert tracker.request_count("POST", "/v2/issues") >= 2  # created, then asked again
        (key,) = issue_by_summary(tracker)[summary]
        tracker.fail_next("GET /v2/issues/{key}/comments", status=503, times=2)
        tracker.apply_then_fail(COMMENT, times=1)
        _reply(world, 1, message_id, "Дополнение: протокол 78.")
        await world.run_until(lambda: not folder_files(world.maildir))
        await world.settle()
        assert tracker.pending_faults == 0
        assert list(tracker.issues) == [key]
        assert [c.text.startswith("Дополнение") for c in tracker.comments[key]] == [True]
        assert tracker.request_count("POST", f"/v2/issues/{key}/comments") == 1
        assert sorted(message_id_counts(world.smtp.messages).values()) == [1]
        assert folder_files(world.maildir, "Quarantine") == []


async def test_a_tracker_failure_after_a_message_is_settled_strands_none_of_its_batch(
    tmp_path: Path,
) -> None:
    """R1: Tracker fails while the rules pass evaluates the first new issue of a batch (after
    that email is settled): the emails behind it in the same batch still become issues, one
    each, without waiting for a restart. (Independent requests of one batch are registered side
    by side, so their numbers need not follow arrival: see tests/e2e/test_intake_order.py.)
    A new issue is evaluated from the create's answer (issue 11.10), so the one read that
    evaluation makes is the first one's: who the bridge's robot user is (/v2/myself)."""
    async with running_world(tmp_path) as world:
        tracker = world.tracker
        tracker.fail_next("GET /v2/myself", status=503, times=3)  # the policy's 3 tries
        sent = [_request(world, n) for n in range(4)]
        await world.run_until(
            lambda: len(tracker.issues) == 4 and not folder_files(world.maildir), limit=900.0
        )
        await world.settle()
        assert tracker.pending_faults == 0
        assert sorted(issue.summary for issue in tracker.issues.values()) == [s for s, _ in sent]
        assert sorted(message_id_counts(world.smtp.messages).values()) == [1] * 4
        assert folder_files(world.maildir, "Quarantine") == []


async def test_a_tracker_failure_while_reading_a_changed_issue_does_not_lose_the_change(
    tmp_path: Path,
) -> None:
    """R8: support asks a question, and Tracker fails just as the bridge reads that issue's
    history: the question still reaches the requester, once, a few sync cycles later."""
    async with running_world(tmp_path) as world:
        tracker = world.tracker
        _request(world, 1)
        await world.run_until(lambda: len(world.smtp.messages) == 1)
        (key,) = tracker.issues
        tracker.fail_next("GET /v2/issues/{key}/changelog", status=503, times=3)
        tracker.transition(key, "request_info", by=SUPPORT_LOGIN, comment="Уточните отделение")
        await world.run_until(lambda: len(world.smtp.messages) == 2, limit=600.0)
        await world.settle()
        assert tracker.pending_faults == 0
        assert "Уточните отделение" in world.smtp.messages[1].get_content()
        assert sorted(message_id_counts(world.smtp.messages).values()) == [1, 1]


async def test_one_issue_tracker_cannot_read_holds_up_no_other_change(tmp_path: Path) -> None:
    """R8: while one issue's history cannot be read, support's question on another still goes
    out; the first one's follows once Tracker reads it again."""
    async with running_world(tmp_path) as world:
        tracker = world.tracker
        _request(world, 1)
        _request(world, 2)
        await world.run_until(lambda: len(world.smtp.messages) == 2)
        tracker.fail_next("GET /v2/issues/SUP-1/changelog", status=503, times=10**6)
        tracker.transition("SUP-1", "request_info", by=SUPPORT_LOGIN, comment="Вопрос один")
        tracker.transition("SUP-2", "request_info", by=SUPPORT_LOGIN, comment="Вопрос два")
        await world.run_until(lambda: len(world.smtp.messages) == 3, limit=600.0)
        assert "Вопрос два" in world.smtp.messages[2].get_content()
        tracker.clear_faults()
        await world.run_until(lambda: len(world.smtp.messages) == 4, limit=600.0)
        await world.settle()
        assert "Вопрос один" in world.smtp.messages[3].get_content()
        assert sorted(message_id_counts(world.smtp.messages).values()) == [1] * 4


async def test_a_change_not_yet_evaluated_survives_a_restart(tmp_path: Path) -> None:
    """R8 across a restart: a question whose issue could not be read before the daemon stopped
    (while later changes moved the sync cursor on) still reaches the requester after it."""
    async with running_world(tmp_path) as world:
        tracker = world.tracker
        _request(world, 1)
        await world.run_until(lambda: len(world.smtp.messages) == 1)
        tracker.fail_next("GET /v2/issues/SUP-1/changelog", status=503, times=10**6)
        tracker.transition("SUP-1", "request_info", by=SUPPORT_LOGIN, comment="Вопрос один")
        await world.settle(600.0, 10.0)  # ten minutes: past the sync's overlap window
        _request(world, 2)
        await world.run_until(lambda: len(world.smtp.messages) == 2)
        await world.settle(60.0, 10.0)
        await world.restart()
        tracker.clear_faults()
        await world.run_until(lambda: len(world.smtp.messages) == 3, limit=600.0)
        await world.settle()
        assert "Вопрос один" in world.smtp.messages[2].get_content()
        assert sorted(message_id_counts(world.smtp.messages).values()) == [1] * 3


async def test_support_acting_before_the_bridge_recorded_its_new_issue_is_still_news(
    tmp_path: Path,
) -> None:
    """R8: Tracker made the issue but the bridge could not record it (the create's answer was
    lost and the look-ups failed), and support asks a question meanwhile: once the email goes
    through, the question is mailed to the requester all the same."""
    async with running_world(tmp_path) as world:
        tracker = world.tracker
        tracker.apply_then_fail(CREATE, times=1)
        # the look-ups keep failing until support has acted (mail that met an outage is tried
        # again within seconds, so two failures alone would be over before support acts)
        tracker.fail_next("POST /v2/issues/_findByUnique", status=503, times=10**6)
        tracker.fail_next("POST /v2/issues/_search", status=503, times=10**6)  # sync blind too
        _request(world, 1)
        await world.run_until(lambda: bool(tracker.issues), limit=60.0)
        await world.settle(20.0, 5.0)
        assert folder_files(world.maildir)  # not recorded: the email waits in the inbox
        tracker.transition("SUP-1", "request_info", by=SUPPORT_LOGIN, comment="Какой логин?")
        await world.settle(20.0, 5.0)
        tracker.clear_faults()
        await world.run_until(lambda: len(world.smtp.messages) == 2, limit=900.0)
        await world.settle()
        # the acknowledgment and the question, each once (which goes first depends on whether
        # the intake's retry or the sync's cycle meets the recovered Tracker first)
        texts = [m.get_content() for m in world.smtp.messages]
        assert sum("Какой логин?" in text for text in texts) == 1
        assert sum("зарегистрирована под номером SUP-1" in text for text in texts) == 1
        assert sorted(message_id_counts(world.smtp.messages).values()) == [1, 1]
