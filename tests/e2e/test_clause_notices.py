"""What the requester hears through the whole daemon: R4, R8, R9, R12, R13, R22."""

from __future__ import annotations

from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.harness import DOCTOR, World, running_world, text_of
from tracker_bridge.regulation.statuses import Status


async def _registered(world: World, subject: str = "Не работает запись на приём") -> None:
    world.mail(subject=subject, body="Логин: ivanova")
    await world.run_until(lambda: bool(world.mails_to(DOCTOR)))


async def _next_mail(world: World, count: int | None = None) -> EmailMessage:
    """Wait for exactly one more email to the requester than ``count`` (default: now)."""
    count = len(world.mails_to(DOCTOR)) if count is None else count
    await world.run_until(lambda: len(world.mails_to(DOCTOR)) > count, step=5.0, limit=900.0)
    await world.settle(30.0)
    assert len(world.mails_to(DOCTOR)) == count + 1
    return world.mails_to(DOCTOR)[-1]


async def test_r4_an_infrastructure_resolution_tells_the_requester_whose_side_it_is(
    tmp_path: Path,
) -> None:
    """R4: closing with the "infrastructure" resolution sends the infrastructure notice (with
    support's comment), once, beside the closing notice (replies to «Закрыто» refused here)."""
    config = {"regulation": {"terminal_reply": {"closed": "reject"}}}
    async with running_world(tmp_path, config=config) as world:
        await _registered(world)
        world.tracker.add_comment("SUP-1", "Сервер клиники недоступен по SSH", by="ivanov")
        await _next_mail(world)
        world.tracker.transition("SUP-1", "close", by="ivanov", resolution="infrastructure")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) >= 4)
        await world.settle(120.0, 10.0)
        subjects = world.subjects_to(DOCTOR)
        infra = [m for m in world.mails_to(DOCTOR) if "сервер или сеть клиники" in m["Subject"]]
        assert len(infra) == 1
        assert "Сервер клиники недоступен по SSH" in text_of(infra[0])
        # R20: the request is closed, so the notice asks for a new request, not a reply
        assert "оформите новую заявку" in text_of(infra[0])
        assert "ответьте, пожалуйста, на это письмо" not in text_of(infra[0])
        assert sum("Заявка закрыта" in s for s in subjects) == 1
        assert len(subjects) == 4


async def test_r4_an_infrastructure_tag_sends_the_notice_once(tmp_path: Path) -> None:
    """R4: support tagging the request "инфраструктура" tells the requester, once."""
    async with running_world(tmp_path) as world:
        await _registered(world)
        world.tracker.update_issue("SUP-1", by="ivanov", tags=["инфраструктура"])
        notice = await _next_mail(world)
        assert "сервер или сеть клиники" in str(notice["Subject"])
        world.tracker.update_issue("SUP-1", by="ivanov", priority="minor")
        await _next_mail(world)  # the priority notice; the infrastructure one is not repeated
        await world.settle(120.0, 10.0)
        assert sum("сервер или сеть" in s for s in world.subjects_to(DOCTOR)) == 1


async def test_r8_a_support_comment_is_mailed_and_an_internal_one_is_not(tmp_path: Path) -> None:
    """R8: support's public comment reaches the requester by email; one marked #внутр does not."""
    async with running_world(tmp_path) as world:
        await _registered(world)
        world.tracker.add_comment("SUP-1", "#внутр клиент на старой версии", by="ivanov")
        await world.settle(60.0)
        world.tracker.add_comment("SUP-1", "Обновите, пожалуйста, страницу", by="ivanov")
        public = await _next_mail(world)
        assert "Новый комментарий" in str(public["Subject"])
        assert "Обновите, пожалуйста, страницу" in text_of(public)
        await world.settle(120.0, 10.0)
        assert not any("старой версии" in text_of(m) for m in world.mails_to(DOCTOR))
        assert len(world.mails_to(DOCTOR)) == 2


