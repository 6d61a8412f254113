"""Issue 13.5: active/passive on one PostgreSQL store — two daemon processes with separate
working directories, one mailbox (a shared Maildir), one Tracker, one SMTP server that files
what it accepts in the mailbox's Sent folder (``mail.sent_copies_by = "server"``).

The leader is ``kill -9``-ed ten times while mail streams in — five times precisely in the
window where the SMTP server has taken an acknowledgment and the leader has not yet heard of it,
three times where Telegram has taken a new card and the leader has not yet heard of it, twice
at a random moment; each time the standby takes over (production lease and
check interval: 20 s and 5 s) and the killed one comes back as the new standby. Afterwards every
mail is one issue and one acknowledgment: nothing lost, nothing doubled, in Tracker or by mail.
Every fifth request is urgent and gets a Telegram card: none is lost and none is doubled — a
kill between Telegram taking a new card and its id being recorded is resolved by the new leader
(the send ledger's probe), and a doubled card would be explained by cause.
A leader paused with SIGSTOP in the middle of an SMTP conversation loses the role once its lease
runs out; woken with SIGCONT it is refused right before the final "." (the fence in the SMTP
hand-over), sends nothing, and exits 75 to come back as a standby.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import statistics
import threading
import time
from collections import Counter
from email.message import EmailMessage
from functools import partial
from pathlib import Path

import pytest

from tests.e2e.harness import CHAT, SUPPORT_USER, email
from tests.reliability.card_doubles import Kill, card_messages, explain_doubles
from tests.reliability.support import (
    DaemonChild,
    eventually,
    folder_files,
    issue_by_summary,
    message_ids_in,
    write_config,
)
from tracker_bridge.mail.maildir_source import deliver
from tracker_bridge.store.instance import EX_ANOTHER_INSTANCE
from tracker_bridge.testing.fake_telegram import ApiCall, FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.postgres import PostgresCluster
from tracker_bridge.testing.smtp import SmtpCapture

pytestmark = pytest.mark.slow

FAILOVERS = 10
TAKEOVER_LIMIT = 30.0  # the issue's bound for the default settings
SEED = int(os.environ.get("FAILOVER_TEST_SEED", "20261207"))
URGENT = "не работает регистратура"


def _configs(
    root: Path,
    url: str,
    tracker: FakeTracker,
    smtp: SmtpCapture,
    telegram: FakeTelegram | None = None,
) -> list[Path]:
    """One config per host: its own directory, the shared mailbox and the shared store (and,
    with ``telegram``, the one bot mirroring urgent requests into the clinic's chat)."""
    configs = []
    for host in ("host-a", "host-b"):
        (root / host).mkdir()
        config = write_config(root / host, tracker, smtp)
        text = config.read_text(encoding="utf-8").replace(
            str(root / host / "Maildir"), str(root / "Maildir")
        )
        text = text.replace("[mail]\n", '[mail]\nsent_copies_by = "server"\n')
        head = f'store_url = "{url}"\n'
        if telegram is not None:
            head += 'telegram_bot_token = "123456:failover-token"\n'
            text += (  # the [[customers]] table is last: its chat id, then the bot's table
                f"telegram_chat_id = {CHAT}\n[telegram]\nenabled = true\n"
                f'base_url = "{telegram.url}/bot"\n[telegram.users]\n"{SUPPORT_USER}" = "ivanov"\n'
            )
        config.write_text(head + text, encoding="utf-8")
        configs.append(config)
    return configs


def _telegram() -> FakeTelegram:
    telegram = FakeTelegram()
    telegram.add_chat(CHAT, "Клиника 1 — поддержка")
    telegram.add_user(SUPPORT_USER, "Иван", "ivanov")
    return telegram


def _cards_per_urgent_issue(tracker: FakeTracker, telegram: FakeTelegram) -> dict[str, int]:
    """How many cards (the bot's messages with buttons) each urgent request has in the chat."""
    cards = [m.text for m in telegram.bot_messages(CHAT) if m.buttons]
    urgent = [key for summary, keys in issue_by_summary(tracker).items() if URGENT in summary
              for key in keys]  # fmt: skip
    return {key: sum(bool(re.search(rf"{key}(?!\d)", text)) for text in cards) for key in urgent}


def _server_filing(root: Path) -> SmtpCapture:
    """The shared SMTP server, filing every accepted message in the shared mailbox's Sent."""
    return SmtpCapture(files_sent=root / "Maildir" / ".Sent")


async def _kill_in_the_window(smtp: SmtpCapture, leader: DaemonChild) -> None:
    """SIGKILL ``leader`` the moment the SMTP server has taken one of its emails, before the
    server's 250 reaches it: the email is out, the leader's journal still says pending."""
    struck = threading.Event()
    pid = leader.pid

    def strike(message: EmailMessage) -> None:
        if not struck.is_set():
            struck.set()
            os.kill(pid, signal.SIGKILL)

    smtp.on_accept = strike
    try:
        await eventually(struck.is_set, 30, "an acknowledgment in flight")
    finally:
        smtp.on_accept = None
    assert await leader.exit_code(within=30) == -signal.SIGKILL


async def _kill_in_the_card_window(telegram: FakeTelegram, leader: DaemonChild) -> None:
    """SIGKILL ``leader`` the moment Telegram has taken one of its new cards, before the answer
    reaches it: the card is in the chat, its id recorded nowhere. Not the chat's first message
    (no send recorded there yet: nothing to probe from, docs/operations.md)."""
    struck = threading.Event()
    pid = leader.pid

    def strike(call: ApiCall) -> None:
        card = call.method == "sendMessage" and "reply_markup" in call.params
        if card and int(call.result["message_id"]) > 1 and not struck.is_set():
            struck.set()
            os.kill(pid, signal.SIGKILL)

    telegram.on_answer(strike)
    try:
        await eventually(struck.is_set, 30, "a new card in flight")
    finally:
        telegram.on_answer(None)
    assert await leader.exit_code(within=30) == -signal.SIGKILL


def _children(configs: list[Path]) -> tuple[DaemonChild, DaemonChild]:
    a, b = (DaemonChild(config, config.parent / "daemon.log") for config in configs)
    return a, b


def _more_than(tracker: FakeTracker, issues: int) -> bool:
    return len(tracker.issues) > issues


class Stream:
    """New requests delivered into the shared mailbox every ``every`` seconds until stopped."""

    def __init__(self, maildir: Path, every: float = 0.3, urgent_every: int = 0) -> None:
        self.maildir, self.every, self.sent = maildir, every, 0
        self.urgent_every = urgent_every  # every n-th request is urgent (a Telegram card)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            subject = f"Заявка {self.sent:03d}"
            if self.urgent_every and self.sent % self.urgent_every == 0:
                subject = f"СРОЧНО {URGENT} {self.sent:03d} - Терапия"
            _, raw = email(subject=subject, body=f"Карта {self.sent}.",
                           sender=f"doctor{self.sent % 40}@clinic1.example")  # fmt: skip
            deliver(self.maildir, raw)
            self.sent += 1
            await asyncio.sleep(self.every)


async def test_ten_kill_9_failovers_under_a_mail_stream_lose_and_double_nothing(
    tmp_path: Path, postgres: PostgresCluster
) -> None:
    rng = random.Random(SEED)
    url = postgres.create_database()
    takeovers: list[float] = []
    first_actions: list[float] = []
    in_window = in_card_window = 0
    kills: list[Kill] = []
    with FakeTracker() as tracker, _server_filing(tmp_path) as smtp, _telegram() as telegram:
        a, b = (
            DaemonChild(c, c.parent / "daemon.log")
            for c in _configs(tmp_path, url, tracker, smtp, telegram)
        )
        stream = Stream(tmp_path / "Maildir", urgent_every=5)
        try:
            await a.start()
            await b.start(wait_ready=False)  # the standby: READY only once it leads
            active, standby = a, b
            stream.start()
            for n in range(FAILOVERS):
                await asyncio.sleep(rng.uniform(1.0, 3.0))
                if n % 2:
                    await _kill_in_the_window(smtp, active)
                    in_window += 1
                elif n % 4 == 0:
                    await _kill_in_the_card_window(telegram, active)
                    in_card_window += 1
                else:
                    await active.kill()
                killed = time.monotonic()
                kills.append(Kill(time.time(), "host-a" if active is a else "host-b"))
                await standby.wait_ready(TAKEOVER_LIMIT)
                takeovers.append(time.monotonic() - killed)
                await eventually(
                    partial(_more_than, tracker, len(tracker.issues)), 30, "a new leader acting"
                )
                first_actions.append(time.monotonic() - killed)
                await active.start(wait_ready=False)  # back, as the standby
                active, standby = standby, active
            await stream.stop()
            sent = stream.sent
            # the stream's size grows with the failovers' durations (206 to 408 mails on this
            # machine, lightly or heavily loaded), and the leader also posts the urgent cards at
            # Telegram's 1 message/s: the backlog left at the end takes minutes under load
            await eventually(
                lambda: len(tracker.issues) >= sent and len(smtp.messages) >= sent, 300,
                "every mail registered and acknowledged",
                lambda: f"({len(tracker.issues)} issues, {len(smtp.messages)} acks of {sent})",
            )  # fmt: skip
            await eventually(
                lambda: min(_cards_per_urgent_issue(tracker, telegram).values(), default=0) >= 1,
                120,
                "every urgent request's card posted",
            )
            await asyncio.sleep(2)  # anything doubled would show by now
        finally:
            await a.close()
            await b.close()
    summaries = issue_by_summary(tracker)
    assert len(summaries) == sent and all(len(keys) == 1 for keys in summaries.values())
    acks = Counter(str(m["Message-ID"]) for m in smtp.messages)
    assert len(acks) == sent  # each mail acknowledged, none lost
    cards = _cards_per_urgent_issue(tracker, telegram)
    assert len(cards) >= sent // 5 and min(cards.values()) >= 1, cards  # no card lost
    # The Bot API takes no idempotency key and a bot cannot read its chat: a kill between
    # Telegram taking a new card and the store recording its id used to leave a second card.
    # Every send is ledgered now, and the new leader finds such a card by an identical edit
    # before the chat's next send (tracker_bridge.telegram.send_ledger): none is doubled.
    extra_cards = sum(n - 1 for n in cards.values())
    logs = {host: tmp_path / host / "daemon.log" for host in ("host-a", "host-b")}
    doubles = explain_doubles(card_messages(telegram.bot_messages(CHAT), cards), logs, kills)
    assert extra_cards == 0, "\n".join(doubles)
    repeats = sum(count - 1 for count in acks.values())
    assert repeats == 0  # not even for the five kills between the server's acceptance and 250
    assert (in_window, in_card_window) == (FAILOVERS // 2, 3)
    assert set(message_ids_in(folder_files(tmp_path / "Maildir", "Sent")).values()) == {1}
    assert folder_files(tmp_path / "Maildir") == []
    assert max(takeovers) <= TAKEOVER_LIMIT
    print(
        f"\nfailover: kill → READY median {statistics.median(takeovers):.1f} s, worst "
        f"{max(takeovers):.1f} s; kill → first new issue median "
        f"{statistics.median(first_actions):.1f} s, worst {max(first_actions):.1f} s; "
        f"{sent} mails, {in_window} kills in the SMTP window, {repeats} acknowledgments repeated; "
        f"{len(cards)} urgent requests, {in_card_window} kills in the card window, "
        f"{extra_cards} second cards, "
        f"{_resolved(logs)} sends resolved by the new leader"
    )


def _resolved(logs: dict[str, Path]) -> str:
    """How many lost sends the new leaders resolved: found (not posted again) / not sent."""
    text = "".join(path.read_text(encoding="utf-8") for path in logs.values())
    found, missed = (
        text.count(f'"event": "telegram.{e}"') for e in ("send_found", "send_resolved")
    )
    return f"{found} found / {missed} not sent"


async def test_a_leader_paused_mid_conversation_is_refused_before_the_final_dot(
    tmp_path: Path, postgres: PostgresCluster
) -> None:
    url = postgres.create_database()
    paused = threading.Event()
    with FakeTracker() as tracker, _server_filing(tmp_path) as smtp:
        a, b = (
            DaemonChild(c, c.parent / "daemon.log") for c in _configs(tmp_path, url, tracker, smtp)
        )
        stream = Stream(tmp_path / "Maildir", every=0.5)

        def pause(address: str) -> None:  # the leader's RCPT: freeze it mid-conversation
            if len(smtp.messages) >= 3 and not paused.is_set():
                paused.set()
                os.kill(a.pid, signal.SIGSTOP)

        try:
            await a.start()
            await b.start(wait_ready=False)
            stream.start()
            smtp.on_rcpt = pause
            await eventually(paused.is_set, 30, "the leader paused in an SMTP conversation")
            smtp.on_rcpt = None
            stopped = time.monotonic()
            await b.wait_ready(TAKEOVER_LIMIT + 5)
            took_over = time.monotonic() - stopped
            issues = len(tracker.issues)
            await eventually(lambda: len(tracker.issues) > issues + 3, 30, "the new leader acting")
            os.kill(a.pid, signal.SIGCONT)
            code = await a.exit_code(within=30)
            await stream.stop()
            sent = stream.sent
            await eventually(
                lambda: len(tracker.issues) >= sent and len(smtp.messages) >= sent,
                60,
                "every mail registered and acknowledged",
            )
            await asyncio.sleep(2)
        finally:
            smtp.on_rcpt = None
            if paused.is_set() and a.alive():
                os.kill(a.pid, signal.SIGCONT)
            await a.close()
            await b.close()
    assert code == EX_ANOTHER_INSTANCE
    log = (tmp_path / "host-a" / "daemon.log").read_text(encoding="utf-8")
    assert '"leadership.lost"' in log
    # Woken, it had the whole email written and is stopped before the "." that commits it. On
    # a heavily loaded machine the stop can take effect only after that conversation ended
    # (seen once in three runs): then the server had the email, the new leader found it in
    # Sent, and the woken one's record of it was refused by the store's fence.
    refused_write = "a newer leader holds the store; write refused" in log
    assert '"notification.fenced"' in log or refused_write
    assert took_over <= TAKEOVER_LIMIT + 5  # lease 20 s + one check interval 5 s + start
    summaries = issue_by_summary(tracker)
    assert len(summaries) == sent and all(len(keys) == 1 for keys in summaries.values())
    acks = Counter(str(m["Message-ID"]) for m in smtp.messages)
    assert len(acks) == sent
    assert [message_id for message_id, count in acks.items() if count > 1] == []
