"""Fixtures for the Telegram side: a FakeTelegram on a manual clock, views, a card store,
and TelegramMirror instances driven by the real python-telegram-bot against the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.regulation.actions import Action
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import Customer, IssueView, StatusChange
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.telegram.commands import Access
from tracker_bridge.telegram.mirror import CardStore, MirrorSettings, TelegramMirror
from tracker_bridge.testing.fake_telegram import FakeTelegram

TOKEN = "123456:test-token"
CHAT = -1001234567890  # clinic-one's group
CHAT_TWO = -1001234567891  # clinic-two's group
STRANGER_CHAT = -1009999999999  # a group nobody configured
SUPPORT = 501  # mapped to the Tracker login "ivanov"
STRANGER = 777  # a clinic employee, not support
MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 3, 3, 11, 0, tzinfo=MSK)  # a Tuesday, working hours
POLICY = Policy()
CLINIC = Customer(
    name="clinic-one",
    intake_addresses=frozenset({"support-clinic1@vendor.example"}),
    queue="SUP",
    telegram_chat_id=CHAT,
    tag="telegram",
)
CLINIC_TWO = Customer(
    name="clinic-two",
    intake_addresses=frozenset({"support-clinic2@vendor.example"}),
    queue="CL2",
    telegram_chat_id=CHAT_TWO,
)
ACCESS = Access.from_customers([CLINIC, CLINIC_TWO], {SUPPORT: "ivanov"})


_CAL: list[WorkCalendar] = []


def cal() -> WorkCalendar:
    """The default production calendar, built once per session."""
    if not _CAL:
        _CAL.append(WorkCalendar.default())
    return _CAL[0]


def a_view(key: str = "SUP-1", **changes: Any) -> IssueView:
    """An open critical request of clinic-one, created Monday 2 March 12:00 Moscow time.

    A ``status`` other than OPEN is entered on Tuesday at 10:30.
    """
    created = datetime(2026, 3, 2, 12, 0, tzinfo=MSK)
    status = changes.pop("status", Status.OPEN)
    history = [StatusChange(created, Status.OPEN)]
    if status is not Status.OPEN:
        history.append(StatusChange(datetime(2026, 3, 3, 10, 30, tzinfo=MSK), status))
    base: dict[str, Any] = {
        "key": key,
        "customer": CLINIC.name,
        "requester": "doctor@clinic1.example",
        "created_at": created,
        "status": status,
        "priority": "critical",
        "summary": "Не открывается карта пациента",
        "fields": {"department": "Хирургия"},
        "status_history": tuple(history),
    }
    return IssueView(**(base | changes))


@dataclass
class Recorder:
    """The daemon's ``on_actions``: records every batch; ``fail`` makes it raise."""

    batches: list[tuple[list[Action], str]] = field(default_factory=list)
    fail: bool = False

    async def __call__(self, actions: Sequence[Action], customer: str) -> None:
        if self.fail:
            raise RuntimeError("effects are down")
        self.batches.append((list(actions), customer))

    @property
    def actions(self) -> list[Action]:
        return [action for batch, _ in self.batches for action in batch]


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # else RetryAfter warns (warnings are errors)


@pytest.fixture(name="clock")
def clock_fixture() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture(name="tg")
def tg_fixture(clock: ManualClock) -> Iterator[FakeTelegram]:
    with FakeTelegram(clock=clock) as fake:
        fake.add_chat(CHAT, "Клиника 1 — поддержка")
        fake.add_chat(CHAT_TWO, "Клиника 2 — поддержка")
        fake.add_chat(STRANGER_CHAT, "Чужой чат")
        fake.add_user(SUPPORT, "Иван", "ivanov_tg", last_name="Иванов")
        fake.add_user(STRANGER, "Пётр", "petr_clinic")
        yield fake


@pytest.fixture(name="views")
def views_fixture() -> dict[str, IssueView]:
    return {"SUP-1": a_view()}


@pytest.fixture(name="store")
def store_fixture() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(name="recorder")
def recorder_fixture() -> Recorder:
    return Recorder()


MirrorFactory = Callable[..., TelegramMirror]


@pytest.fixture(name="make_mirror")
def make_mirror_fixture(
    tg: FakeTelegram,
    clock: ManualClock,
    store: MemoryStore,
    views: dict[str, IssueView],
    recorder: Recorder,
) -> MirrorFactory:
    """A mirror on the fake; keywords override settings, ``settings=`` replaces them all."""

    def make(
        *, cards: CardStore | None = None, settings: MirrorSettings | None = None, **overrides: Any
    ) -> TelegramMirror:
        options: dict[str, Any] = {"poll_timeout": 1, "max_retries": 3} | overrides
        hook = options.pop("on_chat_unavailable", None)
        ledger = options.pop("ledger", None)
        sends = options.pop("sends", store)  # the daemon ledgers every send in its store
        return TelegramMirror(
            settings or MirrorSettings.from_base(TOKEN, tg.url + "/bot", **options),
            access=ACCESS,
            cards=cards if cards is not None else store,
            clock=clock,
            calendar=cal(),
            policy=POLICY,
            views=views,
            on_actions=recorder,
            on_chat_unavailable=hook,
            ledger=ledger,
            sends=sends,
        )

    return make


@pytest.fixture(name="mirror")
async def mirror_fixture(make_mirror: MirrorFactory) -> AsyncIterator[TelegramMirror]:
    """A started mirror that sends but does not poll."""
    mirror = make_mirror()
    await mirror.start(polling=False)
    yield mirror
    await mirror.stop()


@pytest.fixture(name="polling")
async def polling_fixture(make_mirror: MirrorFactory) -> AsyncIterator[TelegramMirror]:
    """A started mirror that polls for commands and button presses."""
    mirror = make_mirror()
    await mirror.start()
    yield mirror
    await mirror.stop()
