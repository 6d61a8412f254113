"""Issue 13.2: a lost or restored state database re-sends nothing (R12, R5, R8).

The whole daemon on the fakes, then the operator's two accidents: ``state.sqlite3`` deleted, and
``state.sqlite3`` replaced by a backup (``tracker-bridge backup``'s online copy) taken an hour
earlier. After the restart and many rounds of every loop: no notification is sent a second time
(none at all that was not owed), no second Telegram card appears, and a requester's reply to one
of our emails the database no longer knows still lands on its issue.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from tests.e2e.harness import CHAT, DOCTOR, World, msk, running_world
from tracker_bridge.store.backup import backup_sqlite
from tracker_bridge.telegram.notices import ALERT_TITLES
from tracker_bridge.testing.fake_telegram import FakeMessage
from tracker_bridge.testing.postgres import PostgresCluster, find_binary


def cards(world: World, key: str) -> list[FakeMessage]:
    """The bot's live messages with buttons for ``key``: its cards (alerts have none)."""
    assert world.telegram is not None
    return [
        m
        for m in world.telegram.bot_messages(CHAT)
        if m.buttons and key in m.text and not m.deleted
    ]


def sent_ids(world: World) -> Counter[str]:
    return Counter(str(m["Message-ID"]) for m in world.smtp.messages)


def ack_of(world: World, key: str) -> str:
    """The Message-ID of the acknowledgment for ``key`` (its subject names the key)."""
    (ack,) = [m for m in world.mails_to(DOCTOR) if f"[{key}]" in str(m["Subject"])][:1]
    return str(ack["Message-ID"])


def store_files(root: Path) -> list[Path]:
    return [root / f"state.sqlite3{suffix}" for suffix in ("", "-wal", "-shm")]


def delete_store(root: Path) -> Callable[[], None]:
    def delete() -> None:
        for path in store_files(root):
            path.unlink(missing_ok=True)

    return delete


def restore_store(root: Path, backup: Path) -> Callable[[], None]:
    """What docs/operations.md tells the operator: the backup in place, -wal/-shm removed."""

    def restore() -> None:
        delete_store(root)()
        (root / "state.sqlite3").write_bytes(backup.read_bytes())

    return restore


async def _urgent(world: World, n: int) -> str:
    world.mail(subject=f"СРОЧНО не работает регистратура {n} - Терапия", body="Логин: ivanova")
    key = f"SUP-{n}"
    await world.run_until(lambda: bool(cards(world, key)) and _acked(world, key))
    return key


async def _plain(world: World, n: int) -> str:
    world.mail(subject=f"Не печатается рецепт {n}", body="Логин: ivanova\nОтделение: Терапия")
    key = f"SUP-{n}"
    await world.run_until(lambda: _acked(world, key))
    return key


def _acked(world: World, key: str) -> bool:
    return any(f"[{key}]" in str(m["Subject"]) for m in world.mails_to(DOCTOR))


async def _ask_and_answer(world: World, key: str) -> None:
    """Support asks (a «Нужна дополнительная информация» email), the doctor answers it."""
    before = len(world.mails_to(DOCTOR))
    world.tracker.transition(key, "request_info", by="ivanov", comment="Какой кабинет?")
    await world.run_until(lambda: len(world.mails_to(DOCTOR)) > before, step=5.0)
    question = world.mails_to(DOCTOR)[-1]
    assert "Нужна дополнительная информация" in str(question["Subject"])
    comments = len(world.comments(key))
    world.reply(question, "Кабинет 12.")
    await world.run_until(lambda: len(world.comments(key)) > comments, step=5.0)


async def _reply_lands_on(world: World, key: str, to_message_id: str) -> None:
    """A reply to one of our emails becomes a comment on ``key``, and no new issue."""
    issues = len(world.tracker.issues)
    comments = len(world.comments(key))
    world.mail(subject="Re: ваше письмо", body="Спасибо, ещё деталь: кабинет 14.",
               in_reply_to=to_message_id)  # fmt: skip
    await world.run_until(lambda: len(world.comments(key)) > comments, step=5.0)
    assert "кабинет 14" in world.comments(key)[-1]
    assert len(world.tracker.issues) == issues


async def test_a_deleted_database_re_sends_nothing_and_old_replies_still_thread(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path, telegram=True) as world:
        urgent = await _urgent(world, 1)
        plain = await _plain(world, 2)
        await _ask_and_answer(world, plain)
        world.tracker.transition(urgent, "start_progress", by="ivanov")
        await world.settle(300.0, 10.0)
        sent, card = sent_ids(world), cards(world, urgent)
        assert len(card) == 1

        await world.restart(meanwhile=delete_store(tmp_path))
        await world.settle(600.0, 10.0)
        assert sent_ids(world) == sent  # nothing at all sent again
        assert cards(world, urgent) == card  # the same card, edited at most
        await _reply_lands_on(world, plain, ack_of(world, plain))
        assert max(sent_ids(world).values()) == 1


