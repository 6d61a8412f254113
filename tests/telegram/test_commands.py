"""Commands and buttons → actions (pure): authorization, every command, usage, prompts."""

from __future__ import annotations

import pytest

from tests.telegram.conftest import (
    ACCESS,
    CHAT,
    CHAT_TWO,
    NOW,
    POLICY,
    STRANGER,
    STRANGER_CHAT,
    SUPPORT,
    a_view,
    cal,
)
from tracker_bridge.regulation.actions import (
    AddComment,
    CreateIssue,
    SetFields,
    Transition,
    unique_for,
)
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.telegram.commands import (
    Incoming,
    Prompt,
    Reply,
    Situation,
    handle_answer,
    handle_button,
    handle_command,
)
from tracker_bridge.telegram.text import CardSettings
from tracker_bridge.telegram.usage import command_arguments
from tracker_bridge.testing.fake_telegram.html import parse_html

VIEWS = (
    a_view(),
    a_view("SUP-2", status=Status.IN_PROGRESS, summary="Отчёт & <выгрузка>"),
    a_view("SUP-3", status=Status.CLOSED),
    a_view("CL2-1", customer="clinic-two"),
)
SIT = Situation(VIEWS, NOW, cal(), POLICY, CardSettings())
EVENT = f"tg:{CHAT}:42"


def say(text: str, *, user: int = SUPPORT, chat: int = CHAT, sit: Situation = SIT) -> Reply:
    """``text`` as python-telegram-bot's CommandHandler for its command hands it over."""
    name = text.split(maxsplit=1)[0].removeprefix("/").partition("@")[0]
    author = "Иван Иванов" if user == SUPPORT else "Пётр"
    incoming = Incoming(chat, user, author, text, EVENT)
    return handle_command(incoming, name, command_arguments(text), ACCESS, sit)


def answer(text: str, prompt: Prompt | None, *, user: int = SUPPORT) -> Reply | None:
    """``text`` written as a reply to a bot message that was ``prompt`` (``None``: another one)."""
    author = "Иван Иванов" if user == SUPPORT else "Пётр"
    return handle_answer(Incoming(CHAT, user, author, text, EVENT, prompt), ACCESS, SIT)


def press(data: str, *, user: int = SUPPORT, chat: int = CHAT) -> Reply:
    author = "Иван Иванов" if user == SUPPORT else "Пётр"
    return handle_button(Incoming(chat, user, author, data, "tgcb:900"), ACCESS, SIT)


def text_of(reply: Reply) -> str:
    assert reply.html is not None
    plain, _ = parse_html(reply.html)
    return plain


class TestActing:
    def test_r5_take_assigns_and_moves_to_work(self) -> None:
        """R5: /take KEY assigns the request to the caller's login and moves it to work."""
        reply = say("/take SUP-1")
        assert reply.actions == (
            SetFields("SUP-1", {"assignee": "ivanov"}, event=EVENT),
            Transition("SUP-1", Status.IN_PROGRESS, event_id=EVENT),
        )
        assert text_of(reply) == "✅ SUP-1 взята в работу: ivanov."

    def test_take_of_a_request_already_in_work_only_reassigns(self) -> None:
        """A request already in work is only reassigned: no transition to the same status."""
        assert say("/take sup-2").actions == (
            SetFields("SUP-2", {"assignee": "ivanov"}, event=EVENT),
        )

    def test_r8_info_comments_and_requests_information(self) -> None:
        """R8: /info KEY text adds the question (signed) and moves to 'info requested'."""
        reply = say("/info SUP-1 Пришлите номер\nамбулаторной карты")
        assert reply.actions == (
            AddComment(
                "SUP-1",
                "Иван Иванов (Telegram): Пришлите номер\nамбулаторной карты",
                source_id=EVENT,
            ),
            Transition("SUP-1", Status.INFO_REQUESTED, event_id=EVENT),
        )

    def test_comment_adds_a_signed_comment(self) -> None:
        """/comment KEY text adds a comment naming its Telegram author."""
        reply = say("/comment@fake_bot SUP-1 Исправление выложено на тест")
        assert reply.actions == (
            AddComment(
                "SUP-1", "Иван Иванов (Telegram): Исправление выложено на тест", source_id=EVENT
            ),
        )

    def test_r5_new_registers_an_urgent_request_for_the_chat_customer(self) -> None:
        """R5: /new text creates an urgent request in the chat customer's queue, once."""
        [action] = say("/new Не печатается выписка\nв хирургии с утра").actions
        assert action == CreateIssue(
            unique=unique_for("clinic-one", EVENT),
            customer="clinic-one",
            queue="SUP",
            summary="Не печатается выписка",
            description="Не печатается выписка\nв хирургии с утра\n\n— Иван Иванов (Telegram)",
            requester="",
            source_message_id=EVENT,
            priority="critical",
            tags=("telegram",),
        )


