"""The SMTP server's own errors never blacklist a customer (issue 18 §3).

Real parts: aiosmtpd answering 535 (a wrong password), 554 5.7.1 (relay denied), 4xx, and 550
5.1.1 (an unknown user); the outbox with the real SmtpSender; SQLite for the store; the CLI
for the suppressions. A server's refusal is an outage (the notification waits, the outage is
reported, the password is read again before every login); only the recipient's own refusal
suppresses the address, and ``tracker-bridge suppressions`` shows and lifts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.reliability.support import write_config
from tests.test_outbox import queue
from tracker_bridge.cli import main as cli
from tracker_bridge.config import load_settings
from tracker_bridge.config.reread import Reread
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.mail.outbound import SmtpSender, SmtpSettings
from tracker_bridge.mail.render import TemplateRenderer
from tracker_bridge.observability.outages import Outages
from tracker_bridge.runtime.wiring import Overrides, open_bridge
from tracker_bridge.service.outbox import Outbox, OutboxIdentity
from tracker_bridge.store.sqlite import SqliteStore
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
CUSTOMERS = [f"doctor{n}@clinic1.example" for n in range(12)]


@pytest.fixture(name="store")
def fixture_store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "state.sqlite3") as store:
        yield store


def _outbox(
    smtp: SmtpCapture, store: SqliteStore, clock: ManualClock, password: Path | None = None
) -> tuple[Outbox, Outages]:
    settings = SmtpSettings(
        host=smtp.host,
        port=smtp.port,
        security="none",
        username="robot" if password is not None else None,
        password=(lambda: password.read_text().strip()) if password is not None else None,
    )
    identity = OutboxIdentity("support@vendor.example", "Техподдержка", "vendor.example")
    outbox = Outbox(store, clock, TemplateRenderer(), SmtpSender(settings), identity)
    outbox.outages = Outages()
    return outbox, outbox.outages


async def _drain_for(outbox: Outbox, clock: ManualClock, seconds: float) -> None:
    """Drain as the outbox loop does, every 5 s of clock time."""
    moved = 0.0
    while moved < seconds:
        await outbox.drain()
        clock.advance(5.0)
        moved += 5.0


async def test_a_wrong_smtp_password_waits_and_every_customer_is_mailed_after_the_fix(
    tmp_path: Path, store: SqliteStore
) -> None:
    """535: nobody is suppressed, nothing is settled; the outage is an operator's to fix; the
    password file fixed, all twelve acknowledgments go out — and a later one too."""
    clock = ManualClock(T0)
    password = tmp_path / "smtp-password"
    password.write_text("wrong\n")
    with SmtpCapture(auth=("robot", "right")) as smtp:
        outbox, outages = _outbox(smtp, store, clock, password)
        for n, address in enumerate(CUSTOMERS):
            queue(store, event=f"status:awaiting_testing:{n}", to=address)  # type: ignore[arg-type]
        await _drain_for(outbox, clock, 30 * 60.0)
        assert smtp.messages == []
        assert store.bounced() == []
        assert len(outbox.backlog()) == 12
        assert outages.down()["smtp"].kind.value == "operator"
        assert "535" in outages.down()["smtp"].reason

        password.write_text("right\n")
        await _drain_for(outbox, clock, 120.0)
        assert sorted(str(m["To"]) for m in smtp.messages) == sorted(CUSTOMERS)
        assert outbox.backlog() == []
        assert "smtp" not in outages.down()
        queue(store, event="status:awaiting_testing:later", to=CUSTOMERS[0])  # type: ignore[arg-type]
        await outbox.drain()
        assert len(smtp.messages) == 13


@pytest.mark.parametrize(
    ("code", "text"),
    [(554, "5.7.1 <doctor0@clinic1.example>: Relay access denied"), (451, "4.3.0 Try later")],
    ids=["relay-denied", "temporary"],
)
async def test_relay_refusals_and_4xx_at_rcpt_wait_and_never_suppress(
    store: SqliteStore, code: int, text: str
) -> None:
    """The server refuses every recipient for its own reasons: an outage, not a bounce."""
    clock = ManualClock(T0)
    with SmtpCapture() as smtp:
        outbox, outages = _outbox(smtp, store, clock)
        queue(store, to=CUSTOMERS[0])  # type: ignore[arg-type]
        smtp.fail_next(code, times=20, stage="rcpt", text=text)
        await _drain_for(outbox, clock, 10 * 60.0)
        assert smtp.messages == [] and store.bounced() == []
        assert "smtp" in outages.down()
        await _drain_for(outbox, clock, 20 * 60.0)  # the refusals are used up: it goes out
        assert [str(m["To"]) for m in smtp.messages] == [CUSTOMERS[0]]


async def test_an_unknown_user_is_suppressed_visibly_and_the_cli_lifts_it(
    tmp_path: Path, store: SqliteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """550 5.1.1 is the recipient's: that address (only) is suppressed, `suppressions list`
    shows it with the reply, `suppressions lift` mails it again."""
    clock = ManualClock(T0)
    with SmtpCapture() as smtp:
        outbox, outages = _outbox(smtp, store, clock)
        queue(store, event="e:1", to="gone@clinic1.example")  # type: ignore[arg-type]
        smtp.fail_next(550, stage="rcpt", text="5.1.1 <gone@clinic1.example>: User unknown")
        await outbox.drain()
        queue(store, event="e:2", to=CUSTOMERS[1])  # type: ignore[arg-type]
        await outbox.drain()
        assert [str(m["To"]) for m in smtp.messages] == [CUSTOMERS[1]]
        assert [row[0] for row in store.bounced()] == ["gone@clinic1.example"]
        assert "smtp" not in outages.down()

    config = _config(tmp_path, smtp)
    assert cli(["suppressions", "list", "--config", str(config)]) == 0
    listed = capsys.readouterr().out
    assert "gone@clinic1.example" in listed and "5.1.1" in listed
    assert cli(["suppressions", "lift", "gone@clinic1.example", "--config", str(config)]) == 0
    assert not store.is_bounced("gone@clinic1.example")
    assert cli(["suppressions", "lift", "gone@clinic1.example", "--config", str(config)]) == 1


def _config(root: Path, smtp: SmtpCapture) -> Path:
    from tests.commands.world import write_config
    from tracker_bridge.testing.fake_tracker import FakeTracker

    with FakeTracker() as tracker:
        return write_config(root, tracker, smtp)


def _smtp_login(config: Path, password: str) -> None:
    """The operator's edit: ``smtp_password`` inline in the TOML file, for the login ``robot``."""
    lines = [
        line
        for line in config.read_text(encoding="utf-8").splitlines()
        if not line.startswith(("smtp_password", "username"))
    ]
    lines.insert(0, f'smtp_password = "{password}"')
    lines.insert(lines.index("[smtp]") + 1, 'username = "robot"')
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def test_an_inline_smtp_password_fixed_in_the_config_file_needs_no_restart(
    tmp_path: Path,
) -> None:
    """§3's "re-read the secret on each attempt" for a password given inline: the daemon wired
    as `tracker-bridge run` wires it (its settings loaded from the TOML file, the loader kept),
    a wrong password, then the file corrected while it runs — every customer is mailed."""
    clock = ManualClock(T0)
    with FakeTracker(clock=clock) as tracker, SmtpCapture(auth=("robot", "right")) as smtp:
        config = write_config(tmp_path, tracker, smtp)
        _smtp_login(config, "a-wrong-one")
        settings = load_settings(config, environ={})
        overrides = Overrides(reread=Reread.of(config, {}))
        async with open_bridge(settings, clock=clock, overrides=overrides) as bridge:
            for n, address in enumerate(CUSTOMERS[:3]):
                queue(bridge.store, event=f"e:{n}", to=address)  # type: ignore[arg-type]
            await _drain_for(bridge.outbox, clock, 10 * 60.0)
            assert smtp.messages == [] and bridge.store.bounced() == []
            assert len(bridge.outbox.backlog()) == 3

            _smtp_login(config, "right")
            await _drain_for(bridge.outbox, clock, 120.0)
            assert sorted(str(m["To"]) for m in smtp.messages) == sorted(CUSTOMERS[:3])
            assert bridge.outbox.backlog() == []
