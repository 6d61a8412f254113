"""``tracker-bridge check``: the configuration and every connection, as a readable ✓/✗ report.

Sections in order: the configuration (a summary; ``-v`` prints it whole, secrets hidden), Tracker
(:func:`~tracker_bridge.tracker.check.check_tracker`: login, queues, workflows, local fields), the
webhook (each queue's trigger, when ``webhook.enabled``), the
mailbox (IMAP login and folders, or the Maildir), SMTP (connect, EHLO, AUTH — nothing is sent),
Telegram (getMe, when enabled), the store (it opens and its schema is migrated) and the calendar
(how far ahead the production calendar is known: ⚠ within ``calendar.warn_days_ahead`` of its
end). Nothing is changed anywhere except the store's schema, which ``run`` would migrate the same
way. Exit 0 only when no line is ✗ (a ⚠ is something to do soon, not a failure).

``--live --sandbox QUEUE`` then runs the live probe (:mod:`tracker_bridge.tracker.probe`): the
one part that writes, on a throwaway issue in the sandbox queue only; refused (exit 2) without
a sandbox or with a customer's queue as one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from tracker_bridge.cli.common import (
    calendar_of,
    clock_of,
    config_path,
    quiet_logging,
    settings_of,
    tracker_gateway,
)
from tracker_bridge.cli.mailbox import AdminSession, imap_settings, smtp_probe
from tracker_bridge.config import Settings, redacted_dump
from tracker_bridge.foundation.clock import SystemClock
from tracker_bridge.foundation.extras import require_extra
from tracker_bridge.mail.tls import certificate_problem
from tracker_bridge.regulation.calendar_horizon import EXTEND, calendar_horizon
from tracker_bridge.runtime.wiring import secret_of
from tracker_bridge.store.location import maildir_problem, state_dir_report
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.tracker.check import CheckLine, check_tracker
from tracker_bridge.tracker.probe import ProbeRefused, ProbeReport, probe_tracker, render_probe
from tracker_bridge.webhook.setup import check_triggers, not_ready

__all__ = ["Section", "main", "render", "run_checks"]

Section = tuple[str, list[CheckLine]]


def summary(settings: Settings, path: Path) -> CheckLine:
    data = redacted_dump(settings)
    queues = sorted({c["queue"] for c in data["customers"]})
    telegram = "on" if settings.telegram.enabled else "off"
    smtp = f"{settings.smtp.host}:{settings.smtp.effective_port} ({settings.smtp.security})"
    what = (
        f"configuration {path} is valid: {len(data['customers'])} customer(s), "
        f"queue(s) {', '.join(queues)}; mail {settings.mail.source}; SMTP {smtp}; "
        f"Telegram {telegram}; store {settings.store_path}"
    )
    return CheckLine(True, what)


async def _tracker(settings: Settings) -> list[CheckLine]:
    try:
        async with tracker_gateway(settings) as gateway:
            report = await check_tracker(
                gateway,
                queues=sorted({c.queue for c in settings.customers}),
                status_map=settings.status_map(),
                field_ids=settings.tracker.fields.by_logical_name(),
            )
    except Exception as exc:
        return [CheckLine(False, f"Tracker at {settings.tracker.base_url}: {exc}", _NET)]
    return list(report.lines)


_NET = "check the address, the network and the credentials"
_TLS = "trust the CA that signed it (ca_file), or have the server's certificate fixed"


async def _webhook(settings: Settings) -> list[CheckLine]:
    """Each queue's trigger calls the daemon (only when ``webhook.enabled``)."""
    early = not_ready(settings.webhook, secret_of(settings.webhook_secret))
    if early is not None:
        return [early]
    try:
        async with tracker_gateway(settings) as gateway:
            return await check_triggers(
                gateway,
                queues=sorted({c.queue for c in settings.customers}),
                hook=settings.webhook,
                secret=secret_of(settings.webhook_secret),
            )
    except Exception as exc:
        return [CheckLine(False, f"webhook triggers: {exc}", _NET)]