class TestReading:
    def test_help_lists_the_commands(self) -> None:
        """/help (and /start) explain every command, to anyone in a configured chat."""
        for command in ("/help", "/start"):
            text = text_of(say(command, user=STRANGER))
            assert all(f"/{name}" in text for name in ("sla", "status", "take", "info", "new"))

    def test_sla_lists_this_chats_open_requests_with_deadlines(self) -> None:
        """/sla lists the chat customer's open requests only, with deadlines."""
        text = text_of(say("/sla", user=STRANGER))
        lines = text.splitlines()
        assert lines[0] == "Открытые заявки: 2"
        assert lines[1].startswith(
            "• SUP-1 Не открывается карта пациента — Открыто, срок взятия в работу 05.03"
        )
        assert "SUP-2 Отчёт & <выгрузка>" in lines[2]
        assert "CL2-1" not in text and "SUP-3" not in text

    def test_status_shows_the_card(self) -> None:
        """/status KEY answers with the request's card."""
        assert "Статус: В работе" in text_of(say("/status SUP-2", user=STRANGER))

    def test_other_customers_request_is_not_found(self) -> None:
        """A key of another customer's request is not shown or acted on from this chat."""
        reply = say("/take CL2-1")
        assert reply.refused and not reply.actions
        assert text_of(reply) == "Заявка CL2-1 не найдена среди заявок этого чата."

    def test_closed_request_is_refused(self) -> None:
        """Acting on a closed request is refused."""
        assert text_of(say("/comment SUP-3 ещё")) == "Заявка SUP-3 уже закрыта."

    def test_a_finished_request_not_in_memory_is_refused_as_closed(self) -> None:
        """A finished request (dropped from the views) is still "already closed" for its own
        customer's chat, and unknown to another customer's."""
        finished = {"SUP-9": "clinic-one", "CL2-9": "clinic-two"}
        sit = Situation(VIEWS, NOW, cal(), POLICY, CardSettings(), finished.get)
        reply = say("/take SUP-9", sit=sit)
        assert reply.refused and not reply.actions
        assert text_of(reply) == "Заявка SUP-9 уже закрыта."
        other = say("/take CL2-9", sit=sit)
        assert other.refused
        assert text_of(other) == "Заявка CL2-9 не найдена среди заявок этого чата."


class TestAuthorization:
    @pytest.mark.parametrize(
        "command", ["/take SUP-1", "/info SUP-1 вопрос", "/comment SUP-1 x", "/new текст"]
    )
    def test_acting_commands_refused_to_unmapped_users(self, command: str) -> None:
        """Acting commands from a Telegram user with no Tracker login: refusal, no actions."""
        reply = say(command, user=STRANGER)
        assert reply.refused and reply.actions == ()
        assert "не привязан к логину Tracker" in text_of(reply)

    def test_commands_refused_in_unconfigured_chat(self) -> None:
        """Any command in a chat that is not configured: refusal naming the chat id."""
        reply = say("/sla", chat=STRANGER_CHAT)
        assert reply.refused and reply.actions == ()
        assert text_of(reply) == (
            f"⛔ Этот чат (id {STRANGER_CHAT}) не подключён к поддержке: команды здесь не работают."
        )

    def test_same_key_from_the_other_customers_chat_is_theirs(self) -> None:
        """In clinic-two's chat only clinic-two's requests are visible."""
        reply = say("/take CL2-1", chat=CHAT_TWO)
        assert reply.actions[0] == SetFields("CL2-1", {"assignee": "ivanov"}, event=EVENT)