async def test_an_hour_old_backup_re_sends_nothing_of_the_hour_it_missed(tmp_path: Path) -> None:
    """The backup knows SUP-1 and SUP-2 as they were; in the hour after it SUP-3 came (a card,
    an acknowledgment), SUP-2 was asked and answered, SUP-1 taken into work. Restored, the
    daemon meets all of that as unfinished business — and sends none of it again."""
    backup = tmp_path / "backups" / "state-hour-ago.sqlite3"
    async with running_world(tmp_path, telegram=True) as world:
        await _hour_old_backup_story(
            world,
            lambda: backup_sqlite(tmp_path / "state.sqlite3", backup),
            restore_store(tmp_path, backup),
        )


async def test_an_hour_old_pg_dump_restored_re_sends_nothing(
    tmp_path: Path, postgres: PostgresCluster
) -> None:
    """The same story on a PostgreSQL store, with the backup and restore docs/operations.md
    gives for it — ``pg_dump -Fc`` while the daemon runs, ``pg_restore --clean --if-exists``
    into the database while it is stopped, then ``psql -c 'DELETE FROM telegram_sends'`` (the
    ledger of the bot's sends is not restored) — run as written, with the real programs."""
    url = postgres.create_database()
    dump = tmp_path / "backups" / "state.dump"
    dump.parent.mkdir()

    def adjust(data: dict[str, Any]) -> None:
        data["store_url"] = url

    def pg(program: str, *args: str) -> None:
        binary = find_binary(program)
        assert binary is not None, f"{program} is part of PostgreSQL's client programs"
        subprocess.run([binary, *args], check=True, capture_output=True, timeout=60)

    def cards_known() -> set[str]:
        with psycopg.connect(url) as conn:
            return {str(row[0]) for row in conn.execute("SELECT issue_key FROM cards")}

    def restore() -> None:
        assert cards_known() == {"SUP-1", "SUP-3"}
        pg("pg_restore", "--clean", "--if-exists", "-d", url, str(dump))
        assert cards_known() == {"SUP-1"}  # the database is an hour old again
        pg("psql", url, "-c", "DELETE FROM telegram_sends")
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM telegram_sends").fetchone() == (0,)

    async with running_world(tmp_path, telegram=True, adjust=adjust) as world:
        await _hour_old_backup_story(
            world, lambda: pg("pg_dump", "-Fc", "-f", str(dump), url), restore
        )
    assert not (tmp_path / "state.sqlite3").exists()  # it was PostgreSQL all along


async def _hour_old_backup_story(
    world: World, take_backup: Callable[[], object], restore: Callable[[], None]
) -> None:
    first = await _urgent(world, 1)
    plain = await _plain(world, 2)
    await world.settle(120.0, 10.0)
    take_backup()

    world.clock.advance(timedelta(minutes=10))
    late = await _urgent(world, 3)
    await _ask_and_answer(world, plain)
    world.tracker.transition(first, "start_progress", by="ivanov")
    await world.run_until(lambda: "В работе" in cards(world, first)[0].text, step=5.0)
    world.clock.advance(timedelta(minutes=30))
    await world.settle(300.0, 10.0)
    sent = sent_ids(world)
    live = {key: cards(world, key) for key in (first, late)}
    assert all(len(c) == 1 for c in live.values())

    await world.restart(meanwhile=restore)
    await world.settle(900.0, 10.0)
    assert sent_ids(world) == sent
    assert {key: cards(world, key) for key in (first, late)} == live
    # the doctor answers the acknowledgment of SUP-3, which the old database never saw
    await _reply_lands_on(world, late, ack_of(world, late))
    assert max(sent_ids(world).values()) == 1


def posted(world: World) -> list[tuple[int, str]]:
    """The bot's live messages in the chat: (message id, first line)."""
    assert world.telegram is not None
    return [(m.message_id, m.text.split("\n", 1)[0]) for m in world.telegram.bot_messages(CHAT)]


async def test_alerts_and_digests_posted_after_the_backup_are_not_posted_again(
    tmp_path: Path,
) -> None:
    """After the backup the days go by: Thursday's digest is posted and, an hour before the
    urgent request's 72-hour reaction deadline, the warning. Restored, the daemon meets both as
    owed; it finds their records in the Sent folder and posts neither again."""
    backup = tmp_path / "backups" / "state-before.sqlite3"
    async with running_world(tmp_path, telegram=True) as world:
        await _urgent(world, 1)
        await world.settle(120.0, 10.0)
        backup_sqlite(tmp_path / "state.sqlite3", backup)
        before = posted(world)

        await world.jump(msk("2026-03-05 10:30"))
        await world.settle(300.0, 10.0)
        after = posted(world)
        new = [line for _, line in after[len(before) :]]
        assert any("Сводка на 05.03.2026" in line for line in new), new
        assert ALERT_TITLES["warning"] in new, new

        await world.restart(meanwhile=restore_store(tmp_path, backup))
        await world.settle(900.0, 10.0)
        assert [message_id for message_id, _ in posted(world)] == [
            message_id for message_id, _ in after
        ]
    records = [p for p in world.folder(".Sent") if b"Posted to Telegram" in p.read_bytes()]
    digests_before = [line for _, line in before if line.startswith("📋 Сводка")]
    assert len(records) == len(new) + len(digests_before)  # one per alert and digest posted
