"""The regulation's second reading through the whole daemon: what a customer's words mean (R7,
R9, R15, R19), a mail that came before the auto-close (R19/R20), and the settings that choose
between readings the text leaves open (R6, R10, R12, R20)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import CHIEF, DOCTOR, World, msk, running_world, text_of


def _status(world: World, key: str = "SUP-1") -> str:
    return world.tracker.issues[key].status


async def _registered(world: World, subject: str, body: str = "Логин: ivanova") -> None:
    world.mail(subject=subject, body=body, cc=CHIEF)
    await world.run_until(lambda: bool(world.mails_to(DOCTOR)))


async def _in_testing(world: World) -> EmailMessage:
    """A request taken into work and sent to testing; the "awaiting testing" email."""
    await _registered(world, "Не сохраняется шаблон осмотра")
    world.tracker.transition("SUP-1", "start_progress", by="ivanov")
    world.tracker.transition("SUP-1", "send_to_testing", by="ivanov", comment="Исправлено")
    await world.run_until(lambda: any("готовы к проверке" in s for s in world.subjects_to(DOCTOR)))
    return next(m for m in world.mails_to(DOCTOR) if "готовы к проверке" in str(m["Subject"]))


async def _info_requested(world: World) -> EmailMessage:
    """A request support asked a question on; the question email."""
    await _registered(world, "Не строится отчёт по выпискам")
    world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="За какой период?")
    await world.run_until(
        lambda: any("За какой период" in text_of(m) for m in world.mails_to(DOCTOR))
    )
    return next(m for m in world.mails_to(DOCTOR) if "За какой период" in text_of(m))


# --- R9: the customer's words about priority ---------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Не срочно: поменять шрифт в шапке выписки", "Логин: ivanova"),
        ("Поменять шрифт в шапке выписки", "Приоритет: невысокий\nЛогин: ivanova"),
        ("Поменять шрифт в шапке выписки", "Приоритет: обычный\nЛогин: ivanova"),
        ("Поменять шрифт в шапке выписки", "Срочность: не горит\nЛогин: ivanova"),
    ],
)
async def test_r9_negated_or_modest_priority_words_are_not_high(
    tmp_path: Path, subject: str, body: str
) -> None:
    """R9: «не срочно», «невысокий», «обычный», «не горит» are not high priority: no critical
    request, no Telegram card, and the summary keeps the customer's meaning."""
    async with running_world(tmp_path, telegram=True) as world:
        world.mail(subject=subject, body=body)
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        await world.settle(60.0, 10.0)
        issue = world.tracker.issues["SUP-1"]
        assert issue.priority not in ("critical", "blocker")
        assert not issue.summary.lower().startswith("не ")
        assert "поменять шрифт" in issue.summary.lower()
        assert world.bridge.store.card("SUP-1") is None  # R5: no urgent card


async def test_r9_a_later_urgent_reply_raises_the_priority(tmp_path: Path) -> None:
    """R9: the customer's later email «СРОЧНО! …» raises a normal request to critical (and the
    urgent request gets its card and its reaction clock)."""
    async with running_world(tmp_path, telegram=True) as world:
        await _registered(world, "Не печатается направление")
        ack = world.mails_to(DOCTOR)[0]
        world.reply(ack, "СРОЧНО! Теперь не печатается ни одно направление, приём стоит.")
        await world.run_until(lambda: world.tracker.issues["SUP-1"].priority == "critical")
        await world.run_until(lambda: bool(world.chat_texts()))
        await world.run_until(lambda: "reactionDeadline" in world.tracker.issues["SUP-1"].local)


async def test_r9_support_set_priority_is_not_overridden_support_is_alerted(
    tmp_path: Path,
) -> None:
    """R9 "в спорных случаях согласуется совместно": support lowered the priority by hand; the
    customer's «Приоритет: высокий» does not override it — support is alerted instead."""
    async with running_world(tmp_path, telegram=True) as world:
        await _registered(world, "СРОЧНО не печатается направление")
        world.tracker.update_issue("SUP-1", by="ivanov", priority="normal")
        await world.run_until(lambda: any("приоритет" in s for s in world.subjects_to(DOCTOR)))
        ack = world.mails_to(DOCTOR)[0]
        world.reply(ack, "Приоритет: высокий\nПросим вернуть высокий приоритет.")
        await world.run_until(lambda: any("согласуйте" in t for t in world.chat_texts()))
        await world.settle(60.0, 10.0)
        assert world.tracker.issues["SUP-1"].priority == "normal"


# --- R7: the template's own words, subject tags ------------------------------------------------


