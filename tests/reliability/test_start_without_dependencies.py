"""No outside system is needed to start; local misconfiguration exits 78 (issue 18 §4)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from tests.commands.world import run_to_exit, write_config
from tests.e2e.harness import World, running_world
from tracker_bridge.cli import main as cli
from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture


def _telegram_502(_tracker: FakeTracker, telegram: FakeTelegram | None) -> None:
    assert telegram is not None
    telegram.fail_next("getMe", 502, times=6)


async def test_telegram_answering_502_at_start_does_not_stop_the_daemon(tmp_path: Path) -> None:
    """Telegram down at start: the daemon runs, reads mail, reports telegram down, and
    connects by itself once Telegram answers (production backoff on the manual clock)."""
    with capture_logs() as logs:
        async with running_world(
            tmp_path, telegram=True, production=True, before_start=_telegram_502
        ) as world:
            await _runs_without_telegram(world)
    failed = [e for e in logs if e["event"] == "service.start_failed"]
    assert failed and all(e["system"] == "telegram" for e in failed)
    assert any(e["event"] == "telegram.started" for e in logs)


async def _runs_without_telegram(world: World) -> None:
    world.mail(subject="Не печатается рецепт", body="Логин: ivanova")
    await world.run_until(lambda: bool(world.tracker.issues), step=1.0, limit=60.0)
    assert not world.task.done()
    outages = world.bridge.daemon.outages
    assert outages is not None
    await world.run_until(lambda: "telegram" not in outages.down(), step=1.0, limit=120.0)
    assert world.bridge.mirror is not None
    assert world.bridge.mirror.chat_available(-100777)


async def test_the_smtp_server_down_at_start_does_not_stop_the_daemon(tmp_path: Path) -> None:
    """§4, SMTP: the mail server's SMTP side is down when the daemon starts (stopped before the
    daemon's first step). It runs, registers the request, reports smtp down, and acknowledges
    the request exactly once when SMTP answers again — production retries on the manual clock."""
    async with running_world(tmp_path, production=True) as world:
        world.smtp.stop()  # the daemon's task has not taken a step yet
        world.mail(subject="Не печатается рецепт", body="Логин: ivanova")
        await world.run_until(lambda: bool(world.tracker.issues), step=1.0, limit=60.0)
        outages = world.bridge.daemon.outages
        assert outages is not None
        await world.run_until(lambda: outages.is_down("smtp"), step=5.0, limit=900.0)
        assert not world.task.done() and world.smtp.messages == []
        world.smtp.start()
        took = await world.recovery_seconds(
            lambda: bool(world.smtp.messages), "the acknowledgement sent", within=900.0
        )
        print(f"\nSMTP back: the acknowledgement went out {took:.0f} s of clock later")
        await world.settle(300.0, 30.0)
        assert len(world.smtp.messages) == 1  # once, not again for the failed attempts
        assert not outages.is_down("smtp")


def test_a_taken_metrics_port_exits_78_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Local misconfiguration no waiting can fix: exit 78 (systemd does not restart it), one
    line naming the address, no traceback."""
    with socket.socket() as taken, FakeTracker() as tracker, SmtpCapture() as smtp:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (tmp_path / "Maildir").mkdir()
        config = write_config(tmp_path, tracker, smtp, metrics_port=port)
        assert cli(["run", "--config", str(config)]) == 78
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"127.0.0.1:{port}" in err[0]
    assert "Traceback" not in "\n".join(err)


def test_a_metrics_address_this_host_cannot_listen_on_exits_78_with_one_line(
    tmp_path: Path,
) -> None:
    """§4: "a bad listen address" (here TEST-NET's, not this host's and not loopback, where
    the metrics may be served) is local misconfiguration: 78, one line naming it, no
    traceback — it crashed with exit 1 before. Run as its own process, as systemd runs it."""
    listen = "192.0.2.1:9464"
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        (tmp_path / "Maildir").mkdir()
        config = write_config(tmp_path, tracker, smtp)
        text = config.read_text(encoding="utf-8")
        text = text.replace('metrics_listen = "127.0.0.1:9464"', f'metrics_listen = "{listen}"')
        config.write_text(text, encoding="utf-8")
        done = run_to_exit(config, within=60)
    assert done.returncode == 78, done.stderr
    err = done.stderr.strip().splitlines()
    assert len(err) == 1 and "192.0.2.1" in err[0], err
