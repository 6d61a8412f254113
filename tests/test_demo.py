"""``tracker-bridge demo``: the real daemon plays the regulation on the fakes and checks itself.

The demo runs once for the module, through the CLI; the tests read its timeline.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tracker_bridge.cli import main
from tracker_bridge.demo.timeline import SAFETY, Timeline
from tracker_bridge.regulation.registry import CLAUSES

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Run:
    code: int
    text: str

    def summary_row(self, clause: str) -> str:
        summary = self.text.split("\nSummary:", 1)[1]
        match = re.search(rf"^{clause}\s+(\S)\s+(.*)$", summary, re.MULTILINE)
        assert match is not None, f"no summary row for {clause}"
        return f"{match.group(1)} {match.group(2)}"


@pytest.fixture(scope="module")
def demo() -> Run:
    """One run of ``tracker-bridge demo`` through ``cli.main``, which hands ``run_demo`` the
    current ``sys.stdout``: here a StringIO. (One run: it takes about fifteen seconds.)"""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["demo"])
    return Run(code, out.getvalue())


def test_tracker_bridge_demo_exits_zero_when_every_expected_outcome_happened(demo: Run) -> None:
    """The demo checks itself: ``tracker-bridge demo`` returns 0 and no check line is ✗."""
    assert demo.code == 0, demo.text
    assert not re.search(r"^\s+✗ ", demo.text, re.MULTILINE)
    assert "all clauses held" in demo.text


def test_every_clause_is_in_the_summary_with_a_tick_and_r3_is_out_of_scope(demo: Run) -> None:
    """R1–R22: each has a summary row; all ✓ except R3, marked out of scope."""
    for clause in CLAUSES:
        row = demo.summary_row(clause.id)
        if clause.id == "R3":
            assert row.startswith("— out of scope")
        else:
            assert row.startswith("✓ "), row
    assert demo.summary_row("safety").startswith("✓ ")


def test_the_urgent_request_gets_a_card_a_72_hour_deadline_and_its_screenshot(demo: Run) -> None:
    """R5/R7/R10: the Telegram card, the file in Tracker and the 72 h deadline field."""
    for line in (
        "SUP-2 by bridge: file screenshot.png",
        "Telegram: posted #2: 🆕 SUP-2 · Критичный",
        "✓ R10: reaction deadline field Thu 05.03 11:00: 72 h after the mail arrived",
        "✓ R5: /take → assignee ivanov, status inProgress, card edited in place",
        "✓ R10: taken into work by a person: the reaction clock is met",
        "✓ R17: the execution clock runs on: running, deadline Mon 23.03 11:00",
    ):
        assert line in demo.text, line


def test_the_saturday_request_is_acknowledged_as_out_of_hours_and_asked_for_the_login(
    demo: Run,
) -> None:
    """R6/R7/R17: out-of-hours receipt, missing login asked, 14 working days."""
    for line in (
        "[Sat 28.02 12:00] ✉ a doctor writes",
        "✓ R6: received out of hours",
        "✓ R7: the login is missing: the acknowledgement asks for it",
        "14 working days after the opening Mon 02.03 10:00",
    ):
        assert line in demo.text, line


def test_the_question_pauses_the_clock_and_the_answer_resumes_it(demo: Run) -> None:
    """R8/R14/R10: the execution deadline moves by the three hours spent in 'info
    requested'."""
    assert "slaDeadline Mon 23.03 11:00 → Mon 23.03 14:00" in demo.text
    assert "✓ R14: the clock runs again" in demo.text


def test_the_confirmation_is_refused_from_a_doctor_and_accepted_from_the_chief(
    demo: Run,
) -> None:
    """R11/R15: cache note, refusal for a non-confirmer, 'ready for production' in Telegram."""
    assert "✓ R11: the 'awaiting testing' email says to clear the browser cache" in demo.text
    assert "Подтверждение не принято" in demo.text
    assert "moved status awaitingTesting → verifiedNoErrors" in demo.text
    assert "можно переносить на основную среду" in demo.text


def test_the_silent_request_is_reminded_twice_then_closed_by_the_bridge(demo: Run) -> None:
    """R19: reminders at 3 and 1 working days left, then closed for no response."""
    assert demo.text.count("Напоминание: заявка ждёт вашего ответа") == 2
    assert "SUP-1 by bridge: moved status awaitingTesting → closedNoResponse" in demo.text


def test_mail_after_the_end_is_refused_and_a_quoting_request_is_linked(demo: Run) -> None:
    """R20: the reply is refused with an explanation; the new request relates to the old."""
    assert "→ SUP-1 (reply to SUP-1 (Закрыто из-за отсутствия ответа) ignored" in demo.text
    assert "link SUP-6 relates SUP-1" in demo.text


def test_an_urgent_request_nobody_takes_is_warned_about_then_breached(demo: Run) -> None:
    """R10: Telegram warnings at 75 % and in the last hour, then the breach alert."""
    for line in (
        "✓ R10: Telegram alert at 75 % (Thu 05.03 17:30), a reply to the card",
        "✓ R10: Telegram alert at the last hour (Fri 06.03 10:30), a reply to the card",
        "✓ R10: Telegram alert at the breach (Fri 06.03 11:30), a reply to the card",
    ):
        assert line in demo.text, line


def test_every_working_day_the_story_enters_starts_with_the_digest_at_ten(demo: Run) -> None:
    """R21: the digest is posted at the opening, and lists the breached request."""
    opened = re.findall(r"^\[(\w+ [\d.]+) 10:00\] the working day opens\n.*Сводка", demo.text, re.M)
    assert len(opened) >= 5
    assert "✓ R21: the morning digest lists the breached request" in demo.text


def test_automatic_mail_and_strangers_never_become_requests(demo: Run) -> None:
    """Safety: the out-of-office reply is ignored, the stranger quarantined."""
    assert "ignored → SUP-1 (automatic mail" in demo.text
    assert "quarantined (stranger@mail.example may not file requests" in demo.text


def test_the_tally_shows_every_notification_sent_exactly_once(demo: Run) -> None:
    """R22: SMTP count = journal count = distinct Message-IDs, nothing new on re-evaluation."""
    match = re.search(
        r"SMTP captured (\d+) emails, (\d+) distinct Message-IDs; journal: (\d+)", demo.text
    )
    assert match is not None
    smtp, distinct, journal = (int(g) for g in match.groups())
    assert smtp == distinct == journal > 10
    assert "re-evaluated: 0 new emails" in demo.text


def test_a_claim_that_did_not_hold_fails_the_demo_and_says_so_in_the_summary() -> None:
    """The demo's self-check: one failed check (or a clause never shown) makes it not ok."""
    out = io.StringIO()
    timeline = Timeline(out, lambda: datetime(2026, 3, 2, 10, tzinfo=UTC))
    for clause in CLAUSES:
        timeline.check(clause.id, "shown", ok=True)
    timeline.check(SAFETY, "shown", ok=True)
    assert timeline.ok
    timeline.check("R19", "the reminder went out", ok=False)
    assert not timeline.ok
    timeline.summary()
    assert "NOT SHOWN: the reminder went out" in out.getvalue()
    assert re.search(r"^R19\s+✗ shown$", out.getvalue(), re.MULTILINE)
