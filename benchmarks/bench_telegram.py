"""Telegram cards under rate limits: 100 urgent requests change at once (R5).

Real time, real HTTP: python-telegram-bot against FakeTelegram on the system clock, with the
fake answering 429 + ``retry_after`` like Telegram's flood control (20 messages a minute per
group, 30 a second overall). 100 cards already sit in 5 group chats (20 each, posted before the
limits are switched on); then every request changes at once — in the second scenario three
times in a burst — and we time until every ``upsert_card`` returned, then check on the fake that
every card shows the latest state. ``upsert_card`` raises if a 429 was left unhandled, so a
finished run means none was. Baseline, same run: the same updates with no limits anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta

from structlog.testing import capture_logs

from benchmarks._timing import Row, table
from tracker_bridge.foundation.clock import SystemClock
from tracker_bridge.regulation.actions import TelegramCard
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import Customer, IssueView
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.telegram.commands import Access
from tracker_bridge.telegram.mirror import MirrorSettings, TelegramMirror
from tracker_bridge.testing.fake_telegram import FakeTelegram

TITLE = "Telegram cards under rate limits"
TOKEN = "123456:bench"
CHATS = 5
PER_CHAT = 20
REPEATS = 3


@dataclass(frozen=True)
class Outcome:
    seconds: float
    edits: int
    floods: int  # 429 answers the fake gave (each one retried after retry_after)


def _customers() -> list[Customer]:
    return [
        Customer(
            f"clinic-{c}", frozenset({f"c{c}@vendor.example"}), "SUP", telegram_chat_id=-1000 - c
        )
        for c in range(CHATS)
    ]


def _view(n: int, status: Status, summary: str) -> IssueView:
    created = SystemClock().now() - timedelta(hours=2)
    return IssueView(
        f"SUP-{n}", f"clinic-{n % CHATS}", "r@clinic.example", created, status, "critical", summary
    )


@dataclass
class _World:
    tg: FakeTelegram
    customers: list[Customer]
    store: MemoryStore
    cal: WorkCalendar

    def mirror(self, *, paced: bool) -> TelegramMirror:
        settings = MirrorSettings.from_base(
            TOKEN,
            self.tg.url + "/bot",
            overall_per_second=30 if paced else 0,
            group_per_minute=20 if paced else 0,
            max_retries=10,
            connections=4,  # FakeTelegram's HTTP/1.0 server has a listen backlog of 5
        )
        return TelegramMirror(
            settings,
            access=Access.from_customers(self.customers, {}),
            cards=self.store,
            clock=SystemClock(),
            calendar=self.cal,
            policy=Policy(),
            views={},
            on_actions=_ignore,
        )

    def chat_ids(self) -> list[int]:
        return [c.telegram_chat_id for c in self.customers if c.telegram_chat_id is not None]


def _cards() -> list[TelegramCard]:
    return [TelegramCard(f"SUP-{n}", f"clinic-{n % CHATS}", "f") for n in range(CHATS * PER_CHAT)]


async def _update_all(mirror: TelegramMirror, status: Status, bursts: int) -> None:
    """Every card changes ``bursts`` times, all fired at once."""
    await asyncio.gather(
        *(
            mirror.upsert_card(card, _view(n, status, f"версия {burst}"))
            for burst in range(bursts)
            for n, card in enumerate(_cards())
        )
    )


async def _post_cards(world: _World) -> None:
    """The 100 cards as they were before the change (posted before the limits are on)."""
    setup = world.mirror(paced=False)
    await setup.start(polling=False)
    await _update_all(setup, Status.OPEN, 1)
    await setup.stop()


def _check(world: _World, bursts: int) -> None:
    """Every card shows the last version: nothing lost, nothing left behind."""
    for chat_id in world.chat_ids():
        messages = world.tg.bot_messages(chat_id)
        assert len(messages) == PER_CHAT
        for message in messages:
            assert message.text.splitlines()[1] == f"версия {bursts - 1}", message.text
            assert "Статус: В работе" in message.text


async def _scenario(*, limited: bool, paced: bool, bursts: int) -> Outcome:
    with FakeTelegram() as tg:
        world = _World(tg, _customers(), MemoryStore(), WorkCalendar.default())
        for chat_id in world.chat_ids():
            tg.add_chat(chat_id)
        await _post_cards(world)
        if limited:
            tg.rate_limit(per_chat_per_minute=20, global_per_second=30)
        measured = world.mirror(paced=paced)  # a restart: same card store, same messages
        await measured.start(polling=False)
        started = time.perf_counter()
        await _update_all(measured, Status.IN_PROGRESS, bursts)
        seconds = time.perf_counter() - started
        await measured.stop()
        _check(world, bursts)
        edits = sum(m.edits for m in tg.sent)
        floods = sum(1 for call in tg.requests if call.error_code == 429)
    return Outcome(seconds, edits, floods)


async def _ignore(*_args: object) -> None:
    return None


def _median(*, limited: bool, paced: bool, bursts: int) -> Outcome:
    runs = []
    with capture_logs():  # one log line per card would drown the table
        for _ in range(REPEATS):
            runs.append(asyncio.run(_scenario(limited=limited, paced=paced, bursts=bursts)))
    seconds = statistics.median(r.seconds for r in runs)
    return Outcome(seconds, max(r.edits for r in runs), max(r.floods for r in runs))


def run() -> str:
    with contextlib.ExitStack() as stack:
        if "PTB_TIMEDELTA" not in os.environ:
            os.environ["PTB_TIMEDELTA"] = "true"
            stack.callback(os.environ.pop, "PTB_TIMEDELTA")
        base = _median(limited=False, paced=False, bursts=1)
        paced = _median(limited=True, paced=True, bursts=1)
        reactive = _median(limited=True, paced=False, bursts=1)
        burst_base = _median(limited=False, paced=False, bursts=3)
        burst = _median(limited=True, paced=True, bursts=3)
    paced_floor = (CHATS * PER_CHAT - 1) / 30  # one message every 1/30 s

    def row(what: str, o: Outcome, ref: Outcome, goal: str) -> Row:
        value = f"{o.seconds:.2f} s ({o.edits} edits, ≤ {o.floods} × 429 retried a run)"
        verdict = "every card shows the latest state; no 429 left unhandled"
        return Row(what, value, goal, f"{ref.seconds:.2f} s, no limits", verdict)

    rows = [
        row(
            "100 cards change at once, paced (production settings)",
            paced,
            base,
            f"≈ {paced_floor:.1f} s (30 msg/s), no 429",
        ),
        row("same, pacing off: only 429 + retry_after", reactive, base, "all delivered"),
        row(
            "100 cards change 3× in a burst, paced, edits coalesced",
            burst,
            burst_base,
            "100 edits, not 300",
        ),
    ]
    note = (
        f"Real time (SystemClock, real HTTP), median of {REPEATS} runs; {CHATS} group chats × "
        f"{PER_CHAT} cards; Telegram's limits emulated by FakeTelegram (20/min per chat, 30/s "
        "overall, 429 + retry_after beyond). The time runs from firing all updates until every "
        "`upsert_card` returned; the fake's record is then checked card by card. Without "
        "coalescing, three changes per card would be 60 edits per chat: three times the 20/min "
        "limit, so at least two minutes. Baseline rows: the same updates, no limits and no "
        "pacing; they mostly measure the fake (one TCP connection per request)."
    )
    return table(rows) + "\n" + note + "\n"