async def _question_answered(world: World, answer: str) -> None:
    """Support asks in Tracker; the requester answers the question's email (In-Reply-To)."""
    world.tracker.add_comment("SUP-1", "На каком компьютере ошибка?", by="ivanov")
    question = await _next_mail(world)
    world.mail(subject="ответ", body=answer, in_reply_to=str(question["Message-ID"]))
    await world.run_until(lambda: len(world.comments("SUP-1")) == 2, limit=300.0)


async def test_r8_a_reply_threaded_by_in_reply_to_becomes_a_comment(tmp_path: Path) -> None:
    """R8: the requester's reply to support's comment email, found by its In-Reply-To alone (a
    subject without the key), is added to the same issue, quote stripped; no new request."""
    async with running_world(tmp_path) as world:
        await _registered(world)
        await _question_answered(
            world, "На компьютере в регистратуре.\n\n> На каком компьютере ошибка?"
        )
        await world.settle(60.0)
        assert world.comments("SUP-1")[1].startswith("На компьютере в регистратуре.")
        assert "> На каком" not in world.comments("SUP-1")[1]
        assert list(world.tracker.issues) == ["SUP-1"]
        assert len(world.mails_to(DOCTOR)) == 2  # a customer's own comment is not echoed


@pytest.mark.parametrize("rendering", ["keep", "strip", "show"])
async def test_r8_a_customers_own_words_are_never_mailed_back_however_tracker_keeps_markers(
    tmp_path: Path, rendering: str
) -> None:
    """Issue 11.6: the bridge knows its own comments by the ids it created (kept in the store),
    the marker is only a second line of defence. Whether Tracker keeps the HTML-comment marker,
    strips it or shows it, the requester's reply is never mailed back as support's comment, and
    support's next comment still is."""
    async with running_world(tmp_path, tracker_switches={"marker_rendering": rendering}) as world:
        await _registered(world)
        await _question_answered(world, "На компьютере в регистратуре, номер 7.")
        await world.settle(120.0, 10.0)
        stored = world.comments("SUP-1")[1]
        assert ("tracker-bridge:" in stored) is (rendering != "strip")
        assert not any("регистратуре" in text_of(m) for m in world.mails_to(DOCTOR))
        assert len(world.mails_to(DOCTOR)) == 2
        world.tracker.add_comment("SUP-1", "Спасибо, исправили", by="ivanov")
        answer = await _next_mail(world, 2)
        assert "Спасибо, исправили" in text_of(answer)
        assert "регистратуре" not in text_of(answer)
        assert "tracker-bridge" not in text_of(answer)


async def test_r9_a_priority_corrected_by_support_is_notified_with_old_and_new(
    tmp_path: Path,
) -> None:
    """R9: support raises the priority in Tracker; the requester is told the old and new value."""
    async with running_world(tmp_path) as world:
        await _registered(world)
        world.tracker.update_issue("SUP-1", by="ivanov", priority="critical")
        notice = await _next_mail(world)
        assert "Изменён приоритет" in str(notice["Subject"])
        body = text_of(notice)
        was = body.split("Был:", 1)[1].split("\n", 1)[0]
        now = body.split("Стал:", 1)[1].split("\n", 1)[0]
        assert "normal" in was.lower() or "средн" in was.lower()
        assert "critical" in now.lower() or "критич" in now.lower()


# Support's path through the workflow, and the notice (subject words) each step owes, if any.
PATH = (
    ("request_info", Status.INFO_REQUESTED, "Нужна дополнительная информация"),
    ("start_progress", Status.IN_PROGRESS, "взята в работу"),  # a person took it (R12)
    ("send_to_testing", Status.AWAITING_TESTING, "готовы к проверке"),
    ("error_found", Status.ERROR_FOUND, "Найдена ошибка"),
    ("send_to_testing", Status.AWAITING_TESTING, "готовы к проверке"),
    ("verified", Status.VERIFIED, None),
    ("transfer_to_production", Status.TRANSFER_TO_PRODUCTION, "переносятся на основную"),
    ("complete", Status.COMPLETED, "Заявка выполнена"),
)


