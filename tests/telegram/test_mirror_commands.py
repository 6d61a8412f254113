"""Commands and buttons through a polling mirror: actions handed to the daemon, answers in chat."""

from __future__ import annotations

import pytest

from tests.telegram.conftest import (
    CHAT,
    STRANGER,
    STRANGER_CHAT,
    SUPPORT,
    Recorder,
    a_view,
)
from tracker_bridge.regulation.actions import (
    AddComment,
    CreateIssue,
    SetFields,
    TelegramCard,
    Transition,
)
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.telegram.errors import ChatUnavailable
from tracker_bridge.telegram.handlers import FAILED
from tracker_bridge.telegram.mirror import TelegramMirror
from tracker_bridge.testing.fake_telegram import FakeMessage, FakeTelegram
from tracker_bridge.testing.waiting import eventually

CARD = TelegramCard("SUP-1", "clinic-one", "fp")


async def answer_to(tg: FakeTelegram, sent: FakeMessage) -> FakeMessage:
    """Wait for the bot's reply to ``sent``."""

    def replies() -> list[FakeMessage]:
        return [m for m in tg.bot_messages(sent.chat_id) if m.reply_to == sent.message_id]

    await eventually(lambda: bool(replies()), 5)
    return replies()[0]


async def test_r5_take_command_hands_actions_to_the_daemon_and_confirms(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """R5: /take in the clinic's chat → assign + in work for the daemon, then a confirmation."""
    sent = tg.inject_command(CHAT, SUPPORT, "/take@fake_bot SUP-1")
    reply = await answer_to(tg, sent)
    event = f"tg:{CHAT}:{sent.message_id}"
    assert recorder.batches == [
        (
            [
                SetFields("SUP-1", {"assignee": "ivanov"}, event=event),
                Transition("SUP-1", Status.IN_PROGRESS, event_id=event),
            ],
            "clinic-one",
        )
    ]
    assert reply.text == "✅ SUP-1 взята в работу: ivanov."


async def test_r5_take_button_acts_and_answers_the_press(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """R5: the take button on the card hands the same actions over and answers with a toast."""
    card_id = await polling.upsert_card(CARD, a_view())
    query = tg.inject_callback(CHAT, SUPPORT, card_id, "take:SUP-1")
    await eventually(lambda: bool(tg.callback_answers), 5)
    [answer] = tg.callback_answers
    assert (answer.query_id, answer.text, answer.show_alert) == (
        query,
        "✅ SUP-1 взята в работу: ivanov.",
        False,
    )
    assert recorder.actions == [
        SetFields("SUP-1", {"assignee": "ivanov"}, event=f"tgcb:{query}"),
        Transition("SUP-1", Status.IN_PROGRESS, event_id=f"tgcb:{query}"),
    ]


async def test_r8_info_button_prompts_and_the_reply_requests_information(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """R8: the info button posts a force-reply prompt; the answer to it becomes /info."""
    card_id = await polling.upsert_card(CARD, a_view())
    tg.inject_callback(CHAT, SUPPORT, card_id, "info:SUP-1")
    await eventually(lambda: len(tg.bot_messages(CHAT)) == 2, 5)
    prompt = tg.bot_messages(CHAT)[1]
    assert prompt.reply_markup == {"force_reply": True, "selective": True}
    assert prompt.text.startswith("❓ Вопрос заказчику по SUP-1")
    answer = tg.inject_message(CHAT, SUPPORT, "Какой браузер?", reply_to=prompt.message_id)
    await answer_to(tg, answer)
    event = f"tg:{CHAT}:{answer.message_id}"
    assert recorder.actions == [
        AddComment("SUP-1", "Иван Иванов (Telegram): Какой браузер?", source_id=event),
        Transition("SUP-1", Status.INFO_REQUESTED, event_id=event),
    ]


async def test_unauthorised_user_is_refused_and_nothing_happens(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """An unmapped user's /take and button press: clear refusals, no actions."""
    card_id = await polling.upsert_card(CARD, a_view())
    sent = tg.inject_command(CHAT, STRANGER, "/take SUP-1")
    reply = await answer_to(tg, sent)
    tg.inject_callback(CHAT, STRANGER, card_id, "take:SUP-1")
    await eventually(lambda: bool(tg.callback_answers), 5)
    assert reply.text.startswith("⛔ Пётр, это действие доступно только сотрудникам поддержки")
    assert tg.callback_answers[0].show_alert
    assert "не привязан к логину Tracker" in (tg.callback_answers[0].text or "")
    assert recorder.batches == []


async def test_unconfigured_chat_is_refused(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """Commands in a chat no customer owns are refused, even from support."""
    sent = tg.inject_command(STRANGER_CHAT, SUPPORT, "/take SUP-1")
    reply = await answer_to(tg, sent)
    assert "не подключён к поддержке" in reply.text
    assert recorder.batches == []


async def test_malformed_arguments_get_the_usage(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """/info without text answers with its usage; nothing is handed over."""
    reply = await answer_to(tg, tg.inject_command(CHAT, SUPPORT, "/info SUP-1"))
    assert reply.text.startswith("Использование: /info KEY текст")
    assert recorder.batches == []


async def test_sla_and_status_answer_anyone_in_the_chat(
    tg: FakeTelegram, polling: TelegramMirror
) -> None:
    """/sla and /status are read-only: any member of the clinic's chat gets the answer."""
    sla = await answer_to(tg, tg.inject_command(CHAT, STRANGER, "/sla"))
    status = await answer_to(tg, tg.inject_command(CHAT, STRANGER, "/status SUP-1"))
    assert sla.text.startswith("Открытые заявки: 1\n• SUP-1")
    assert "Срок взятия в работу: 05.03 12:00, осталось 17 ч раб." in status.text


async def test_failed_hand_over_is_told_to_the_chat(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """If the daemon cannot take the actions, the chat hears it failed (no false success)."""
    recorder.fail = True
    reply = await answer_to(tg, tg.inject_command(CHAT, SUPPORT, "/comment SUP-1 текст"))
    assert reply.text == FAILED


async def test_command_menu_is_set_on_start(tg: FakeTelegram, polling: TelegramMirror) -> None:
    """Starting the bot publishes its command menu."""
    assert [c["command"] for c in tg.commands()] == [
        "help",
        "sla",
        "status",
        "take",
        "info",
        "comment",
        "new",
    ]


async def test_kicked_chat_is_restored_by_a_message_from_it(
    tg: FakeTelegram, polling: TelegramMirror
) -> None:
    """A message arriving from a chat marked unavailable means the bot is back in it."""
    await polling.upsert_card(CARD, a_view())
    tg.kick_bot(CHAT)
    with pytest.raises(ChatUnavailable):
        await polling.upsert_card(CARD, a_view(summary="Новая тема"))
    tg.restore_bot(CHAT)  # re-added to the group
    await answer_to(tg, tg.inject_command(CHAT, STRANGER, "/help"))
    assert polling.chat_available(CHAT)
    await polling.upsert_card(CARD, a_view(summary="Новая тема"))
    assert tg.bot_messages(CHAT)[0].text.splitlines()[1] == "Новая тема"


async def test_comment_info_and_new_commands_hand_over_their_actions(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """/comment, /info and /new reach the daemon as the actions the regulation expects."""
    texts = ["/comment SUP-1 Выложили на тест", "/info SUP-1 Какой логин?", "/new Не входит врач"]
    sent = []
    for text in texts:
        message = tg.inject_command(CHAT, SUPPORT, text)
        await answer_to(tg, message)
        sent.append(message)
    events = [f"tg:{CHAT}:{message.message_id}" for message in sent]
    kinds = [[type(action).__name__ for action in batch] for batch, _ in recorder.batches]
    assert kinds == [["AddComment"], ["AddComment", "Transition"], ["CreateIssue"]]
    [comment], [question, _], [created] = (batch for batch, _ in recorder.batches)
    assert comment == AddComment(
        "SUP-1", "Иван Иванов (Telegram): Выложили на тест", source_id=events[0]
    )
    assert isinstance(question, AddComment) and question.source_id == events[1]
    assert isinstance(created, CreateIssue)
    assert (created.customer, created.queue, created.priority, created.source_message_id) == (
        "clinic-one",
        "SUP",
        "critical",
        events[2],
    )


async def test_comment_button_prompt_answer_becomes_a_comment(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """The comment button's prompt, answered by reply, adds a signed comment."""
    card_id = await polling.upsert_card(CARD, a_view())
    tg.inject_callback(CHAT, SUPPORT, card_id, "comment:SUP-1")
    await eventually(lambda: len(tg.bot_messages(CHAT)) == 2, 5)
    prompt = tg.bot_messages(CHAT)[1]
    answer = tg.inject_message(CHAT, SUPPORT, "Обновили справочник", reply_to=prompt.message_id)
    await answer_to(tg, answer)
    assert recorder.actions == [
        AddComment(
            "SUP-1",
            "Иван Иванов (Telegram): Обновили справочник",
            source_id=f"tg:{CHAT}:{answer.message_id}",
        )
    ]


async def test_chatter_unknown_commands_and_other_bots_commands_get_no_answer(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """python-telegram-bot's CommandHandlers route: a command for another bot, a command the
    bridge does not have and plain chatter get no answer and no action (the /help after them
    shows the bot read them all)."""
    ignored = [
        tg.inject_command(CHAT, SUPPORT, "/take@other_bot SUP-1"),
        tg.inject_command(CHAT, SUPPORT, "/unknown"),
        tg.inject_message(CHAT, SUPPORT, "привет"),
    ]
    await answer_to(tg, tg.inject_command(CHAT, STRANGER, "/help"))
    answered = {m.reply_to for m in tg.bot_messages(CHAT)}
    assert answered.isdisjoint(m.message_id for m in ignored)
    assert recorder.batches == []


async def test_a_reply_is_read_by_the_prompts_message_id_not_by_its_wording(
    tg: FakeTelegram, polling: TelegramMirror, recorder: Recorder
) -> None:
    """A reply to a bot message worded exactly like a prompt, but not posted as one, is no
    command; the reply to the prompt the button posted is."""
    lookalike = "❓ Вопрос заказчику по SUP-1: напишите его ответом на это сообщение."
    await polling.send_notice(CHAT, lookalike)
    [notice] = tg.bot_messages(CHAT)
    tg.inject_message(CHAT, SUPPORT, "Это не вопрос", reply_to=notice.message_id)
    card_id = await polling.upsert_card(CARD, a_view())
    tg.inject_callback(CHAT, SUPPORT, card_id, "info:SUP-1")
    await eventually(lambda: len(tg.bot_messages(CHAT)) == 3, 5)
    prompt = tg.bot_messages(CHAT)[2]
    assert prompt.text.startswith(lookalike.partition(":")[0])
    answer = tg.inject_message(CHAT, SUPPORT, "Какой браузер?", reply_to=prompt.message_id)
    await answer_to(tg, answer)
    # only the prompt's answer acted: a question to the customer on SUP-1
    [_, asked] = recorder.actions
    assert asked == Transition(
        "SUP-1", Status.INFO_REQUESTED, event_id=f"tg:{CHAT}:{answer.message_id}"
    )
