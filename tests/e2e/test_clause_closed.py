"""Finished requests through the whole daemon: R20 (replies refused, new requests linked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import DOCTOR, World, running_world, text_of

# How support finishes a request in the fake's workflow: transitions in order, the final status.
# The statuses R20 names; a reply to plain «Закрыто» reopens by default
# (test_clause_second_reading.py::test_r20_a_reply_to_plain_closed_setting).
FINISHES = {
    "completed": (("start_progress", "complete"), "resolved"),
    "duplicate": (("mark_duplicate",), "duplicate"),
    "cancelled": (("cancel",), "cancelled"),
    "no_response": (("request_info", "close_no_response"), "closedNoResponse"),
}

_CLOSING = {
    "close": "fixed",
    "complete": "fixed",
    "mark_duplicate": "duplicate",
    "cancel": "wontFix",
    "close_no_response": "fixed",
}


async def _finished(world: World, transitions: tuple[str, ...]) -> None:
    world.mail(subject="Не выгружается реестр", body="Логин: ivanova")
    await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
    for transition in transitions:
        # support picks a resolution on each closing screen (docs new-transition.md)
        extra = {"resolution": _CLOSING[transition]} if transition in _CLOSING else {}
        world.tracker.transition("SUP-1", transition, by="ivanov", **extra)
    await world.run_until(lambda: world.tracker.issues["SUP-1"].status != "open")
    await world.settle(60.0)


@pytest.mark.parametrize("finish", sorted(FINISHES))
async def test_r20_a_reply_to_a_finished_request_is_not_added_and_the_rule_is_explained(
    tmp_path: Path, finish: str
) -> None:
    """R20: a reply to a request in a terminal status is not added as a comment and does not
    reopen it; the sender gets one answer, in the thread, explaining how to file anew."""
    transitions, status = FINISHES[finish]
    async with running_world(tmp_path) as world:
        await _finished(world, transitions)
        assert world.tracker.issues["SUP-1"].status == status
        comments_before = world.comments("SUP-1")
        last = world.mails_to(DOCTOR)[-1]
        sent_before = len(world.mails_to(DOCTOR))
        reply_id = world.reply(last, "А ещё не работает печать.")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == sent_before + 1)
        await world.settle(60.0)
        notice = world.mails_to(DOCTOR)[-1]
        assert "не добавлено к завершённой заявке SUP-1" in str(notice["Subject"])
        assert str(notice["In-Reply-To"]) == reply_id
        assert "номер прежней заявки SUP-1" in text_of(notice)
        assert world.comments("SUP-1") == comments_before
        assert world.tracker.issues["SUP-1"].status == status
        assert list(world.tracker.issues) == ["SUP-1"]
        assert len(world.mails_to(DOCTOR)) == sent_before + 1


async def test_r20_a_new_request_quoting_an_old_key_is_linked_to_it(tmp_path: Path) -> None:
    """R20: a new email (not a reply) naming a finished request's key becomes a new request
    linked to the old one ("relates"), and the acknowledgement says so."""
    async with running_world(tmp_path) as world:
        await _finished(world, ("close",))
        world.mail(
            subject="Снова не выгружается реестр",
            body="Логин: ivanova\nПовторяется проблема из заявки SUP-1 после обновления.",
        )
        await world.run_until(lambda: "SUP-2" in world.tracker.issues)
        await world.run_until(lambda: bool(world.tracker.links))
        (link,) = world.tracker.links.values()
        assert {link.source, link.target} == {"SUP-1", "SUP-2"}
        assert link.type == "relates"
        await world.run_until(lambda: any("[SUP-2]" in s for s in world.subjects_to(DOCTOR)))
        ack = next(m for m in world.mails_to(DOCTOR) if "[SUP-2]" in str(m["Subject"]))
        assert "связана с ранее оформленной заявкой SUP-1" in text_of(ack)
        assert world.tracker.issues["SUP-1"].status == "closed"


async def test_r20_replies_to_a_finished_request_are_answered_at_most_ten_times_a_day(
    tmp_path: Path,
) -> None:
    """R20/safety: a burst of replies to a finished request gets at most the daily limit of
    answers (no mail loop), and none of them is added to the issue."""
    async with running_world(tmp_path) as world:
        await _finished(world, ("mark_duplicate",))
        last = world.mails_to(DOCTOR)[-1]
        sent_before = len(world.mails_to(DOCTOR))
        for n in range(12):
            world.reply(last, f"Письмо {n}")
        await world.run_until(lambda: len(world.folder(".Processed")) == 13, step=5.0)
        # the answers follow the intake's round (the outbox gives way to it, issue 11.10)
        await world.run_until(lambda: len(world.subjects_to(DOCTOR)) - sent_before >= 9)
        await world.settle(120.0, 10.0)
        subjects = world.subjects_to(DOCTOR)
        refused = [s for s in subjects if "не добавлено" in s]
        registered = [s for s in subjects if "зарегистрирована" in s]
        assert len(refused) + len(registered) == 10  # answers to this sender today, ack included
        assert len(subjects) - sent_before == len(refused) == 9
        assert not any(t.startswith("Письмо") for t in world.comments("SUP-1"))
        assert list(world.tracker.issues) == ["SUP-1"]
