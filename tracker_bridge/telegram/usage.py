"""The command vocabulary: names, help and usage texts, and parsing of commands and prompts.

python-telegram-bot's ``CommandHandler`` recognises ``/name`` and ``/name@bot`` (ignoring commands
for other bots); :func:`command_arguments` is the text after it (which may span lines). Button
presses that need text (``info``, ``comment``) post a prompt; a reply to it (known by the prompt's
message id) is read as the matching command.
"""

from __future__ import annotations

__all__ = ["ACTING", "BOT_COMMANDS", "HELP", "PROMPTS", "USAGE", "command_arguments"]

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


def command_arguments(text: str) -> str:
    """The arguments of a command message: everything after the ``/name`` (or ``/name@bot``)
    and the white space that follows it, line breaks inside kept."""
    parts = text.strip().split(maxsplit=1)
    return parts[1] if len(parts) == 2 else ""