def _maildir(path: Path) -> list[CheckLine]:
    missing = [sub for sub in ("new", "cur", "tmp") if not (path / sub).is_dir()]
    if missing:
        fix = f"create it (mkdir -p {path}/{{new,cur,tmp}}) or fix mail.source"
        return [CheckLine(False, f"Maildir {path} has {', '.join(missing)}/", fix)]
    lines = [CheckLine(True, f"Maildir {path} exists")]
    if (problem := maildir_problem(path)) is not None:
        lines.append(CheckLine(False, problem, "make it writable by the service's user"))
    return lines


def _imap(settings: Settings) -> list[CheckLine]:
    imap = imap_settings(settings)
    assert imap is not None
    where = f"IMAP {imap.user}@{imap.host}:{imap.effective_port}"
    try:
        session = AdminSession(imap)
    except Exception as exc:
        if certificate := certificate_problem(exc, imap.host, "mail.ca_file"):
            return [CheckLine(False, f"{where}: {certificate}", _TLS)]
        return [CheckLine(False, f"{where}: login failed ({exc})", _NET)]
    try:
        lines = [CheckLine(True, f"{where}: logged in")]
        for folder in (imap.mailbox, imap.done_folder, imap.quarantine_folder):
            present = session.folder_exists(folder)
            created = folder != imap.mailbox and not present
            note = " (will be created on first use)" if created else ""
            ok = present or created
            lines.append(CheckLine(ok, f"{where}: folder {folder!r}{note}", "create the folder"))
        return lines
    finally:
        session.close()


async def _mail(settings: Settings) -> list[CheckLine]:
    maildir = settings.mail.maildir
    if maildir is not None:
        return _maildir(maildir)
    return await asyncio.to_thread(_imap, settings)


async def _smtp(settings: Settings) -> list[CheckLine]:
    smtp = settings.smtp
    where = f"SMTP {smtp.host}:{smtp.effective_port} ({smtp.security})"
    auth = f", AUTH as {smtp.username}" if smtp.username else ""
    try:
        greeting = await asyncio.to_thread(smtp_probe(settings).probe)
    except Exception as exc:
        if certificate := certificate_problem(exc, smtp.host, "smtp.ca_file"):
            return [CheckLine(False, f"{where}: {certificate}", _TLS)]
        return [CheckLine(False, f"{where}: {exc}", _NET)]
    return [CheckLine(True, f"{where}: EHLO answered by {greeting}{auth}; nothing sent")]


async def _telegram(settings: Settings) -> list[CheckLine]:
    if not settings.telegram.enabled or settings.telegram_bot_token is None:
        return [CheckLine(True, "Telegram: disabled")]
    from telegram import Bot  # noqa: PLC0415 - only a config with Telegram pays for importing it

    root = settings.telegram.base_url.rstrip("/").removesuffix("/bot")
    token = settings.telegram_bot_token.get_secret_value()
    try:
        async with Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot") as bot:
            me = await bot.get_me()
    except Exception as exc:
        fix = "check telegram_bot_token (from @BotFather) and telegram.base_url"
        return [CheckLine(False, f"Telegram: getMe failed ({type(exc).__name__}: {exc})", fix)]
    return [CheckLine(True, f"Telegram: the bot is @{me.username}")]


async def _store(settings: Settings) -> list[CheckLine]:
    if settings.store_url is not None:
        return await asyncio.to_thread(_postgres_store, settings.store_url, settings)
    path = settings.store_path
    ok, what, fix = state_dir_report(path)
    if not ok or not path.parent.exists():
        return [CheckLine(ok, what, fix)]  # before the first start: nothing to open yet
    try:
        with SqliteStore(path) as store:
            version = store.pragmas()["user_version"]
    except Exception as exc:
        fix = "make the directory exist and be writable by the service user"
        return [CheckLine(False, f"store {path}: {exc}", fix)]
    return [CheckLine(True, f"store {path} opens (schema version {version})")]