async def test_r7_the_regulations_template_labels_fill_the_fields(tmp_path: Path) -> None:
    """R7: every label as the regulation writes it — «Наименование кнопки перехода» too —
    lands in the issue's fields."""
    body = (
        "Не формируется направление.\n\n"
        "Номер амбулаторной карты пациента: 555\n"
        "Номер истории болезни пациента: 2026/12\n"
        "Логин в системе: petrov\n"
        "Наименование записи: Направление на анализы\n"
        "Наименование кнопки перехода: Сформировать\n"
    )
    async with running_world(tmp_path) as world:
        world.mail(subject="Не формируется направление", body=body)
        await world.run_until(lambda: "SUP-1" in world.tracker.issues)
        local = world.tracker.issues["SUP-1"].local
        assert local["cardNumber"] == "555"
        assert local["historyNumber"] == "2026/12"
        assert local["login"] == "petrov"
        assert local["recordName"] == "Направление на анализы"
        assert local["buttonName"] == "Сформировать"


@pytest.mark.parametrize("tag", ["[EXTERNAL]", "[SPAM?]"])
async def test_r7_a_subject_tag_is_removed_whole(tmp_path: Path, tag: str) -> None:
    """R7: «[EXTERNAL] Не печатается выписка» gives the summary «Не печатается выписка» — in
    Tracker and in the acknowledgement — not «EXTERNAL] …»."""
    async with running_world(tmp_path) as world:
        world.mail(subject=f"{tag} Не печатается выписка", body="Логин: ivanova")
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        assert world.tracker.issues["SUP-1"].summary == "Не печатается выписка"
        ack = world.mails_to(DOCTOR)[0]
        assert "]" not in str(ack["Subject"]).replace("[SUP-1]", "")
        assert "Тема: Не печатается выписка" in text_of(ack)


# --- R15: acceptance is an explicit confirmation of the whole change --------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "Всё работает, кроме печати направлений.",
        "Ошибок нет, но не сохраняется дата.",
        "Работает только у администратора.",
        "Проверено, всё работает. Но теперь не открывается журнал назначений.",
    ],
)
async def test_r15_corrections_send_the_request_back_to_work_and_alert_support(
    tmp_path: Path, answer: str
) -> None:
    """R15: a reply with corrections is not acceptance: «Найдена ошибка» (R13: back in work),
    support is alerted, and no «можно переносить» is ever said."""
    async with running_world(tmp_path, telegram=True) as world:
        testing = await _in_testing(world)
        world.reply(testing, answer, sender=CHIEF)
        await world.run_until(lambda: _status(world) == "errorFound")
        await world.run_until(lambda: any("корректировки" in t for t in world.chat_texts()))
        await world.settle(60.0, 10.0)
        assert not any("можно переносить" in t for t in world.chat_texts())
        assert not any("Заказчик подтвердил" in t for t in world.chat_texts())


async def test_r15_a_question_is_not_a_confirmation_support_is_told(tmp_path: Path) -> None:
    """R15: a question is an unclear reply: a comment and an alert; R19: the request leaves
    waiting (support owes the answer), so no reminder follows."""
    async with running_world(tmp_path, telegram=True) as world:
        testing = await _in_testing(world)
        world.reply(testing, "Всё работает? Где это найти в меню?", sender=CHIEF)
        await world.run_until(lambda: any("Непонятный ответ" in t for t in world.chat_texts()))
        await world.run_until(lambda: _status(world) == "inProgress")
        assert any("Где это найти" in c for c in world.comments("SUP-1"))
        sent = len(world.mails_to(DOCTOR))
        await world.jump(msk("2026-03-13 12:00"))
        await world.jump(msk("2026-03-18 12:00"))
        assert not any("ждёт вашего ответа" in s for s in world.subjects_to(DOCTOR)[sent:])
        assert _status(world) == "inProgress"


async def test_r15_a_manual_verified_never_says_the_customer_confirmed(tmp_path: Path) -> None:
    """R15: support sets «Проверено, ошибок нет» by hand with no confirming mail: no text says
    «Заказчик подтвердил»."""
    async with running_world(tmp_path, telegram=True) as world:
        await _in_testing(world)
        world.tracker.transition("SUP-1", "verified", by="ivanov")
        await world.run_until(lambda: any("вручную" in t for t in world.chat_texts()))
        await world.settle(60.0, 10.0)
        assert not any("Заказчик подтвердил" in t for t in world.chat_texts())
        assert not any("Заказчик подтвердил" in text_of(m) for m in world.smtp.messages)


