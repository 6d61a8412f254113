"""R5: support's commands and card buttons → regulation actions (pure; never calls Tracker).

Commands work only in configured chats (chat id → customer). Reading ones (/help, /sla,
/status) answer anyone in such a chat; acting ones (/take, /info, /comment, /new and the card
buttons) only Telegram users mapped to a Tracker login; everyone else gets a clear refusal and
no action. Tracker writes comments as the bridge's robot, so a comment from Telegram names its
author in the text. Event ids come from the chat and message (or callback query) ids, so a
redelivered update yields the same idempotency keys.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from tracker_bridge.regulation.actions import (
    Action,
    AddComment,
    CreateIssue,
    SetFields,
    Transition,
    unique_for,
)
from tracker_bridge.regulation.model import Customer, IssueView
from tracker_bridge.regulation.sla import ClockReading, Clocks, read_clocks
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.telegram.callbacks import KEY_PATTERN, decode
from tracker_bridge.telegram.cards import render_card
from tracker_bridge.telegram.context import Access, Incoming, Prompt, Reply, Situation
from tracker_bridge.telegram.text import clip, deadline_text, esc, issue_link
from tracker_bridge.telegram.usage import ACTING, HELP, PROMPTS, USAGE

__all__ = [
    "COMMAND_NAMES",
    "Access",
    "Incoming",
    "Prompt",
    "Reply",
    "Situation",
    "handle_answer",
    "handle_button",
    "handle_command",
]

_KEY = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class _Ctx:
    msg: Incoming
    customer: Customer
    login: str | None
    sit: Situation
    access: Access


def handle_command(msg: Incoming, name: str, args: str, access: Access, sit: Situation) -> Reply:
    """The answer to the command ``name`` (one of :data:`COMMAND_NAMES`, as python-telegram-bot's
    ``CommandHandler`` matched it) with its ``args``, the text after the command."""
    ctx_or_refusal = _context(msg, access, sit, acting=name in ACTING)
    if isinstance(ctx_or_refusal, Reply):
        return ctx_or_refusal
    return _COMMANDS[name](ctx_or_refusal, args)


def handle_answer(msg: Incoming, access: Access, sit: Situation) -> Reply | None:
    """A reply to one of the bot's prompts (``msg.answers``) is that prompt's command on its
    issue, with the reply as the text; ``None`` for a reply to anything else."""
    if msg.answers is None:
        return None
    return handle_command(
        msg, msg.answers.verb, f"{msg.answers.key} {msg.text.strip()}", access, sit
    )


def handle_button(press: Incoming, access: Access, sit: Situation) -> Reply:
    """A card button: ``take`` acts at once; ``info``/``comment`` ask for the text."""
    decoded = decode(press.text)
    if decoded is None:
        return Reply(notice="Эта кнопка устарела.", refused=True)
    verb, key = decoded
    ctx = _context(press, access, sit, acting=True)
    if isinstance(ctx, Reply):
        return Reply(notice=_plain(ctx.html or ""), refused=True)
    if verb == "take":
        reply = _take(ctx, key)
        return Reply(notice=_plain(reply.html or ""), actions=reply.actions, refused=reply.refused)
    found = _find(ctx, key)
    if isinstance(found, Reply):
        return Reply(notice=_plain(found.html or ""), refused=True)
    # the mention makes the selective force-reply open for the one who pressed
    mention = f'<a href="tg://user?id={press.user_id}">{esc(press.author)}</a>'
    prompt = f"{esc(PROMPTS[verb].format(key=key))} — {mention}"
    notice = "Напишите текст ответом на сообщение бота."
    return Reply(html=prompt, notice=notice, prompt=Prompt(verb, key))


def _plain(markup: str) -> str:
    """A button toast is plain text of at most 200 characters."""
    return clip(html.unescape(re.sub(r"<[^>]*>", "", markup)), 190)


def _context(msg: Incoming, access: Access, sit: Situation, *, acting: bool) -> _Ctx | Reply:
    customer = access.chats.get(msg.chat_id)
    if customer is None:
        text = (
            f"⛔ Этот чат (id {msg.chat_id}) не подключён к поддержке: команды здесь не работают."
        )
        return Reply(html=text, refused=True)
    login = access.logins.get(msg.user_id)
    if acting and login is None:
        text = (
            f"⛔ {esc(msg.author)}, это действие доступно только сотрудникам поддержки: "
            f"ваш Telegram id {msg.user_id} не привязан к логину Tracker."
        )
        return Reply(html=text, refused=True)
    return _Ctx(msg, customer, login, sit, access)


def _find(ctx: _Ctx, key: str) -> IssueView | Reply:
    """The open request ``key`` of this chat's customer, or the refusal to show."""
    for view in ctx.sit.views:
        if view.key == key and view.customer == ctx.customer.name:
            if view.status.is_terminal:
                return Reply(html=f"Заявка {esc(key)} уже закрыта.", refused=True)
            return view
    if ctx.sit.finished(key) == ctx.customer.name:
        return Reply(html=f"Заявка {esc(key)} уже закрыта.", refused=True)
    return Reply(html=f"Заявка {esc(key)} не найдена среди заявок этого чата.", refused=True)


