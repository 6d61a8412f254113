"""``replay`` decides as the daemon decides (issue 12.6): one mailbox, mail by mail, through both.

Before the daemon takes each mail, ``replay``'s own code (:func:`consider`, what
``tracker-bridge replay --dry-run`` prints) decides about it on the daemon's store and Tracker at
the same moment; then the daemon handles it. The decision must be the same: the clause and the
reason the daemon logs in ``mail.handled``, and every action replay lists that the daemon
journals (quarantine and ignore are recorded with the message itself, not as actions). The
mailbox covers each branch of the intake: a new request, replies threaded by Message-ID and by a
key in the subject, a stranger, an auto-reply, our own address, a reply to a finished request —
and the rules above triage (issue 17): a no-reply robot, a robot past its daily cap of new
requests, a confirmation without an authentication pass, and a reply to one of our mails that
the store forgot (threaded by its copy in the Sent folder, issue 13).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from tests.e2e.harness import CHIEF, DOCTOR, SUPPORT_FROM, World, email, running_world
from tracker_bridge.cli.replay import consider
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.regulation.actions import Ignore, Quarantine


async def through_both(world: World, raw: bytes, logs: list[Any]) -> tuple[str, str]:
    """Replay ``raw``, then let the daemon take it; assert they agree; (clause, reason)."""
    assert world.settings is not None
    mail = parse_message(raw)
    store = world.bridge.store
    considered, _ = await consider(
        world.settings, mail, store, offline=False, now=world.clock.now()
    )
    predicted = considered.decision
    world.deliver(raw)
    await world.run_until(lambda: store.message_outcome(mail.message_id) is not None)
    [handled] = [
        e for e in logs if e["event"] == "mail.handled" and e["message_id"] == mail.message_id
    ]
    assert (predicted.clause, predicted.reason) == (handled["clause"], handled["reason"]), (
        mail.subject
    )
    journaled = [a.key for a in predicted.actions if not isinstance(a, Quarantine | Ignore)]
    missing = [key for key in journaled if store.journal_get(key) is None]
    assert not missing, f"replay listed actions the daemon did not take: {missing}"
    return predicted.clause, predicted.reason


LOOP_CAP = 2  # new requests per robot and day: a count, lowered so that three mails reach it


async def test_replay_and_the_daemon_decide_the_same_for_every_kind_of_mail(tmp_path: Path) -> None:
    limits = {"limits": {"requests_per_sender": LOOP_CAP}}
    with capture_logs() as logs:
        async with running_world(tmp_path, mail=limits) as world:
            clock = world.clock
            decisions = []
            _, new = email(subject="Не печатается рецепт", body="Логин: ivanova", when=clock.now())
            decisions.append(await through_both(world, new, logs))
            await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
            ack = world.mails_to(DOCTOR)[-1]
            reply = {"subject": f"Re: {ack['Subject']}", "in_reply_to": str(ack["Message-ID"])}
            _, by_id = email(body="Кабинет 12", when=clock.now(), **reply)
            decisions.append(await through_both(world, by_id, logs))
            _, by_key = email(subject="[SUP-1] ещё вопрос", body="И печать тоже", when=clock.now())
            decisions.append(await through_both(world, by_key, logs))
            _, stranger = email(
                subject="Реклама", body="Купите", sender="x@spam.example", when=clock.now()
            )
            decisions.append(await through_both(world, stranger, logs))
            _, auto = email(
                subject="Автоответ", body="В отпуске", headers={"Auto-Submitted": "auto-replied"},
                when=clock.now(),
            )  # fmt: skip
            decisions.append(await through_both(world, auto, logs))
            _, own = email(
                subject="Петля", body="Наше письмо", sender=SUPPORT_FROM, when=clock.now()
            )
            decisions.append(await through_both(world, own, logs))
            _, chief = email(
                subject="Новая заявка", body="Логин: x", sender=CHIEF, when=clock.now()
            )
            decisions.append(await through_both(world, chief, logs))
            _, robot = email(
                subject="Резервное копирование выполнено", body="OK",
                sender="no-reply@clinic1.example", when=clock.now(),
            )  # fmt: skip
            decisions.append(await through_both(world, robot, logs))
            for n in range(1, LOOP_CAP + 2):
                _, lab = email(
                    subject=f"Анализатор {n}: ошибка калибровки", body="Код 17",
                    sender=f"lab+{n}@clinic1.example", when=clock.now(),
                )  # fmt: skip
                decisions.append(await through_both(world, lab, logs))
            _forget_thread(world, str(ack["Message-ID"]))
            _, forgotten = email(body="И ещё про рецепт", when=clock.now(), **reply)
            decisions.append(await through_both(world, forgotten, logs))
            assert any(e["event"] == "mail.thread_from_sent" for e in logs)
            world.tracker.transition("SUP-2", "start_progress", by="ivanov")
            world.tracker.transition("SUP-2", "send_to_testing", by="ivanov", comment="Готово")
            await world.run_until(lambda: _testing_mail(world) is not None)
            testing = _testing_mail(world)
            assert testing is not None
            _, spoofed = email(
                subject=f"Re: {testing['Subject']}", body="Проверено, ошибок нет.", sender=CHIEF,
                in_reply_to=str(testing["Message-ID"]), authentication="fail", when=clock.now(),
            )  # fmt: skip
            decisions.append(await through_both(world, spoofed, logs))
            world.tracker.transition("SUP-1", "close", by="ivanov", resolution="fixed")
            await world.run_until(lambda: world.tracker.issues["SUP-1"].status == "closed")
            await world.settle(60.0)
            _, late = email(body="А ещё…", when=clock.now(), **reply)
            decisions.append(await through_both(world, late, logs))
    clauses = [clause for clause, _ in decisions]
    assert len(set(clauses)) >= 4, clauses  # the mailbox did reach different branches
    assert "R20" in clauses
    reasons = [reason for _, reason in decisions]
    assert any(r.startswith("automatic mail (no-reply sender)") for r in reasons), reasons
    assert any("loop cap" in r for r in reasons), reasons
    assert any(r.startswith("R15: confirmation from") for r in reasons), reasons


def _forget_thread(world: World, message_id: str) -> None:
    """The store forgets which request our mail belongs to, as restoring an older backup would."""
    assert world.settings is not None
    bare = message_id.strip().strip("<>")
    with contextlib.closing(sqlite3.connect(world.settings.store_path)) as db, db:
        gone = db.execute("DELETE FROM thread_map WHERE message_id = ?", (bare,)).rowcount
    assert gone == 1


def _testing_mail(world: World) -> Any:
    return next(
        (m for m in world.mails_to(CHIEF) if "готовы к проверке" in str(m["Subject"])), None
    )
