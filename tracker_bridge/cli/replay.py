"""``tracker-bridge replay FILE.eml --dry-run``: what the daemon would do with one email.

The same steps as the intake — parse, route (R2), find the thread (the store's Message-ID map,
then a ``[KEY]`` in the subject looked up in Tracker), the loop guard's counters, triage with the
configured policy and calendar at ``now`` — and then, instead of carrying the actions out, print
them. Nothing is written anywhere: the store is only read (and only if it exists), Tracker only
asked, and ``--offline`` does not ask Tracker at all.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from tracker_bridge.cli.common import (
    ReadOnlyIssues,
    calendar_of,
    clock_of,
    existing_store,
    local_time,
    quiet_logging,
    settings_of,
    tracker_gateway,
)
from tracker_bridge.config import Settings
from tracker_bridge.mail.loop_guard import should_answer
from tracker_bridge.mail.parse import parse_message
from tracker_bridge.mail.thread_match import subject_keys
from tracker_bridge.regulation.actions import Action
from tracker_bridge.regulation.model import Attachment, Customer, InboundMail, IssueView
from tracker_bridge.regulation.triage import Decision, route, triage
from tracker_bridge.store.protocol import Store

__all__ = ["Lookup", "describe_action", "main", "own_addresses"]


@dataclass
class Lookup:
    """What the intake would find out before deciding."""

    issue: IssueView | None = None
    may_answer: bool = True
    notes: list[str] = field(default_factory=list)


def own_addresses(settings: Settings) -> frozenset[str]:
    """Our own addresses (intake, From, Reply-To): mail from them is never answered."""
    own = {a for c in settings.customers for a in c.intake_addresses}
    own |= {a for a in (settings.smtp.from_address, settings.smtp.reply_to) if a}
    return frozenset(a.lower() for a in own)


def _thread_key(mail: InboundMail, store: Store | None) -> str | None:
    if store is None:
        return None
    for message_id in (mail.in_reply_to, *reversed(mail.references)):
        key = store.issue_for_message(message_id) if message_id else None
        if key:
            return key
    return None


async def _issue(
    settings: Settings, mail: InboundMail, customer: Customer | None, store: Store | None
) -> IssueView | None:
    """The issue the mail replies to, as the intake would find it (Tracker is only read)."""
    async with tracker_gateway(settings) as gateway:
        issues = await ReadOnlyIssues.connect(gateway, settings, store)
        key = _thread_key(mail, store)
        if key is not None:
            return await issues.view(key)
        if customer is None:
            return None
        for candidate in subject_keys(mail.subject):
            if candidate.startswith(f"{customer.queue}-"):
                view = await issues.view(candidate)
                if view is not None and view.customer == customer.name:
                    return view
    return None


async def look_up(
    settings: Settings,
    mail: InboundMail,
    customer: Customer | None,
    store: Store | None,
    *,
    offline: bool,
    now: datetime,
) -> Lookup:
    found = Lookup()
    if store is None:
        found.notes.append(f"no store at {settings.store_path}: threading by Message-ID skipped")
    elif (prior := store.message_outcome(mail.message_id)) is not None:
        found.notes.append(
            f"already handled ({prior.outcome}, issue {prior.issue_key or '-'}): the daemon "
            "would only settle it; below is what a first delivery would do"
        )
    if offline:
        key = _thread_key(mail, store)
        if key:
            found.notes.append(f"replies to {key} (store), but --offline: Tracker not asked")
    else:
        try:
            found.issue = await _issue(settings, mail, customer, store)
        except Exception as exc:
            found.notes.append(f"Tracker could not be asked ({exc}): treated as --offline")
    found.may_answer = _may_answer(settings, mail, store, now, found.notes)
    return found


def _may_answer(
    settings: Settings, mail: InboundMail, store: Store | None, now: datetime, notes: list[str]
) -> bool:
    day = now.astimezone(calendar_of(settings).tz).date()
    ok, why = should_answer(
        mail,
        own_addresses=own_addresses(settings),
        answers_today=store.answers(mail.sender, day) if store else 0,
        limit=settings.policy().auto_answers_per_day,
        bounced=store.is_bounced(mail.sender) if store else False,
    )
    if not ok:
        notes.append(f"no automatic answer to {mail.sender}: {why}")
    return ok


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
    mail = parse_message(raw)
    customers: Sequence[Customer] = settings.customers_core()
    customer = route(mail, customers)
    cal = calendar_of(settings)
    with existing_store(settings) as store:
        found = await look_up(settings, mail, customer, store, offline=offline, now=now)
    decision = triage(
        mail,
        customer=customer,
        issue=found.issue,
        now=now,
        cal=cal,
        policy=settings.policy(),
        may_answer=found.may_answer,
        own_addresses=own_addresses(settings),
    )
    return render(mail, customer, found, decision, cal.tz)


def main(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        sys.stderr.write(f"cannot read {path}: {exc}\n")
        return 1
    now = clock_of(args).now()
    with quiet_logging(args):
        text = asyncio.run(replay(settings, raw, offline=args.offline, now=now))
    sys.stdout.write(text)
    return 0
