"""``tracker-bridge sla-report --month``: per-customer figures for a scripted month, and a chart."""

from __future__ import annotations

from pathlib import Path

from tests.commands.world import msk, run_cli, write_config
from tracker_bridge.foundation.clock import ManualClock
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def scripted_month(tracker: FakeTracker, clock: ManualClock) -> None:
    """Six requests around March 2026 (Moscow): four in it, one before, one just after."""

    def at(when: str, key: str, transition: str) -> None:
        clock.set(msk(when))
        closing = transition in ("complete", "close", "close_no_response", "cancel")
        tracker.transition(key, transition, **({"resolution": "fixed"} if closing else {}))

    tracker.create_issue("SUP", "февральская")
    clock.set(msk("2026-03-02 11:00"))
    fast = tracker.create_issue("SUP", "проверена клиентом на следующий день").key
    at("2026-03-02 13:00", fast, "start_progress")
    at("2026-03-02 15:00", fast, "send_to_testing")
    clock.set(msk("2026-03-03 10:00"))
    slow = tracker.create_issue("SUP", "три рабочих дня").key
    at("2026-03-03 11:00", slow, "start_progress")
    at("2026-03-03 12:00", fast, "verified")
    clock.set(msk("2026-03-05 10:00"))
    tracker.create_issue("SUP", "критичная, не взята", priority="critical")
    at("2026-03-05 12:00", slow, "send_to_testing")
    at("2026-03-05 14:00", slow, "verified")
    clock.set(msk("2026-03-10 10:00"))
    silent = tracker.create_issue("SUP", "клиент замолчал").key
    at("2026-03-10 12:00", silent, "request_info")
    at("2026-03-25 12:00", silent, "close_no_response")
    clock.set(msk("2026-04-01 00:30"))  # still 31 March in UTC: April in Moscow
    tracker.create_issue("SUP", "апрельская")


def test_sla_report_counts_a_scripted_month_per_customer_and_draws_a_png(tmp_path: Path) -> None:
    """R10/R17 met and breached, R14 waits excluded from the median, R19 auto-closed counted."""
    clock = ManualClock(msk("2026-02-27 12:00"))
    chart = tmp_path / "sla.png"
    with FakeTracker(clock=clock) as tracker, SmtpCapture() as smtp:
        scripted_month(tracker, clock)
        config = write_config(tmp_path, tracker, smtp)
        result = run_cli(
            "sla-report", "--month", "2026-03", "--png", str(chart), "--config", str(config),
            "--now", "2026-04-01T10:00+03:00",
        )  # fmt: skip
    assert result.code == 0, result.err
    rows = {line.split()[0]: line.split()[1:] for line in result.out.splitlines() if line}
    # requests; reaction met, breached, open (R10: high priorities only — the critical one was
    # never taken into work: breached at 72 h); execution met, breached, open, no clock; median
    # working hours; auto-closed. Execution counted to the clock's end: 4 h (Mon 11–15, then
    # testing), 18 h (Tue 10 → Thu 12), 2 h (Tue 10–12, then waiting until closed): median
    # 4.0; the critical one is past its 14 working days on 1 April.
    expected = ["4", "0", "1", "0", "3", "1", "0", "0", "4.0", "1"]
    assert rows["clinic-one"] == expected
    assert rows["TOTAL"] == expected
    assert "4/4 issues" in result.err
    assert chart.read_bytes().startswith(PNG_SIGNATURE)
    assert f"Chart written to {chart}" in result.out


def test_sla_report_refuses_a_malformed_month(tmp_path: Path) -> None:
    """The month must be YYYY-MM: anything else is a usage error, before Tracker is asked."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        result = run_cli("sla-report", "--month", "March", "--config", str(config))
    assert result.code == 2
    assert "expected YYYY-MM" in result.err
