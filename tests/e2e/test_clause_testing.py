"""Testing by the clinic through the whole daemon: R11 (browser cache) and R15 (confirmation)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from tests.e2e.harness import CHIEF, DOCTOR, World, running_world, text_of


async def _sent_to_testing(world: World) -> EmailMessage:
    """A request by DOCTOR with CHIEF in copy, fixed and sent to testing; the testing email."""
    world.mail(subject="Не сохраняется шаблон осмотра", body="Логин: ivanova", cc=CHIEF)
    await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
    world.tracker.transition("SUP-1", "start_progress", by="ivanov")
    world.tracker.transition("SUP-1", "send_to_testing", by="ivanov", comment="Исправлено")
    # registered, taken into work (R12), awaiting testing
    await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 3)
    return next(m for m in world.mails_to(DOCTOR) if "готовы к проверке" in str(m["Subject"]))


async def test_r11_the_awaiting_testing_email_reminds_to_clear_the_browser_cache(
    tmp_path: Path,
) -> None:
    """R11/R12: the "awaiting testing" notice asks to refresh the page with the cache cleared."""
    async with running_world(tmp_path) as world:
        testing = await _sent_to_testing(world)
        assert "готовы к проверке" in str(testing["Subject"])
        body = text_of(testing)
        assert "кэш" in body
        assert "Ctrl+Shift+R" in body
        assert "Исправлено" in body


async def test_r15_a_confirmer_confirms_and_support_is_told_it_may_go_to_production(
    tmp_path: Path,
) -> None:
    """R15: "проверено, ошибок нет" from the clinic's responsible person moves the request to
    "verified, no errors" and posts "ready for production" in the Telegram group."""
    async with running_world(tmp_path, telegram=True) as world:
        testing = await _sent_to_testing(world)
        world.reply(testing, "Проверено, ошибок нет. Спасибо!", sender=CHIEF)
        await world.run_until(lambda: world.tracker.issues["SUP-1"].status == "verifiedNoErrors")
        await world.run_until(lambda: any("можно переносить" in t for t in world.chat_texts()))
        (ready,) = [t for t in world.chat_texts() if "можно переносить" in t]
        assert "SUP-1" in ready
        assert any(t.startswith("Проверено, ошибок нет") for t in world.comments("SUP-1"))
        await world.settle(120.0, 10.0)
        assert len([t for t in world.chat_texts() if "можно переносить" in t]) == 1


async def test_r15_a_confirmation_from_someone_not_allowed_is_refused(tmp_path: Path) -> None:
    """R15: the same words from a sender who may not confirm leave the request in testing; the
    reply is kept as a comment, the sender is told, and support is alerted."""
    async with running_world(tmp_path, telegram=True) as world:
        testing = await _sent_to_testing(world)
        world.reply(testing, "Проверено, ошибок нет.", sender=DOCTOR)
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 4)
        refusal = world.mails_to(DOCTOR)[3]
        assert "Подтверждение не принято" in str(refusal["Subject"])
        await world.run_until(lambda: any("не вправе" in t for t in world.chat_texts()))
        await world.settle(60.0, 10.0)
        assert world.tracker.issues["SUP-1"].status == "awaitingTesting"
        assert any(t.startswith("Проверено, ошибок нет") for t in world.comments("SUP-1"))
        assert not any("можно переносить" in t for t in world.chat_texts())


async def test_r15_a_reported_error_sends_the_request_back(tmp_path: Path) -> None:
    """R15/R12: a reply that reports a problem moves the request to "error found", and the
    requester is told it went back to work."""
    async with running_world(tmp_path) as world:
        testing = await _sent_to_testing(world)
        world.reply(testing, "Не работает: шаблон опять пустой после сохранения.", sender=DOCTOR)
        await world.run_until(lambda: world.tracker.issues["SUP-1"].status == "errorFound")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 4)
        assert "Найдена ошибка" in str(world.mails_to(DOCTOR)[3]["Subject"])


async def test_r15_an_unclear_reply_is_kept_as_a_comment_and_support_is_told(
    tmp_path: Path,
) -> None:
    """R15: a reply that neither confirms nor brings corrections (a question) is added as a
    comment and support is alerted in Telegram that a person must read it; R19: the customer
    answered, so the request leaves waiting for them (support owes the answer)."""
    async with running_world(tmp_path, telegram=True) as world:
        testing = await _sent_to_testing(world)
        world.reply(testing, "А где это найти в меню?", sender=CHIEF)
        await world.run_until(lambda: any("Непонятный ответ" in t for t in world.chat_texts()))
        await world.settle(60.0)
        assert world.tracker.issues["SUP-1"].status == "inProgress"
        assert any(t.startswith("А где это найти в меню?") for t in world.comments("SUP-1"))
        assert len(world.mails_to(DOCTOR)) == 3


async def test_r15_a_spoofed_confirmation_changes_nothing_and_support_is_told(
    tmp_path: Path,
) -> None:
    """Issue 17: the responsible person's address in From: is not enough. A confirmation
    whose receiving server found no DKIM/SPF pass for the domain, one with no
    Authentication-Results at all, and one outside the request's thread leave the request in
    testing; each is kept as a comment and support is alerted."""
    async with running_world(tmp_path, telegram=True) as world:
        testing = await _sent_to_testing(world)
        thread = str(testing["Message-ID"])
        subject = f"Re: {testing['Subject']}"
        world.mail(subject=subject, body="Проверено, ошибок нет.", sender=CHIEF,
                   in_reply_to=thread, authentication="fail")  # fmt: skip
        world.mail(subject=subject, body="Проверено, ошибок нет!", sender=CHIEF,
                   in_reply_to=thread, authentication=None)  # fmt: skip
        world.mail(subject=subject, body="Проверено, ошибок нет!!", sender=CHIEF)
        await world.run_until(lambda: len(world.comments("SUP-1")) >= 3)
        await world.settle(60.0, 10.0)
        assert world.tracker.issues["SUP-1"].status == "awaitingTesting"
        assert len([t for t in world.chat_texts() if "Подтверждение не принято" in t]) == 3
        assert not any("можно переносить" in t for t in world.chat_texts())


async def test_r15_without_authentication_results_a_threaded_reply_confirms_when_set_so(
    tmp_path: Path,
) -> None:
    """mail.confirmation_authentication = "thread" (a server that adds no such header): the
    reply in the request's thread is enough; outside the thread it still is not."""
    async with running_world(
        tmp_path, telegram=True, mail={"confirmation_authentication": "thread"}
    ) as world:
        testing = await _sent_to_testing(world)
        world.reply(testing, "Проверено, ошибок нет.", sender=CHIEF, authentication=None)
        await world.run_until(lambda: world.tracker.issues["SUP-1"].status == "verifiedNoErrors")