def _key_and_text(args: str) -> tuple[str, str] | None:
    head, _, rest = args.strip().partition(" ")
    key = head.strip().upper()
    if not _KEY.fullmatch(key):
        return None
    return key, rest.strip()


def _usage(name: str) -> Reply:
    return Reply(html=f"Использование: {esc(USAGE[name])}", refused=True)


def _signed(ctx: _Ctx, text: str) -> str:
    return f"{ctx.msg.author} (Telegram): {text}"


def _help(ctx: _Ctx, _args: str) -> Reply:
    return Reply(html=HELP)


def _status(ctx: _Ctx, args: str) -> Reply:
    parsed = _key_and_text(args)
    if parsed is None or parsed[1]:
        return _usage("status")
    found = _find(ctx, parsed[0])
    if isinstance(found, Reply):
        return found
    sit = ctx.sit
    clocks = read_clocks(found, sit.now, sit.cal, sit.policy)
    return Reply(html=render_card(found, clocks, sit.now, sit.cal, sit.cards).html)


def _sla(ctx: _Ctx, _args: str) -> Reply:
    sit = ctx.sit
    mine = [v for v in sit.views if v.customer == ctx.customer.name and not v.status.is_terminal]
    if not mine:
        return Reply(html="Открытых заявок нет.")
    readings = [(v, _nearest(read_clocks(v, sit.now, sit.cal, sit.policy))) for v in mine]
    readings.sort(key=lambda pair: (pair[1] is None, pair[1].deadline if pair[1] else sit.now))
    lines = [f"<b>Открытые заявки: {len(mine)}</b>"]
    for view, reading in readings[: sit.cards.list_limit]:
        name = reading.kind.title_ru if reading else "срок"
        lines.append(
            f"• {issue_link(view.key, sit.cards)} {esc(clip(view.summary, 60))} — "
            f"{esc(view.status.title_ru)}, {name} {deadline_text(reading, sit.now, sit.cal)}"
        )
    if len(readings) > sit.cards.list_limit:
        lines.append(f"…и ещё {len(readings) - sit.cards.list_limit}")
    return Reply(html="\n".join(lines))


def _nearest(clocks: Clocks) -> ClockReading | None:
    """The clock whose deadline support owes next: a running one before a finished one."""
    present = clocks.present()
    owed = [r for r in present if r.ended_at is None]
    return min(owed or present, key=lambda r: r.deadline, default=None)


def _take(ctx: _Ctx, args: str) -> Reply:
    parsed = _key_and_text(args)
    if parsed is None or parsed[1]:
        return _usage("take")
    found = _find(ctx, parsed[0])
    if isinstance(found, Reply):
        return found
    login = ctx.login or ""
    actions: list[Action] = [SetFields(found.key, {"assignee": login}, event=ctx.msg.event_id)]
    if found.status is not Status.IN_PROGRESS:
        actions.append(Transition(found.key, Status.IN_PROGRESS, event_id=ctx.msg.event_id))
    text = f"✅ {esc(found.key)} взята в работу: {esc(login)}."
    return Reply(html=text, actions=tuple(actions))


def _info(ctx: _Ctx, args: str) -> Reply:
    parsed = _key_and_text(args)
    if parsed is None or not parsed[1]:
        return _usage("info")
    found = _find(ctx, parsed[0])
    if isinstance(found, Reply):
        return found
    event = ctx.msg.event_id
    actions: tuple[Action, ...] = (
        AddComment(found.key, _signed(ctx, parsed[1]), source_id=event),
        Transition(found.key, Status.INFO_REQUESTED, event_id=event),
    )
    text = f"✅ {esc(found.key)}: вопрос отправлен заказчику, статус «Запрошена информация»."
    return Reply(html=text, actions=actions)


def _comment(ctx: _Ctx, args: str) -> Reply:
    parsed = _key_and_text(args)
    if parsed is None or not parsed[1]:
        return _usage("comment")
    found = _find(ctx, parsed[0])
    if isinstance(found, Reply):
        return found
    action = AddComment(found.key, _signed(ctx, parsed[1]), source_id=ctx.msg.event_id)
    return Reply(html=f"✅ Комментарий к {esc(found.key)} добавлен.", actions=(action,))


def _new(ctx: _Ctx, args: str) -> Reply:
    text = args.strip()
    if not text:
        return _usage("new")
    customer, event = ctx.customer, ctx.msg.event_id
    action = CreateIssue(
        unique=unique_for(customer.name, event),
        customer=customer.name,
        queue=customer.queue,
        summary=clip(text.splitlines()[0], 200),
        description=f"{text}\n\n— {ctx.msg.author} (Telegram)",
        requester="",
        source_message_id=event,
        priority=ctx.access.new_priority,
        component=customer.component,
        tags=(customer.tag,) if customer.tag else (),
    )
    done = "✅ Срочная заявка зарегистрирована: карточка появится здесь."
    return Reply(html=done, actions=(action,))


_COMMANDS: dict[str, Callable[[_Ctx, str], Reply]] = {
    "help": _help,
    "start": _help,
    "sla": _sla,
    "status": _status,
    "take": _take,
    "info": _info,
    "comment": _comment,
    "new": _new,
}
# what python-telegram-bot's CommandHandlers are registered for; any other command is ignored
COMMAND_NAMES: tuple[str, ...] = tuple(_COMMANDS)