class TestUsage:
    @pytest.mark.parametrize(
        ("command", "usage"),
        [
            ("/take", "/take KEY"),
            ("/take SUP-1 лишнее", "/take KEY"),
            ("/take карта", "/take KEY"),
            ("/info SUP-1", "/info KEY текст"),
            ("/info", "/info KEY текст"),
            ("/comment SUP-1   ", "/comment KEY текст"),
            ("/new", "/new текст"),
            ("/status", "/status KEY"),
        ],
    )
    def test_malformed_arguments_get_the_usage(self, command: str, usage: str) -> None:
        """Missing or malformed arguments: the command's usage, no actions."""
        reply = say(command)
        assert reply.actions == ()
        assert text_of(reply).startswith(f"Использование: {usage}")

    @pytest.mark.parametrize(
        ("text", "arguments"),
        [
            ("/new Не печатается\nвыписка ", "Не печатается\nвыписка"),
            ("/take@fake_bot   SUP-1", "SUP-1"),
            ("/sla", ""),
        ],
    )
    def test_the_arguments_are_the_text_after_the_command(self, text: str, arguments: str) -> None:
        """After ``/name`` or ``/name@bot`` and its spaces; line breaks inside are kept."""
        assert command_arguments(text) == arguments

    def test_a_reply_to_a_bot_message_that_is_no_prompt_is_ignored(self) -> None:
        """Only a reply to a prompt the bot posted (known by its message id) is a command; the
        text of the replied message counts for nothing."""
        assert answer("❓ Вопрос заказчику по SUP-1: ничего", None) is None


class TestButtons:
    def test_r5_take_button_acts_like_the_command(self) -> None:
        """R5: the take button assigns and moves to work, with the callback id as event."""
        reply = press("take:SUP-1")
        assert reply.actions == (
            SetFields("SUP-1", {"assignee": "ivanov"}, event="tgcb:900"),
            Transition("SUP-1", Status.IN_PROGRESS, event_id="tgcb:900"),
        )
        assert reply.notice == "✅ SUP-1 взята в работу: ivanov." and reply.html is None

    @pytest.mark.parametrize(("verb", "start"), [("info", "❓"), ("comment", "💬")])
    def test_info_and_comment_buttons_ask_for_the_text(self, verb: str, start: str) -> None:
        """info/comment buttons post a force-reply prompt naming the key; no action yet."""
        reply = press(f"{verb}:SUP-1")
        assert reply.prompt == Prompt(verb, "SUP-1") and reply.actions == ()
        assert text_of(reply).startswith(f"{start} ") and "SUP-1" in text_of(reply)

    def test_answer_to_the_info_prompt_is_the_info_command(self) -> None:
        """A reply to the bot's info prompt becomes /info KEY text."""
        reply = answer("Какая версия браузера?", press("info:SUP-1").prompt)
        assert reply is not None
        assert reply.actions[1] == Transition("SUP-1", Status.INFO_REQUESTED, event_id=EVENT)

    def test_buttons_refused_to_unmapped_users(self) -> None:
        """A button pressed by someone without a Tracker login: a refusal toast, no actions."""
        reply = press("take:SUP-1", user=STRANGER)
        assert reply.refused and reply.actions == ()
        assert reply.notice is not None and "не привязан к логину Tracker" in reply.notice

    def test_unknown_button_data_is_refused(self) -> None:
        """Data the bridge never made (old or forged buttons): refused, nothing done."""
        reply = press("delete:SUP-1")
        assert reply.refused and reply.actions == ()


def test_button_toast_is_plain_text_with_user_text_unescaped() -> None:
    """A refusal toast (plain text) shows the author's name as written, not as HTML entities."""
    press = Incoming(CHAT, STRANGER, "<Вася & Co>", "take:SUP-1", "tgcb:1")
    reply = handle_button(press, ACCESS, SIT)
    assert reply.notice is not None and reply.notice.startswith("⛔ <Вася & Co>, это действие")
