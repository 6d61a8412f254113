"""The whole daemon from the first email on: registration, threading, replies (R1, R7, R8, R12)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import DOCTOR, running_world
from tracker_bridge.tracker.read_cache import LIMIT


async def test_r1_r12_an_email_becomes_one_issue_and_the_requester_is_told_its_key(
    tmp_path: Path,
) -> None:
    """R1/R7/R12: the email is registered once in Tracker, with its fields, and acknowledged."""
    async with running_world(tmp_path) as world:
        world.mail(
            subject="Не печатается рецепт - Терапия",
            body="При нажатии «Печать» ничего не происходит.\nЛогин: ivanova\n",
        )
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        (issue,) = world.tracker.issues.values()
        assert issue.key == "SUP-1"
        assert issue.summary == "Не печатается рецепт"
        assert issue.local.get("department") == "Терапия"
        assert issue.local.get("login") == "ivanova"
        (ack,) = world.mails_to(DOCTOR)
        assert "[SUP-1]" in str(ack["Subject"])
        assert list((world.maildir / ".Processed" / "cur").iterdir()) or list(
            (world.maildir / ".Processed" / "new").iterdir()
        )


async def test_r1_a_new_email_costs_one_tracker_request(tmp_path: Path) -> None:
    """Issue 11.10: the issue is created with its deadline and local fields in the creating
    request, and the new request is evaluated from the create's answer — no read of the issue,
    its changelog or its comments; the deadline is Tracker's own date and the precise field."""
    async with running_world(tmp_path) as world:
        world.mail(subject="Печать - Терапия", body="Логин: ivanova")
        await world.run_until(lambda: len(world.tracker.issues) == 1)
        world.mail(subject="Ещё одна - Хирургия", body="Логин: petrova")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2)
        await world.settle(5.0)
        # no read of the new issue, its changelog or its comments (a re-written deadline, when
        # the clock moved between triage and the first evaluation, is the regulation's own)
        reads = [(m, p) for m, p in world.tracker.requests if m == "GET" and "/issues/SUP-" in p]
        assert reads == []
        assert world.tracker.request_count("POST", "/v2/issues") == 2
        issue = world.tracker.issues["SUP-2"]
        assert issue.deadline is not None and issue.local.get("slaDeadline")
        assert issue.local.get("department") == "Хирургия"


async def test_r1_a_backlog_outlasting_the_sync_interval_is_not_read_back(
    tmp_path: Path,
) -> None:
    """Issue 11.10: an issue is evaluated from its create's answer, so the sync does not report
    that version as a change — even when the backlog outlasts the sync interval and the read
    cache (``LIMIT`` issues) has long dropped the first ones, which were then read back whole
    (their changelog and comments: two requests more per email)."""
    count = LIMIT + 6
    async with running_world(tmp_path) as world:
        for n in range(count):
            world.mail(
                subject=f"Запрос {n}", body=f"Логин: user{n}", sender=f"doctor{n}@clinic1.example"
            )
        await world.run_until(lambda: len(world.smtp.messages) == count)
        await world.settle()  # sync cycles, rules and outbox passes over the new issues
        assert len(world.tracker.issues) == count
        reads = [(m, p) for m, p in world.tracker.requests if m == "GET" and "/issues/SUP-" in p]
        assert reads == []
        assert world.tracker.request_count("POST", "/v2/issues") == count


async def test_r8_a_question_reaches_the_requester_and_the_answer_resumes_work(
    tmp_path: Path,
) -> None:
    """R8/R14: support asks in Tracker → the email goes out; the reply becomes a comment and the
    request goes back to work."""
    async with running_world(tmp_path) as world:
        world.mail(subject="Не открывается карта", body="Карта 555 не открывается.")
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Уточните логин")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2)
        question = world.mails_to(DOCTOR)[1]
        assert "Уточните логин" in question.get_content()
        world.reply(question, "Логин: petrova\n\n> Уточните логин")
        await world.run_until(lambda: world.tracker.issues["SUP-1"].status == "inProgress")
        texts = [c.text for c in world.tracker.comments["SUP-1"] if not c.deleted]
        assert any(t.startswith("Логин: petrova") for t in texts)
        assert not any("> Уточните логин" in t for t in texts)


async def test_the_metrics_count_messages_by_outcome_and_the_last_contacts(tmp_path: Path) -> None:
    """Observability: a created request is counted; the mail (a Maildir here) and Tracker
    contacts are fresh."""
    async with running_world(tmp_path) as world:
        world.mail(subject="Печать", body="Логин: x")
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        await world.settle(15.0)
        text = world.bridge.metrics.render().decode()
        assert 'tracker_bridge_messages_total{outcome="created"} 1.0' in text
        assert "tracker_bridge_issues_created_total 1.0" in text
        assert 'tracker_bridge_last_success_timestamp_seconds{system="maildir"}' in text
        assert 'tracker_bridge_last_success_timestamp_seconds{system="tracker"}' in text
        assert 'tracker_bridge_actions_total{kind="CreateIssue",outcome="done"} 1.0' in text
        assert 'tracker_bridge_clocks{kind="execution",state="running"} 1.0' in text
        report = world.bridge.health.check(world.clock.now())
        assert report.ok, report
