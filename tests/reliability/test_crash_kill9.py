"""kill -9 the daemon at random moments while 200 emails flow in; restart it each time (issue 6 §7).

FakeTracker and the SMTP capture run here, on the real clock; the daemon runs as a child process
(:mod:`tracker_bridge.testing.daemon_process`) on a Maildir and SQLite. Mail is delivered in
waves while it runs — new requests, replies to earlier ones (comments), and replies to requests
that support moved to "information requested" (a question email out, a transition back in) — and
the child is SIGKILLed 50–400 ms after it reports READY (every sixth time instead 50–600 ms
after the process started, before it is ready). Afterwards: nothing lost, nothing duplicated
in Tracker, at most one repeated notification per kill, an intact store.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.harness import email
from tests.reliability.support import (
    CLINIC_DOMAIN,
    SUPPORT_LOGIN,
    DaemonChild,
    comment_on,
    customer_comment_markers,
    eventually,
    folder_files,
    issue_by_summary,
    message_id_counts,
    message_ids_in,
    robot_transitions,
    write_config,
)
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("CRASH_TEST_SEED", "20261126"))  # another seed: another run
KILLS = 36
EARLY_EVERY = 6  # every sixth kill comes during start-up: imports, store open, Tracker handshake
NEW_REQUESTS = 140
REPLIES = 60
WAVES = 10
SENDERS = 35  # several requests per sender, within the daily answer limit of each
NEED_INFO = "needInfo"
IN_PROGRESS = "inProgress"


@dataclass(frozen=True)
class Mail:
    message_id: str
    raw: bytes
    summary: str | None = None  # set for a new request
    target: int | None = None  # set for a reply: the request it answers


@dataclass
class Plan:
    """What the test sent and did, to compare the end state with."""

    requests: list[Mail] = field(default_factory=list)
    replies: list[Mail] = field(default_factory=list)
    waves: list[list[Mail]] = field(default_factory=list)
    asked: dict[int, str] = field(default_factory=dict)  # request index → issue moved to needInfo


def _request(index: int) -> Mail:
    summary = f"Запрос {index:03d}: не открывается карта"
    message_id = f"<req-{index:03d}@{CLINIC_DOMAIN}>"
    _, raw = email(
        subject=summary,
        body=f"Карта {index} не открывается.\nЛогин: user{index}\n",
        sender=f"doctor{index % SENDERS}@{CLINIC_DOMAIN}",
        message_id=message_id,
    )
    return Mail(message_id, raw, summary=summary)


def _reply(number: int, target: Mail, target_index: int) -> Mail:
    message_id = f"<reply-{number:03d}@{CLINIC_DOMAIN}>"
    _, raw = email(
        subject=f"Re: {target.summary}",
        body=f"Дополнение {number}: логин user{target_index}, отделение Терапия.",
        sender=f"doctor{target_index % SENDERS}@{CLINIC_DOMAIN}",
        message_id=message_id,
        in_reply_to=target.message_id,
    )
    return Mail(message_id, raw, target=target_index)


def _plan(rng: random.Random) -> Plan:
    """Ten waves of 14 new requests; from the third wave on, replies to requests two or more
    waves old (each request answered at most once)."""
    plan = Plan(requests=[_request(i) for i in range(NEW_REQUESTS)])
    per_wave = NEW_REQUESTS // WAVES
    answered: set[int] = set()
    reply_waves = WAVES - 2
    for wave in range(WAVES):
        mails = plan.requests[wave * per_wave : (wave + 1) * per_wave]
        if wave >= 2:
            count = REPLIES // reply_waves + (1 if wave - 2 < REPLIES % reply_waves else 0)
            old = [i for i in range((wave - 1) * per_wave) if i not in answered]
            for target in rng.sample(old, count):
                answered.add(target)
                reply = _reply(len(plan.replies), plan.requests[target], target)
                plan.replies.append(reply)
                mails.append(reply)
        plan.waves.append(mails)
    return plan


def _ask_before_replies(tracker: FakeTracker, plan: Plan, wave: list[Mail]) -> None:
    """Support asks for information on half the requests the next wave answers (where the
    issue exists and is still open), a cycle ahead, so the bridge has seen it when they reply."""
    keys = {s: ks[0] for s, ks in issue_by_summary(tracker).items()}
    for mail in wave[::2]:
        if mail.target is None:
            continue
        key = keys.get(plan.requests[mail.target].summary or "")
        if key is None or tracker.issues[key].status != "open":
            continue
        tracker.transition(key, "request_info", by=SUPPORT_LOGIN, comment=f"Уточните ({key})")
        plan.asked[mail.target] = key


@dataclass
class Run:
    kills: int = 0
    early_kills: int = 0
    kill_seconds: float = 0.0
    issues_while_killing: int = 0
    drain_seconds: float = 0.0


def _question_mailed(smtp: SmtpCapture, plan: Plan, target: int) -> bool:
    key = plan.asked[target]
    return any(
        f"[{key}]" in (subject := str(m["Subject"])) and "зарегистрирована" not in subject
        for m in smtp.messages
    )


async def _kill_cycles(
    child: DaemonChild, tracker: FakeTracker, maildir: Path, plan: Plan, rng: random.Random
) -> Run:
    run = Run()
    started = time.monotonic()
    every = KILLS // WAVES
    for cycle in range(KILLS):
        early = cycle % EARLY_EVERY == EARLY_EVERY - 1
        await child.start(wait_ready=not early)
        wave = cycle // every
        if cycle % every == 0 and wave < WAVES:
            for mail in plan.waves[wave]:
                deliver(maildir, mail.raw)
            if wave + 1 < WAVES:
                _ask_before_replies(tracker, plan, plan.waves[wave + 1])
        await _pause(rng.uniform(0.05, 0.6) if early else rng.uniform(0.05, 0.4))
        await child.kill()
        run.kills += 1
        run.early_kills += early
    run.kill_seconds = time.monotonic() - started
    run.issues_while_killing = len(tracker.issues)
    return run


async def _pause(seconds: float) -> None:
    """The random moment of the next kill: real time, the child runs on the system clock."""
    await asyncio.sleep(seconds)


def _progress(tracker: FakeTracker, smtp: SmtpCapture, maildir: Path, plan: Plan) -> str:
    subjects = [str(m["Subject"]) for m in smtp.messages]
    unasked = [
        (key, tracker.issues[key].status)
        for key in plan.asked.values()
        if not any(f"[{key}]" in s and "зарегистрирована" not in s for s in subjects)
    ]
    return (
        f"(inbox {len(folder_files(maildir))}, issues {len(tracker.issues)}, "
        f"comments {sum(customer_comment_markers(tracker).values())}, "
        f"notifications {len(message_id_counts(smtp.messages))}, "
        f"questions not mailed {unasked})"
    )


def _drained(tracker: FakeTracker, smtp: SmtpCapture, maildir: Path, plan: Plan) -> bool:
    if folder_files(maildir):
        return False
    if len(tracker.issues) < NEW_REQUESTS:
        return False
    if sum(customer_comment_markers(tracker).values()) < REPLIES:
        return False
    # one acknowledgement per request and one question per request support asked about
    return len(message_id_counts(smtp.messages)) >= NEW_REQUESTS + len(plan.asked)


async def test_kill_9_at_random_moments_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """R1/R8/R12, exactly once: ≥30 SIGKILLs during 200 emails → every email settled, one issue
    per request, one comment per reply, one transition per answered question, at most one
    repeated notification per kill, and SQLite passes integrity_check."""
    rng = random.Random(SEED)
    plan = _plan(rng)
    maildir = tmp_path / "Maildir"
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        child = DaemonChild(write_config(tmp_path, tracker, smtp), tmp_path / "daemon.log")
        try:
            run = await _kill_cycles(child, tracker, maildir, plan, rng)
            await child.start()
            run.drain_seconds = await eventually(
                lambda: _drained(tracker, smtp, maildir, plan),
                60,
                "drained",
                lambda: _progress(tracker, smtp, maildir, plan),
            )
            await _pause(1.5)  # a few more outbox/sync rounds: a late duplicate would show
            assert await child.stop() == 0
        finally:
            await child.close()
        _check(tracker, smtp, maildir, plan, run)
        creates, repeats = tracker.request_count("POST", "/v2/issues"), _repeats(smtp)
    _check_store(tmp_path / "state.sqlite3")
    print(
        f"\ncrash test: {run.kills} kills ({run.early_kills} during start-up), "
        f"{child.started} starts, "
        f"{len(plan.requests) + len(plan.replies)} emails, {len(plan.asked)} questions; "
        f"kill phase {run.kill_seconds:.1f} s ({run.issues_while_killing} issues made), "
        f"drain {run.drain_seconds:.1f} s; issue POSTs {creates} (repeats answered by unique); "
        f"repeated notifications {repeats}"
    )


def _repeats(smtp: SmtpCapture) -> int:
    return sum(n - 1 for n in message_id_counts(smtp.messages).values())


def _check(tracker: FakeTracker, smtp: SmtpCapture, maildir: Path, plan: Plan, run: Run) -> None:
    assert run.kills - run.early_kills >= 30  # kills of a daemon already at work
    # nothing lost: every email left the inbox into .Processed (none needed quarantine)
    assert folder_files(maildir) == []
    assert folder_files(maildir, "Quarantine") == []
    settled = message_ids_in(folder_files(maildir, "Processed"))
    sent = [m.message_id for m in (*plan.requests, *plan.replies)]
    assert sorted(settled) == sorted(sent)
    assert set(settled.values()) == {1}
    # one issue per request
    by_summary = issue_by_summary(tracker)
    assert {s: len(k) for s, k in by_summary.items()} == {m.summary: 1 for m in plan.requests}
    uniques = [i.unique for i in tracker.issues.values()]
    assert len(set(uniques)) == len(uniques) == NEW_REQUESTS
    # one comment per reply, on the right issue
    markers = customer_comment_markers(tracker)
    assert sorted(markers.values()) == [1] * REPLIES
    for reply in plan.replies:
        assert reply.target is not None
        (key,) = by_summary[plan.requests[reply.target].summary or ""]
        assert comment_on(tracker, key, reply.message_id) == 1, (key, reply.message_id)
    # one transition back to work per answered question, and no transition twice
    moves = robot_transitions(tracker)
    for key, pairs in moves.items():
        assert len(pairs) == len(set(pairs)), (key, pairs)
    for key in plan.asked.values():
        assert moves.get(key) == [(NEED_INFO, IN_PROGRESS)], key
        assert tracker.issues[key].status == IN_PROGRESS
    # notifications: everything once, repeats only from kills
    counts = message_id_counts(smtp.messages)
    assert len(counts) == NEW_REQUESTS + len(plan.asked)
    assert _repeats(smtp) <= run.kills
    # each requester was told the key of their own issue, even when a kill came in between
    for request in plan.requests:
        (key,) = by_summary[request.summary or ""]
        subjects = {str(m["Message-ID"]): str(m["Subject"]) for m in smtp.messages}
        acks = {
            mid: subject
            for mid, subject in subjects.items()
            if "зарегистрирована" in subject and (request.summary or "") in subject
        }
        assert len(acks) == 1, (request.summary, acks)
        assert all(f"[{key}]" in subject for subject in acks.values()), acks


def _check_store(path: Path) -> None:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()