# --- R19: only silence closes ----------------------------------------------------------------


async def test_r19_corrections_in_testing_stop_the_silence_clock(tmp_path: Path) -> None:
    """R19: the customer answered testing with corrections: «Найдена ошибка», and no reminder
    nor close for no response follows while support owes the next step."""
    async with running_world(tmp_path) as world:
        testing = await _in_testing(world)
        world.reply(testing, "Не сохраняется дата осмотра.", sender=CHIEF)
        await world.run_until(lambda: _status(world) == "errorFound")
        sent = len(world.mails_to(DOCTOR))
        for day in ("2026-03-12 12:00", "2026-03-16 12:00", "2026-03-20 12:00"):
            await world.jump(msk(day))
        later = world.subjects_to(DOCTOR)[sent:]
        assert not any("ждёт вашего ответа" in s for s in later)
        assert _status(world) == "errorFound"


async def test_r19_the_requested_information_goes_back_to_work(tmp_path: Path) -> None:
    """R19/R8: the information asked for is an answer: «В работе», and the request is never
    closed for no response."""
    async with running_world(tmp_path) as world:
        question = await _info_requested(world)
        world.reply(question, "За март 2026, отделение терапии.")
        await world.run_until(lambda: _status(world) == "inProgress")
        await world.jump(msk("2026-03-20 12:00"))
        assert _status(world) == "inProgress"


async def test_r19_a_reply_that_only_defers_keeps_the_request_waiting(tmp_path: Path) -> None:
    """R19: «посмотрю завтра» keeps the request waiting (and restarts its 10 working days)."""
    async with running_world(tmp_path) as world:
        question = await _info_requested(world)
        await world.jump(msk("2026-03-04 12:00"))
        world.reply(question, "Посмотрю завтра и отпишусь.")
        await world.run_until(lambda: any("Посмотрю завтра" in c for c in world.comments("SUP-1")))
        await world.settle(60.0, 10.0)
        assert _status(world) == "needInfo"
        await world.jump(msk("2026-03-17 12:00"))  # 10 working days from the 2nd, not the 4th
        assert _status(world) == "needInfo"
        await world.jump(msk("2026-03-19 12:30"))
        assert _status(world) == "closedNoResponse"


# --- R19/R20: a mail that came before the deadline wins -------------------------------------


async def test_r19_a_confirmation_that_arrived_before_the_deadline_wins_over_the_close(
    tmp_path: Path,
) -> None:
    """R19/R20: the confirmation reached the mailbox a minute before the 10th working day
    ended while the daemon was stopped; at restart the mail is read before any auto-close, so
    the request is verified, never closed for no response."""
    async with running_world(tmp_path, telegram=True) as world:
        testing = await _in_testing(world)
        await world.jump(msk("2026-03-16 11:00"))
        await world.stop_daemon()
        world.clock.set(msk("2026-03-16 11:59"))
        world.reply(testing, "Проверено, ошибок нет.", sender=CHIEF)
        world.clock.set(msk("2026-03-16 12:20"))  # the deadline passed while it was down
        await world.restart()
        await world.run_until(lambda: _status(world) == "verifiedNoErrors")
        await world.settle(120.0, 10.0)
        assert _status(world) == "verifiedNoErrors"
        changes = [c for c in world.tracker.changelog["SUP-1"] if "closedNoResponse" in str(c)]
        assert changes == []


async def test_r20_an_answer_closed_by_mistake_reopens_never_appends(tmp_path: Path) -> None:
    """R19/R20: a request already closed for no response although the answer had reached the
    mailbox before: reopened first, then the answer added, and support told — never an answer
    appended to a closed request, never a silent drop."""
    async with running_world(tmp_path, telegram=True) as world:
        testing = await _in_testing(world)
        await world.stop_daemon()
        world.clock.set(msk("2026-03-16 11:59"))
        world.reply(testing, "Проверено, ошибок нет.", sender=CHIEF)
        world.clock.set(msk("2026-03-16 12:01"))
        # closed while the bridge was down (a person, or another tool, ran the close)
        world.tracker.transition("SUP-1", "close_no_response", by="ivanov", resolution="fixed")
        world.clock.set(msk("2026-03-16 12:10"))
        await world.restart()
        await world.run_until(lambda: _status(world) == "reopened")
        await world.run_until(lambda: any("до закрытия" in t for t in world.chat_texts()))
        assert any(c.startswith("Проверено, ошибок нет") for c in world.comments("SUP-1"))
        assert not any("не добавлено" in s for s in world.subjects_to(CHIEF))


