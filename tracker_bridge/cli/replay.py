"""``tracker-bridge replay FILE.eml --dry-run``: what the daemon would do with one email.

Not a copy of the intake's steps but the intake's own code: the daemon decides through
:class:`~tracker_bridge.service.intake.IntakeDecisions` (route (R2), the thread by the store's
Message-ID
map, then a ``[KEY]`` in the subject looked up in Tracker, the loop guard's counters, triage with
the configured policy and calendar; the Sent folder for a reply to one of our mails the store
forgot; the safety rules above triage), and so does this, at ``now`` — then, instead of carrying
the actions out, it prints them. Nothing is written anywhere: the store is only read (and only if
it exists), Tracker only asked, the Sent folder only searched, and ``--offline`` asks neither
Tracker nor the mail server.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from email.message import EmailMessage
from pathlib import Path

from tracker_bridge.cli.common import (
    ReadOnlyIssues,
    calendar_of,
    clock_of,
    existing_store,
    local_time,
    run_quietly,
    settings_of,
    tracker_gateway,
)
from tracker_bridge.config import Settings
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.mail.errors import MailError
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.mail.sent_folder import SentCopy, SentFolder
from tracker_bridge.regulation.actions import Action
from tracker_bridge.regulation.model import Attachment, Customer, InboundMail, IssueView
from tracker_bridge.regulation.triage import Decision
from tracker_bridge.runtime.wiring import Overrides, intake_decisions, sent_folder
from tracker_bridge.service.intake import Considered, IssueReader
from tracker_bridge.store.memory import MemoryStore
from tracker_bridge.store.protocol import Store

__all__ = ["Lookup", "consider", "describe_action", "main", "replay"]


@dataclass
class Lookup:
    """What the intake found out before deciding, and what a person should know about it."""

    issue: IssueView | None = None
    notes: list[str] = field(default_factory=list)


class _Offline:
    """An issue reader that asks no one (``--offline``, or Tracker unreachable)."""

    async def view(self, key: str) -> IssueView | None:
        return None


class _SearchedSent:
    """The daemon's Sent folder, only searched: a failure to read it is a note, not a stop."""

    def __init__(self, folder: SentFolder, found: Lookup) -> None:
        self._folder, self._found = folder, found

    async def find(self, message_id: str) -> SentCopy | None:
        try:
            return await self._folder.find(message_id)
        except MailError as exc:
            self._found.notes.append(
                f"the Sent folder could not be read ({exc}): a reply to one of our mails that "
                "the store forgot is not threaded by its copy"
            )
            return None

    async def keep(self, message: EmailMessage) -> None:
        raise AssertionError("replay files nothing")  # the intake's decisions never keep

    async def close(self) -> None:
        await self._folder.close()


async def consider(
    settings: Settings, mail: InboundMail, store: Store | None, *, offline: bool, now: datetime
) -> tuple[Considered, Lookup]:
    """The daemon's own decision about ``mail``
    (:class:`~tracker_bridge.service.intake.IntakeDecisions`),
    on the daemon's store read as it is (an empty one when there is none) and Tracker only read."""
    found = Lookup()
    known: Store = MemoryStore() if store is None else store
    if store is None:
        found.notes.append(f"no store at {settings.store_path}: threading by Message-ID skipped")
    elif (prior := store.message_outcome(mail.message_id)) is not None:
        found.notes.append(
            f"already handled ({prior.outcome}, issue {prior.issue_key or '-'}): the daemon "
            "would only settle it; below is what a first delivery would do"
        )
    async with contextlib.AsyncExitStack() as stack:
        issues: IssueReader = _Offline()
        if not offline:
            try:
                gateway = await stack.enter_async_context(tracker_gateway(settings))
                issues = await ReadOnlyIssues.connect(gateway, settings, store)
            except Exception as exc:
                found.notes.append(f"Tracker could not be asked ({exc}): treated as --offline")
        sent: SentFolder | None = None
        if not offline and (folder := sent_folder(settings, Overrides())) is not None:
            stack.push_async_callback(folder.close)
            sent = _SearchedSent(folder, found)
        decisions = intake_decisions(settings, known, ManualClock(now), issues, sent=sent)
        key = decisions.thread_key(mail)
        if key and isinstance(issues, _Offline):
            found.notes.append(f"replies to {key} (store), but Tracker not asked")
        try:
            considered = await decisions.decide(mail)
        except Exception as exc:
            if isinstance(issues, _Offline):
                raise
            found.notes.append(f"Tracker could not be asked ({exc}): treated as --offline")
            decisions = intake_decisions(settings, known, ManualClock(now), _Offline(), sent=sent)
            considered = await decisions.decide(mail)
    found.issue = considered.issue
    if considered.learned is not None:
        found.notes.append(
            f"replies to {considered.learned[1]}: the store forgot our mail "
            f"{considered.learned[0]}, its copy in the Sent folder names the request"
        )
    if considered.no_answer is not None:
        found.notes.append(f"no automatic answer to {mail.sender}: {considered.no_answer}")
    return considered, found


def _value(value: object, zone: tzinfo) -> str:
    if isinstance(value, datetime):
        return local_time(value, zone)
    if isinstance(value, tuple | list | frozenset) and all(
        isinstance(v, Attachment) for v in value
    ):
        return ", ".join(f"{a.filename} ({a.size} B)" for a in value)
    text = " ".join(str(value).split())
    return text if len(text) <= 100 else text[:99] + "…"


def describe_action(action: Action, zone: tzinfo) -> list[str]:
    """The action's kind, then one ``name: value`` line per field that is set."""
    lines = [type(action).__name__]
    for f in dataclasses.fields(action):
        value = getattr(action, f.name)
        if value in (None, "", (), {}, frozenset()):
            continue
        if isinstance(value, Mapping):
            value = ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, ""))
        lines.append(f"     {f.name}: {_value(value, zone)}")
    return lines


def render(mail: InboundMail, customer: Customer | None, found: Lookup, decision: Decision,
           zone: tzinfo) -> str:  # fmt: skip
    issue = f"{found.issue.key} ({found.issue.status.value})" if found.issue else "none"
    lines = [
        f"Message-ID: {mail.message_id}",
        f"From: {mail.sender or '(none)'}   Subject: {mail.subject}",
        f"Customer (R2): {customer.name if customer else 'none'}   Replies to: {issue}",
        *(f"Note: {note}" for note in found.notes),
        *(f"Defect: {defect}" for defect in mail.defects),
        "",
        f"Decision: {decision.clause} — {decision.reason}",
        *_numbered([describe_action(a, zone) for a in decision.actions]),
        "",
        "Dry run: nothing was done.",
    ]
    return "\n".join(lines) + "\n"


def _numbered(actions: list[list[str]]) -> list[str]:
    return [
        f"  {n}. {line}" if i == 0 else line
        for n, lines in enumerate(actions, 1)
        for i, line in enumerate(lines)
    ]


async def replay(settings: Settings, raw: bytes, *, offline: bool, now: datetime) -> str:
    mail = parse_message(raw)  # as the intake's prepare() parses it
    with existing_store(settings) as store:
        considered, found = await consider(settings, mail, store, offline=offline, now=now)
    zone = calendar_of(settings).tz
    return render(mail, considered.customer, found, considered.decision, zone)


def main(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        sys.stderr.write(f"cannot read {path}: {exc}\n")
        return 1
    now = clock_of(args).now()
    text = run_quietly(args, replay(settings, raw, offline=args.offline, now=now))
    sys.stdout.write(text)
    return 0
