"""``replay`` decides as the daemon decides (issue 12.6): one mailbox, mail by mail, through both.

Before the daemon takes each mail, ``replay``'s own code (:func:`consider`, what
``tracker-bridge replay --dry-run`` prints) decides about it on the daemon's store and Tracker at
the same moment; then the daemon handles it. The decision must be the same: the clause and the
reason the daemon logs in ``mail.handled``, and every action replay lists that the daemon
journals (quarantine and ignore are recorded with the message itself, not as actions). The
mailbox covers each branch of the intake: a new request, replies threaded by Message-ID and by a
key in the subject, a stranger, an auto-reply, our own address, a reply to a finished request.
"""

from __future__ import annotations

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


async def test_replay_and_the_daemon_decide_the_same_for_every_kind_of_mail(tmp_path: Path) -> None:
    with capture_logs() as logs:
        async with running_world(tmp_path) as world:
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
            world.tracker.transition("SUP-1", "close", by="ivanov", resolution="fixed")
            await world.run_until(lambda: world.tracker.issues["SUP-1"].status == "closed")
            await world.settle(60.0)
            _, late = email(body="А ещё…", when=clock.now(), **reply)
            decisions.append(await through_both(world, late, logs))
    clauses = [clause for clause, _ in decisions]
    assert len(set(clauses)) >= 4, clauses  # the mailbox did reach different branches
    assert "R20" in clauses