async def test_r12_r13_every_status_change_is_seen_and_each_notice_is_sent_once(
    tmp_path: Path,
) -> None:
    """R13/R12: each status support sets in Tracker is seen as its logical status, and every
    status the requester hears about is mailed exactly once, in order."""
    async with running_world(tmp_path) as world:
        await _registered(world)
        expected = [str(world.mails_to(DOCTOR)[0]["Subject"])]
        for transition, status, words in PATH:
            count = len(world.mails_to(DOCTOR))
            # support picks the resolution on the closing screen (docs new-transition.md)
            extra = {"resolution": "fixed"} if status.is_terminal else {}
            world.tracker.transition("SUP-1", transition, by="ivanov", **extra)
            await world.run_until(lambda s=status: _seen(world, s))  # type: ignore[misc]
            if words is not None:
                notice = await _next_mail(world, count)
                assert words in str(notice["Subject"]), (transition, notice["Subject"])
                expected.append(str(notice["Subject"]))
            else:
                await world.settle(60.0)
            assert world.subjects_to(DOCTOR) == expected
        await world.settle(300.0, 15.0)
        counts = Counter(world.subjects_to(DOCTOR))
        assert counts[expected[3]] == 2  # awaiting testing, twice: two separate events
        assert len(world.mails_to(DOCTOR)) == 8


def _seen(world: World, status: Status) -> bool:
    view = world.bridge.rules.views.get("SUP-1")
    if view is not None:
        return view.status is status
    # a finished request is not held in memory: the store keeps the status it ended in
    tracked = world.bridge.store.tracked("SUP-1")
    return tracked is not None and tracked.finished == status.value


async def test_r22_no_notification_is_sent_twice_across_a_daemon_restart(tmp_path: Path) -> None:
    """R22: after a restart (a second bridge on the same SQLite store) the daemon re-reads every
    issue but sends nothing it sent before; a new event after the restart is sent once."""
    async with running_world(tmp_path) as world:
        await _registered(world)
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Какой логин?")
        await _next_mail(world)
        world.tracker.add_comment("SUP-1", "И какой браузер?", by="ivanov")
        await world.settle(120.0, 10.0)
        assert len(world.mails_to(DOCTOR)) == 3
        first_bridge = world.bridge
        await world.restart()
        assert world.bridge is not first_bridge
        await world.settle(300.0, 10.0)
        assert len(world.mails_to(DOCTOR)) == 3
        world.tracker.add_comment("SUP-1", "Ещё вопрос: какая ОС?", by="ivanov")
        after = await _next_mail(world)
        assert "какая ОС" in text_of(after)
        await world.restart()
        await world.settle(300.0, 10.0)
        ids = [str(m["Message-ID"]) for m in world.mails_to(DOCTOR)]
        assert len(ids) == len(set(ids)) == 4


async def test_r22_a_notification_pending_at_a_restart_is_sent_once_after_it(
    tmp_path: Path,
) -> None:
    """R22: a notice that SMTP refused (451) is still owed when the daemon restarts; the second
    bridge sends it, once."""
    async with running_world(tmp_path) as world:
        await _registered(world)
        world.smtp.fail_next(451, times=2)
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Какой логин?")
        await world.run_until(lambda: _refused_once(world), limit=300.0)
        assert len(world.mails_to(DOCTOR)) == 1
        await world.restart()
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2, step=10.0, limit=3600.0)
        await world.settle(300.0, 15.0)
        subjects = world.subjects_to(DOCTOR)
        assert len(subjects) == 2
        assert "Нужна дополнительная информация" in subjects[1]
        assert "Какой логин?" in text_of(world.mails_to(DOCTOR)[1])


def _refused_once(world: World) -> bool:
    """A notification is in the journal, still pending after a failed attempt (attempt 1 is
    the queueing, so a tried one has more)."""
    return any(e.kind == "notify" and e.attempts >= 2 for e in world.bridge.store.journal_pending())
