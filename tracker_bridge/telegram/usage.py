"""The command vocabulary: names, help and usage texts, and parsing of commands and prompts.

A command is ``/name`` or ``/name@bot`` followed by arguments (which may span lines). Button
presses that need text (``info``, ``comment``) post a prompt; the answer to it, written as a reply,
is read here as if it were the matching command.
"""

from __future__ import annotations

import re

from tracker_bridge.telegram.callbacks import KEY_PATTERN

__all__ = ["ACTING", "BOT_COMMANDS", "HELP", "PROMPTS", "USAGE", "parse_command", "parse_prompt"]

ACTING = frozenset({"take", "info", "comment", "new"})
USAGE: dict[str, str] = {
    "status": "/status KEY, например /status SUP-1",
    "take": "/take KEY, например /take SUP-1",
    "info": "/info KEY текст вопроса, например /info SUP-1 Пришлите номер карты",
    "comment": "/comment KEY текст, например /comment SUP-1 Исправление на тесте",
    "new": "/new текст заявки, например /new Не печатается выписка",
}
BOT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "Что умеет бот"),
    ("sla", "Открытые заявки и сроки"),
    ("status", "Карточка заявки: /status KEY"),
    ("take", "Взять в работу: /take KEY"),
    ("info", "Запросить информацию: /info KEY текст"),
    ("comment", "Комментарий: /comment KEY текст"),
    ("new", "Новая срочная заявка: /new текст"),
)
HELP = "\n".join(
    [
        "<b>Команды поддержки</b>",
        "/sla — открытые заявки этого чата и их сроки",
        "/status KEY — карточка заявки",
        "/take KEY — назначить на себя и взять в работу",
        "/info KEY текст — вопрос заказчику, статус «Запрошена информация»",
        "/comment KEY текст — комментарий в заявку",
        "/new текст — зарегистрировать срочную заявку",
        "Действия доступны сотрудникам, привязанным к логину Tracker; кнопки на карточках "
        "делают то же самое.",
    ]
)
PROMPTS: dict[str, str] = {
    "info": "❓ Вопрос заказчику по {key}: напишите его ответом на это сообщение.",
    "comment": "💬 Комментарий к {key}: напишите его ответом на это сообщение.",
}
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?:\s+(.*))?", re.DOTALL)
_PROMPT_KEYS = {
    verb: re.compile(re.escape(text.split("{key}")[0]) + f"({KEY_PATTERN}):")
    for verb, text in PROMPTS.items()
}


def parse_command(text: str, bot_username: str | None) -> tuple[str, str] | None:
    """``(name, arguments)`` of a command for this bot; ``None`` for anything else."""
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return None
    name, addressee, args = match.groups()
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None  # addressed to another bot in the same group
    return name.lower(), args or ""


def parse_prompt(prompt: str, answer: str) -> tuple[str, str] | None:
    """An answer to the bot's ``info``/``comment`` prompt, read as that command."""
    for verb, pattern in _PROMPT_KEYS.items():
        match = pattern.match(prompt)
        if match:
            return verb, f"{match.group(1)} {answer.strip()}"
    return None