# --- Settings that change a reading ------------------------------------------------------------


async def _urgent_untaken(world: World) -> None:
    await _registered(world, "СРОЧНО не открывается расписание")


def _breaches(world: World) -> list[str]:
    return [t for t in world.chat_texts() if t.startswith("🚨")]


@pytest.mark.parametrize(("quiet", "at_night"), [(False, 1), (True, 0)])
async def test_r6_r10_quiet_urgent_breaches_setting(
    tmp_path: Path, quiet: bool, at_night: int
) -> None:
    """R6/R10 `regulation.quiet_urgent_breaches`: false (default) tells an urgent breach at
    once, at night; true holds it for the opening."""
    config: dict[str, Any] = {"regulation": {"quiet_urgent_breaches": quiet}}
    async with running_world(
        tmp_path, telegram=True, start="2026-03-02 20:00", config=config
    ) as world:
        await _urgent_untaken(world)
        await world.jump(msk("2026-03-05 20:30"))
        assert len(_breaches(world)) == at_night
        await world.jump(msk("2026-03-06 10:10"))
        assert len(_breaches(world)) == 1


@pytest.mark.parametrize(("work_them", "deadline"), [(True, "2025-11-20"), (False, "2025-11-21")])
async def test_r6_transferred_saturdays_setting(
    tmp_path: Path, work_them: bool, deadline: str
) -> None:
    """R6 `calendar.transferred_saturdays`: Saturday 1 November 2025 is a working day of the
    production calendar; counted (default), the 14 working days from 30 October end on the
    20th, not counted on the 21st."""
    config: dict[str, Any] = {"calendar": {"transferred_saturdays": work_them}}
    async with running_world(tmp_path, start="2025-10-30 11:00", config=config) as world:
        await _registered(world, "Не строится отчёт")
        assert world.tracker.issues["SUP-1"].deadline == deadline


@pytest.mark.parametrize(("shortened_by", "close"), [("1h", "17:00"), ("0s", "18:00")])
async def test_r6_shortened_pre_holiday_day_setting(
    tmp_path: Path, shortened_by: str, close: str
) -> None:
    """R6 `calendar.shortened_by`: a request that came at 17:30 on 30 April 2026 (before the
    1 May holiday) is out of hours with the Labour Code's hour (default), in hours with "0s"."""
    config: dict[str, Any] = {"calendar": {"shortened_by": shortened_by}}
    async with running_world(tmp_path, start="2026-04-30 17:30", config=config) as world:
        await _registered(world, "Не строится отчёт")
        ack = text_of(world.mails_to(DOCTOR)[0])
        assert ("нерабочее время" in ack) is (close == "17:00")


@pytest.mark.parametrize(("choice", "status"), [("reopen", "reopened"), ("reject", "closed")])
async def test_r20_a_reply_to_plain_closed_setting(
    tmp_path: Path, choice: str, status: str
) -> None:
    """R20 `regulation.terminal_reply.closed`: «Закрытые задачи можно вновь открыть» — a reply
    to plain «Закрыто» reopens the request by default; "reject" refuses it as R20's list does."""
    config: dict[str, Any] = {"regulation": {"terminal_reply": {"closed": choice}}}
    async with running_world(tmp_path, config=config) as world:
        await _registered(world, "Не выгружается реестр")
        world.tracker.transition("SUP-1", "close", by="ivanov", resolution="fixed")
        await world.run_until(lambda: any("закрыта" in s for s in world.subjects_to(DOCTOR)))
        last = world.mails_to(DOCTOR)[-1]
        world.reply(last, "Снова не выгружается, посмотрите, пожалуйста.")
        await world.run_until(
            lambda: (
                _status(world) == "reopened"
                or any("не добавлено" in s for s in world.subjects_to(DOCTOR))
            )
        )
        await world.settle(60.0, 10.0)
        assert _status(world) == status


@pytest.mark.parametrize("notify", [True, False])
async def test_r12_taken_into_work_notice_setting(tmp_path: Path, notify: bool) -> None:
    """R12 `regulation.notify_taken_into_work`: the requester is told when a person takes the
    request into work (default), or not."""
    config: dict[str, Any] = {"regulation": {"notify_taken_into_work": notify}}
    async with running_world(tmp_path, config=config) as world:
        await _registered(world, "Не строится отчёт")
        world.tracker.transition("SUP-1", "start_progress", by="ivanov")
        await world.settle(60.0, 10.0)
        told = [s for s in world.subjects_to(DOCTOR) if "в работ" in s.lower()]
        assert bool(told) is notify
