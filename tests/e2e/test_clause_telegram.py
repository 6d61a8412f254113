"""The clinic's Telegram group through the whole daemon: R5 (live cards, commands), R21."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import (
    CHAT,
    DOCTOR,
    STRANGER_USER,
    SUPPORT_USER,
    World,
    msk,
    running_world,
)
from tracker_bridge.testing.fake_telegram import FakeMessage


def card_of(world: World, key: str = "SUP-1") -> FakeMessage | None:
    """The live card the store says belongs to ``key``, as the chat shows it now."""
    record = world.bridge.store.card(key)
    if record is None or world.telegram is None:
        return None
    return world.telegram.chats[CHAT].messages.get(record.message_id)


def cards_in_chat(world: World, key: str = "SUP-1") -> list[FakeMessage]:
    """The bot's messages in the chat that carry buttons for ``key`` (cards, not alerts)."""
    assert world.telegram is not None
    return [m for m in world.telegram.bot_messages(CHAT) if m.buttons and key in m.text]


async def _urgent(world: World) -> FakeMessage:
    world.mail(subject="СРОЧНО не работает регистратура - Терапия", body="Логин: ivanova")
    await world.run_until(lambda: card_of(world) is not None)
    card = card_of(world)
    assert card is not None
    return card


async def test_r5_an_urgent_request_gets_one_card_edited_in_place_on_a_status_change(
    tmp_path: Path,
) -> None:
    """R5: an urgent request appears in the clinic's group as one card; when support changes
    its status in Tracker the same message is edited to show it, and no second card appears."""
    async with running_world(tmp_path, telegram=True) as world:
        card = await _urgent(world)
        assert "SUP-1" in card.text
        assert "не работает регистратура" in card.text
        assert card.edits == 0
        world.tracker.transition("SUP-1", "request_info", by="ivanov", comment="Какой кабинет?")
        await world.run_until(lambda: card.edits > 0 and "Запрошена" in card.text)
        assert card_of(world) is card
        await world.settle(120.0, 10.0)
        assert cards_in_chat(world) == [card]


async def test_r5_the_card_of_a_closed_request_shows_it_and_loses_its_buttons(
    tmp_path: Path,
) -> None:
    """R5/R16: when support closes the urgent request, its card is edited a last time: the
    closed status, and no buttons to act on a finished request."""
    async with running_world(tmp_path, telegram=True) as world:
        card = await _urgent(world)
        assert card.buttons
        world.tracker.transition("SUP-1", "close", by="ivanov", resolution="fixed")
        await world.run_until(lambda: "Закрыто" in card.text)
        await world.settle(60.0)
        assert card.buttons == []
        assert card_of(world) is card


async def test_r5_r22_after_a_restart_the_same_card_is_edited_not_posted_again(
    tmp_path: Path,
) -> None:
    """R5/R22: card message ids live in the store, so a restarted daemon edits the card it
    posted before instead of posting a second one."""
    async with running_world(tmp_path, telegram=True) as world:
        card = await _urgent(world)
        await world.restart()
        await world.settle(60.0)
        world.tracker.transition("SUP-1", "start_progress", by="ivanov")
        await world.run_until(lambda: "В работе" in card.text)
        await world.settle(60.0)
        assert cards_in_chat(world) == [card]
        assert card_of(world) is card


async def test_r5_a_normal_request_gets_no_card(tmp_path: Path) -> None:
    """R5: only urgent requests are mirrored into the group."""
    async with running_world(tmp_path, telegram=True) as world:
        world.mail(subject="Не строится отчёт", body="Логин: ivanova")
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        await world.settle(120.0, 10.0)
        assert world.bridge.store.card("SUP-1") is None
        assert cards_in_chat(world) == []


async def test_r5_take_from_support_assigns_the_request_and_moves_it_to_work(
    tmp_path: Path,
) -> None:
    """R5: /take by a support engineer mapped to a Tracker login assigns the issue to them and
    moves it to "in progress"; the card follows."""
    async with running_world(tmp_path, telegram=True) as world:
        card = await _urgent(world)
        assert world.telegram is not None
        world.telegram.inject_command(CHAT, SUPPORT_USER, "/take SUP-1")
        issue = world.tracker.issues["SUP-1"]
        await world.run_until(lambda: issue.status == "inProgress" and issue.assignee is not None)
        assert issue.assignee is not None
        assert world.tracker.users[issue.assignee].login == "ivanov"
        await world.run_until(lambda: any("взята в работу" in t for t in world.chat_texts()))
        await world.run_until(lambda: "В работе" in card.text)
        assert card_of(world) is card


async def test_r5_take_from_someone_not_in_support_is_refused(tmp_path: Path) -> None:
    """R5: /take from a chat member who is not mapped to a Tracker login changes nothing and
    is answered with a refusal."""
    async with running_world(tmp_path, telegram=True) as world:
        await _urgent(world)
        assert world.telegram is not None
        world.telegram.inject_command(CHAT, STRANGER_USER, "/take SUP-1")
        await world.run_until(lambda: any(t.startswith("⛔") for t in world.chat_texts()))
        (refusal,) = [t for t in world.chat_texts() if t.startswith("⛔")]
        assert "только сотрудникам поддержки" in refusal
        await world.settle(60.0)
        issue = world.tracker.issues["SUP-1"]
        assert issue.assignee is None
        assert issue.status == "open"


def digests(world: World) -> list[str]:
    return [t for t in world.chat_texts() if t.startswith("📋")]


async def _two_requests_on_saturday(world: World) -> None:
    world.mail(subject="СРОЧНО не печатается рецепт", body="Логин: ivanova")
    world.mail(subject="Не строится отчёт", body="Логин: ivanova")
    await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2)
    await world.settle(60.0)


async def test_r21_the_digest_goes_out_at_10_00_on_working_days_only(tmp_path: Path) -> None:
    """R21: one digest per working day at the opening (10:00 Moscow): none over the weekend,
    none before 10:00, one on Monday listing the open requests by priority, one on Tuesday."""
    async with running_world(tmp_path, start="2026-02-28 12:00", telegram=True) as world:
        await _two_requests_on_saturday(world)
        await world.jump(msk("2026-03-01 10:30"))
        await world.jump(msk("2026-03-02 09:55"))
        assert digests(world) == []
        await world.jump(msk("2026-03-02 10:00"))
        (monday,) = digests(world)
        assert "02.03.2026" in monday
        assert "Открыто заявок: 2" in monday
        assert "Критичный: 1" in monday
        await world.jump(msk("2026-03-02 17:00"))
        assert len(digests(world)) == 1
        await world.jump(msk("2026-03-03 10:01"))
        assert len(digests(world)) == 2
        assert "03.03.2026" in digests(world)[1]
        assert "Срок сегодня: 1" in digests(world)[1]  # the urgent one, due 03.03 ~12:00


async def test_r21_a_daemon_started_after_10_00_counts_the_open_requests_in_its_digest(
    tmp_path: Path,
) -> None:
    """R21 (regression): a daemon that was down at 10:00 posts the day's digest once it knows
    the issues (after its first Tracker sync), not an empty "0 open" one at start."""
    async with running_world(tmp_path, start="2026-02-28 12:00", telegram=True) as world:
        await _two_requests_on_saturday(world)
        await world.stop_daemon()
        world.clock.set(msk("2026-03-02 10:30"))
        await world.restart()
        await world.settle(120.0, 10.0)
        (monday,) = digests(world)
        assert "Открыто заявок: 2" in monday