def _postgres_store(url: str, settings: Settings) -> list[CheckLine]:
    """A PostgreSQL store (store_url): it opens and is migrated; no state directory is used."""
    require_extra("postgres", "a PostgreSQL store (store_url)")
    from tracker_bridge.store.postgres import PostgresStore, redacted  # noqa: PLC0415

    try:
        with PostgresStore(url, password=secret_of(settings.store_password)):
            pass
    except Exception as exc:
        fix = "check store_url and store_password, and that the server accepts this host"
        return [CheckLine(False, f"store {redacted(url)}: {exc}", fix)]
    return [CheckLine(True, f"store {redacted(url)} opens (PostgreSQL)")]


def _calendar(settings: Settings, now: datetime) -> list[CheckLine]:
    calendar = calendar_of(settings)
    today = now.astimezone(calendar.tz).date()
    horizon = calendar_horizon(calendar, today, settings.calendar.warn_days_ahead)
    return [CheckLine(True, horizon.describe(), EXTEND if horizon.warn else "", horizon.warn)]


async def run_checks(settings: Settings, path: Path, now: datetime | None = None) -> list[Section]:
    """Every section's lines; a check that raises becomes a ✗ line, never a crash."""
    steps: list[tuple[str, Callable[[Settings], Awaitable[list[CheckLine]]]]] = [
        ("Tracker", _tracker),
        ("Webhook", _webhook),
        ("Mail", _mail),
        ("SMTP", _smtp),
        ("Telegram", _telegram),
        ("Store", _store),
    ]
    sections: list[Section] = [("Configuration", [summary(settings, path)])]
    for title, step in steps:
        sections.append((title, await step(settings)))
    sections.append(("Calendar", _calendar(settings, now or SystemClock().now())))
    return sections


def render(sections: list[Section]) -> str:
    out: list[str] = []
    for title, lines in sections:
        out.append(title)
        out += [_line(x) for x in lines]
    bad = sum(1 for _, lines in sections for x in lines if not x.ok)
    warned = sum(1 for _, lines in sections for x in lines if x.ok and x.warning)
    out.append("All checks passed." if not bad else f"{bad} problem(s) to fix.")
    if warned:
        out.append(f"{warned} warning(s): see ⚠ above.")
    return "\n".join(out) + "\n"


def _line(line: CheckLine) -> str:
    if not line.ok:
        return f"  ✗ {line.what} — {line.fix}"
    return f"  ⚠ {line.what} — {line.fix}" if line.warning else f"  ✓ {line.what}"


async def _live(settings: Settings, sandbox: str | None) -> ProbeReport:
    async with tracker_gateway(settings) as gateway:
        return await probe_tracker(
            gateway,
            sandbox=sandbox,
            customer_queues=sorted({c.queue for c in settings.customers}),
            status_map=settings.status_map(),
        )


def main(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    now = clock_of(args).now()
    live = getattr(args, "live", False)
    if live and not getattr(args, "sandbox", None):
        sys.stderr.write(
            "tracker-bridge check --live writes to Tracker: name a sandbox queue with "
            "--sandbox QUEUE (never a customer's queue)\n"
        )
        return 2
    with quiet_logging(args):
        sections = asyncio.run(run_checks(settings, config_path(args), now))
        probe: ProbeReport | None = None
        if live:
            try:
                probe = asyncio.run(_live(settings, args.sandbox))
            except ProbeRefused as exc:
                sys.stderr.write(f"tracker-bridge check --live: {exc}\n")
                return 2
    if args.verbose:
        dump = json.dumps(redacted_dump(settings), ensure_ascii=False, indent=2, sort_keys=True)
        sys.stdout.write(f"Configuration in full (secrets hidden):\n{dump}\n")
    sys.stdout.write(render(sections))
    ok = all(x.ok for _, lines in sections for x in lines)
    if probe is not None:
        sys.stdout.write(render_probe(probe))
        ok = ok and probe.ok
    return 0 if ok else 1
