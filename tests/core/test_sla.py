"""The regulation's clocks: reaction (R10), execution (R10, R14, R16, R17, R18) and silence (R19).

The execution walk's tests run with a 72-calendar-hour execution target for high priorities
(``EXEC_72``), which makes the pause arithmetic easy to read; the default term is 14 working days
(``test_r17_high_priority_execution_defaults_to_14_working_days``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.core.builders import POLICY, an_issue, cal, msk
from tracker_bridge.regulation.model import StatusChange
from tracker_bridge.regulation.policy import ClockUnit, Policy
from tracker_bridge.regulation.sla import (
    ClockKind,
    ClockState,
    execution_clock,
    explain,
    reaction_clock,
    read_clocks,
    silence_clock,
)
from tracker_bridge.regulation.statuses import Status

EXEC_72 = Policy(high_execution=72, high_execution_unit=ClockUnit.CALENDAR_HOURS)


def intake(issue, now):  # type: ignore[no-untyped-def]
    """The execution clock with a 72-hour target for high priorities (see the module doc)."""
    reading = execution_clock(issue, msk(now), cal(), EXEC_72)
    assert reading is not None
    return reading


class TestHighPriorityIntake:
    def test_r10_high_priority_is_due_72_calendar_hours_after_creation(self) -> None:
        """R10: a high-priority request is due three days (72 h) after it appeared."""
        reading = intake(an_issue(priority="critical"), "2026-03-03 12:00")
        assert reading.kind is ClockKind.EXECUTION
        assert reading.deadline == msk("2026-03-05 12:00")
        assert reading.state is ClockState.RUNNING
        assert reading.used == timedelta(hours=24)
        assert reading.remaining == timedelta(hours=48)
        assert round(reading.fraction_used, 3) == round(1 / 3, 3)
        assert reading.target_text == "72 calendar hours"

    def test_r10_blocker_counts_as_high_priority(self) -> None:
        """R10: every priority configured as high gets the 72-hour target."""
        reading = intake(an_issue(priority="blocker"), "2026-03-02 13:00")
        assert reading.deadline == msk("2026-03-05 12:00")

    def test_r10_running_past_the_deadline_is_breached(self) -> None:
        """R10: still not done when the 72 hours are over: breached."""
        reading = intake(an_issue(priority="critical"), "2026-03-05 12:00")
        assert reading.state is ClockState.BREACHED
        assert reading.remaining == timedelta(0)

    def test_r10_done_before_the_deadline_is_met(self) -> None:
        """R10: the customer accepted the change within the target: met, and it stays met."""
        issue = an_issue(priority="critical", history=[("2026-03-04 12:00", Status.VERIFIED)])
        reading = intake(issue, "2026-04-01 12:00")
        assert reading.state is ClockState.MET
        assert reading.ended_at == msk("2026-03-04 12:00")

    def test_r10_done_after_the_deadline_stays_breached(self) -> None:
        """R10: done too late is a breach, however it ends."""
        issue = an_issue(priority="critical", history=[("2026-03-06 12:00", Status.VERIFIED)])
        reading = intake(issue, "2026-03-10 12:00")
        assert reading.state is ClockState.BREACHED
        assert reading.ended_at == msk("2026-03-06 12:00")

    def test_r10_unit_is_a_setting(self) -> None:
        """R10: the high-priority target can be counted in working hours instead."""
        policy = Policy(high_execution=24, high_execution_unit=ClockUnit.WORKING_HOURS)
        issue = an_issue(priority="critical")
        reading = execution_clock(issue, msk("2026-03-02 13:00"), cal(), policy)
        assert reading is not None
        # Mon 12:00 + 24 working hours = Mon 6 h + Tue 8 + Wed 8 + Thu 2 → Thu 12:00
        assert reading.deadline == msk("2026-03-05 12:00")
        assert reading.target_text == "24 working hours"


class TestPausedTime:
    def test_r14_time_waiting_for_information_is_added_to_the_deadline(self) -> None:
        """R10/R14: a day spent in "info requested" moves the deadline by a day."""
        issue = an_issue(
            priority="critical",
            history=[
                ("2026-03-02 13:00", Status.IN_PROGRESS),
                ("2026-03-02 14:00", Status.INFO_REQUESTED),
                ("2026-03-03 14:00", Status.IN_PROGRESS),
            ],
        )
        reading = intake(issue, "2026-03-04 12:00")
        assert reading.deadline == msk("2026-03-06 12:00")
        assert reading.state is ClockState.RUNNING
        assert [i.kind for i in reading.intervals] == ["counted", "counted", "paused", "counted"]
        assert reading.used == timedelta(hours=2 + 22)

    def test_r14_while_waiting_the_clock_is_paused_and_time_left_stands_still(self) -> None:
        """R14: in a paused status nothing is used up, however long the customer takes."""
        issue = an_issue(priority="critical", history=[("2026-03-02 18:00", Status.INFO_REQUESTED)])
        early = intake(issue, "2026-03-03 12:00")
        late = intake(issue, "2026-03-10 12:00")
        assert early.state is late.state is ClockState.PAUSED
        assert early.remaining == late.remaining == timedelta(hours=66)
        assert late.deadline > early.deadline

    def test_r14_awaiting_testing_pauses_and_an_error_found_resumes(self) -> None:
        """R14/R15: "awaiting testing" pauses; "error found" puts the clock back to work."""
        issue = an_issue(
            priority="critical",
            history=[
                ("2026-03-02 12:00", Status.IN_PROGRESS),
                ("2026-03-03 12:00", Status.AWAITING_TESTING),
                ("2026-03-05 12:00", Status.ERROR_FOUND),
            ],
        )
        reading = intake(issue, "2026-03-05 13:00")
        assert reading.deadline == msk("2026-03-07 12:00")
        assert reading.used == timedelta(hours=25)
        assert reading.state is ClockState.RUNNING

    def test_r14_a_pause_that_starts_after_the_deadline_does_not_save_it(self) -> None:
        """R14: asking for information once the time is up does not undo the breach."""
        issue = an_issue(priority="critical", history=[("2026-03-06 12:00", Status.INFO_REQUESTED)])
        reading = intake(issue, "2026-03-07 12:00")
        assert reading.state is ClockState.BREACHED
        assert reading.deadline == msk("2026-03-05 12:00")
        assert reading.intervals[-1].note == "deadline already passed"

    def test_r14_working_day_clocks_add_paused_working_time(self) -> None:
        """R14/R17: a paused working day moves a working-day deadline by one working day."""
        issue = an_issue(
            history=[
                ("2026-03-03 12:00", Status.INFO_REQUESTED),
                ("2026-03-04 12:00", Status.IN_PROGRESS),
            ]
        )
        reading = intake(issue, "2026-03-05 12:00")
        assert reading.deadline == msk("2026-03-24 12:00")


class TestNormalPriorityIntake:
    def test_r17_other_priorities_get_14_working_days(self) -> None:
        """R17: non-critical requests are due in 14 working days (the 9 March holiday skipped)."""
        reading = intake(an_issue(priority="normal"), "2026-03-03 12:00")
        assert reading.deadline == msk("2026-03-23 12:00")
        assert reading.unit is ClockUnit.WORKING_DAYS
        assert reading.target_text == "14 working days"
        assert reading.state is ClockState.RUNNING

    def test_r17_counts_only_working_time_as_used(self) -> None:
        """R6/R17: nights and weekends do not use up a working-day clock."""
        reading = intake(an_issue(), "2026-03-09 12:00")  # Monday, a holiday
        assert reading.used == timedelta(hours=6 + 8 * 4)

    def test_r9_target_follows_the_current_priority(self) -> None:
        """R9: a priority raised by support re-targets the clock from creation."""
        normal = intake(an_issue(priority="normal"), "2026-03-03 12:00")
        raised = intake(an_issue(priority="critical"), "2026-03-03 12:00")
        assert raised.deadline < normal.deadline
        assert "high priority 'critical'" in raised.notes[-1]


class TestClockEnds:
    def test_r16_a_terminal_status_ends_the_clock(self) -> None:
        """R16: once closed, no clock runs: the reading is final."""
        issue = an_issue(priority="critical", history=[("2026-03-03 12:00", Status.DUPLICATE)])
        reading = intake(issue, "2026-06-01 12:00")
        assert reading.state is ClockState.MET
        assert reading.ended_at == msk("2026-03-03 12:00")
        assert reading.remaining == timedelta(0)

    def test_r18_enhancements_have_no_clock(self) -> None:
        """R18: enhancements (by type or tag) are outside the regulation: no clock at all."""
        by_type = an_issue(issue_type="improvement")
        by_tag = an_issue(tags=frozenset({"доработка"}))
        assert execution_clock(by_type, msk("2026-03-03 12:00"), cal(), POLICY) is None
        assert execution_clock(by_tag, msk("2026-03-03 12:00"), cal(), POLICY) is None


class TestBadHistory:
    def test_a_history_out_of_order_is_sorted_and_said(self) -> None:
        """Bad input: changes out of order give the same clock as sorted, with a note."""
        good = an_issue(
            priority="critical",
            history=[
                ("2026-03-02 14:00", Status.INFO_REQUESTED),
                ("2026-03-03 14:00", Status.IN_PROGRESS),
            ],
        )
        first, *rest = good.status_history
        shuffled = replace(good, status_history=(first, *reversed(rest)))
        a = intake(good, "2026-03-04 12:00")
        b = intake(shuffled, "2026-03-04 12:00")
        assert a.deadline == b.deadline
        assert "out of order" in b.notes[0]

    def test_changes_after_now_are_ignored_with_a_note(self) -> None:
        """Bad input: a change stamped in the future (clock skew) does not count yet."""
        issue = an_issue(priority="critical", history=[("2026-03-09 12:00", Status.VERIFIED)])
        reading = intake(issue, "2026-03-03 12:00")
        assert reading.state is ClockState.RUNNING
        assert any("after now" in n for n in reading.notes)

    def test_changes_before_creation_are_moved_to_creation(self) -> None:
        """Bad input: a change before the creation time counts from creation."""
        issue = an_issue(priority="critical")
        early = replace(
            issue,
            status_history=(StatusChange(msk("2026-03-01 12:00"), Status.OPEN),),
        )
        reading = intake(early, "2026-03-03 12:00")
        assert reading.deadline == msk("2026-03-05 12:00")
        assert any("before creation" in n for n in reading.notes)

    def test_a_history_starting_after_creation_gets_an_open_segment(self) -> None:
        """Bad input: a history that misses creation is read as open since creation."""
        issue = an_issue(priority="critical")
        late = replace(
            issue,
            status_history=(StatusChange(msk("2026-03-02 15:00"), Status.IN_PROGRESS),),
        )
        reading = intake(late, "2026-03-03 12:00")
        assert reading.used == timedelta(hours=24)
        assert reading.intervals[0].status is Status.OPEN


class TestSilence:
    def test_r19_silence_runs_10_working_days_from_entering_a_paused_status(self) -> None:
        """R19: ten working days of waiting (the 9 March holiday skipped) end the request."""
        issue = an_issue(history=[("2026-03-02 12:00", Status.INFO_REQUESTED)])
        reading = silence_clock(issue, msk("2026-03-05 12:00"), cal(), POLICY)
        assert reading is not None
        assert reading.kind is ClockKind.SILENCE
        assert reading.deadline == msk("2026-03-17 12:00")
        assert reading.state is ClockState.RUNNING
        assert reading.reminders == (
            (3, msk("2026-03-12 12:00")),
            (1, msk("2026-03-16 12:00")),
        )

    def test_r19_silence_expires_at_the_deadline(self) -> None:
        """R19: at ten working days the silence clock is breached."""
        issue = an_issue(history=[("2026-03-02 12:00", Status.AWAITING_TESTING)])
        reading = silence_clock(issue, msk("2026-03-17 12:00"), cal(), POLICY)
        assert reading is not None and reading.state is ClockState.BREACHED
        assert reading.remaining == timedelta(0)

    def test_r19_a_customer_reply_resets_the_silence_clock(self) -> None:
        """R19: any customer reply before expiry starts the ten days again."""
        issue = an_issue(
            history=[("2026-03-02 12:00", Status.AWAITING_TESTING)],
            last_customer_reply_at=msk("2026-03-04 12:00"),
        )
        reading = silence_clock(issue, msk("2026-03-05 12:00"), cal(), POLICY)
        assert reading is not None
        assert reading.deadline == msk("2026-03-19 12:00")
        assert reading.notes == ("reset by the customer's reply",)

    def test_r19_a_reply_from_before_the_wait_does_not_count(self) -> None:
        """R19: only replies after entering the paused status reset the clock."""
        issue = an_issue(
            history=[("2026-03-02 12:00", Status.INFO_REQUESTED)],
            last_customer_reply_at=msk("2026-03-02 11:00"),
        )
        reading = silence_clock(issue, msk("2026-03-03 12:00"), cal(), POLICY)
        assert reading is not None and reading.started_at == msk("2026-03-02 12:00")

    def test_r19_no_silence_clock_while_support_is_working(self) -> None:
        """R19: the silence clock only runs while waiting for the customer."""
        issue = an_issue(history=[("2026-03-02 12:00", Status.IN_PROGRESS)])
        assert silence_clock(issue, msk("2026-03-03 12:00"), cal(), POLICY) is None


class TestExplanation:
    def test_r6_explain_splits_nights_and_weekends_out_as_skipped(self) -> None:
        """R6: a working-day clock's explanation shows the non-working time it skipped."""
        reading = intake(an_issue(), "2026-03-03 12:00")
        detailed = explain(reading, cal())
        kinds = [(i.kind, i.start, i.end) for i in detailed.intervals]
        assert kinds == [
            ("counted", msk("2026-03-02 12:00"), msk("2026-03-02 18:00")),
            ("skipped", msk("2026-03-02 18:00"), msk("2026-03-03 10:00")),
            ("counted", msk("2026-03-03 10:00"), msk("2026-03-03 12:00")),
        ]

    def test_explain_keeps_paused_intervals_and_leaves_calendar_clocks_alone(self) -> None:
        """A calendar-hours clock counts nights too, so its explanation is unchanged."""
        issue = an_issue(
            history=[
                ("2026-03-03 12:00", Status.INFO_REQUESTED),
                ("2026-03-03 12:30", Status.IN_PROGRESS),
            ]
        )
        detailed = explain(intake(issue, "2026-03-03 19:00"), cal())
        assert [i.kind for i in detailed.intervals] == [
            "counted",
            "skipped",
            "counted",
            "paused",
            "counted",
            "skipped",
        ]
        high = intake(an_issue(priority="critical"), "2026-03-03 12:00")
        assert explain(high, cal()) is high

    def test_fraction_used_is_one_when_nothing_is_left(self) -> None:
        """A finished clock reads as fully used."""
        reading = intake(an_issue(priority="critical"), "2026-03-02 12:00")
        assert reading.fraction_used == 0.0
        done = replace(reading, used=timedelta(0), remaining=timedelta(0))
        assert done.fraction_used == 1.0


def _moved(at: str, status: Status, *, by_person: bool = True) -> StatusChange:
    return StatusChange(msk(at), status, by_person=by_person)


class TestReactionClock:
    """R10: «принимаются в работу … не позднее 3-х суток с момента появления» — a reaction
    deadline, met when a person takes the request into work."""

    def test_r10_reaction_is_72_calendar_hours_from_arrival(self) -> None:
        """R10: the reaction deadline is 72 h after the mail arrived, not after registration."""
        issue = an_issue(priority="critical", arrived_at=msk("2026-03-02 10:00"))
        reading = reaction_clock(issue, msk("2026-03-03 12:00"), cal(), POLICY)
        assert reading is not None
        assert reading.kind is ClockKind.REACTION
        assert reading.started_at == msk("2026-03-02 10:00")
        assert reading.deadline == msk("2026-03-05 10:00")
        assert reading.state is ClockState.RUNNING
        assert reading.used == timedelta(hours=26)

    def test_r10_taken_into_work_by_a_person_an_hour_later_is_met(self) -> None:
        """R10: taken into work one hour after it came: met, and never a breach at 72 h."""
        issue = replace(
            an_issue(priority="critical", history=[("2026-03-02 13:00", Status.IN_PROGRESS)]),
        )
        reading = reaction_clock(issue, msk("2026-03-10 12:00"), cal(), POLICY)
        assert reading is not None
        assert reading.state is ClockState.MET
        assert reading.ended_at == msk("2026-03-02 13:00")
        assert reading.remaining == timedelta(0)
        assert any("taken into work by a person" in n for n in reading.notes)

    def test_r10_the_bridges_own_move_to_work_does_not_count(self) -> None:
        """R10: the bridge moving the request to «В работе» after an answer is not a reaction."""
        base = an_issue(priority="critical")
        issue = replace(
            base,
            status=Status.IN_PROGRESS,
            status_history=(
                *base.status_history,
                _moved("2026-03-02 14:00", Status.IN_PROGRESS, by_person=False),
            ),
        )
        running = reaction_clock(issue, msk("2026-03-04 12:00"), cal(), POLICY)
        late = reaction_clock(issue, msk("2026-03-05 12:00"), cal(), POLICY)
        assert running is not None and running.state is ClockState.RUNNING
        assert late is not None and late.state is ClockState.BREACHED
        assert late.ended_at is None

    def test_r10_a_question_from_support_is_a_reaction(self) -> None:
        """R10/R8: support asking for information has taken the request up."""
        issue = an_issue(priority="critical", history=[("2026-03-02 15:00", Status.INFO_REQUESTED)])
        reading = reaction_clock(issue, msk("2026-03-06 12:00"), cal(), POLICY)
        assert reading is not None and reading.state is ClockState.MET

    def test_r10_taken_after_72_hours_is_late(self) -> None:
        """R10: taken into work after the 72 h: breached, and it stays so."""
        issue = an_issue(priority="critical", history=[("2026-03-05 13:00", Status.IN_PROGRESS)])
        reading = reaction_clock(issue, msk("2026-03-10 12:00"), cal(), POLICY)
        assert reading is not None and reading.state is ClockState.BREACHED
        assert reading.ended_at == msk("2026-03-05 13:00")

    def test_r10_a_reopen_is_not_a_reaction_but_a_close_ends_the_clock(self) -> None:
        """R10/R16: «Открыто повторно» is not work taken; a terminal status ends the clock."""
        reopened = an_issue(priority="critical", history=[("2026-03-02 13:00", Status.REOPENED)])
        closed = an_issue(priority="critical", history=[("2026-03-02 13:00", Status.DUPLICATE)])
        now = msk("2026-03-03 12:00")
        assert reaction_clock(reopened, now, cal(), POLICY).state is ClockState.RUNNING  # type: ignore[union-attr]
        assert reaction_clock(closed, now, cal(), POLICY).state is ClockState.MET  # type: ignore[union-attr]

    def test_r10_other_priorities_and_enhancements_have_no_reaction_clock(self) -> None:
        """R10 sets a reaction term for high priorities only; R18: none for enhancements."""
        now = msk("2026-03-03 12:00")
        assert reaction_clock(an_issue(priority="normal"), now, cal(), POLICY) is None
        enhancement = an_issue(priority="critical", issue_type="improvement")
        assert reaction_clock(enhancement, now, cal(), POLICY) is None

    def test_r10_reaction_target_and_unit_are_settings(self) -> None:
        """R10: the reaction target can be counted in working hours."""
        policy = Policy(high_reaction=24, high_reaction_unit=ClockUnit.WORKING_HOURS)
        reading = reaction_clock(
            an_issue(priority="critical"), msk("2026-03-02 13:00"), cal(), policy
        )
        assert reading is not None
        assert reading.deadline == msk("2026-03-05 12:00")


class TestTwoClocks:
    def test_r17_high_priority_execution_defaults_to_14_working_days(self) -> None:
        """R17/R10: a high priority's execution term is the 14 working days by default."""
        clocks = read_clocks(an_issue(priority="critical"), msk("2026-03-03 12:00"), cal(), POLICY)
        assert clocks.reaction is not None and clocks.execution is not None
        assert clocks.reaction.deadline == msk("2026-03-05 12:00")
        assert clocks.execution.deadline == msk("2026-03-23 12:00")
        assert clocks.first_breach() is None

    def test_r10_r17_reaction_met_while_execution_runs(self) -> None:
        """R10/R17: taken into work at once — reaction met, execution still running."""
        issue = an_issue(priority="critical", history=[("2026-03-02 13:00", Status.IN_PROGRESS)])
        clocks = read_clocks(issue, msk("2026-03-05 13:00"), cal(), POLICY)
        assert clocks.reaction is not None and clocks.reaction.state is ClockState.MET
        assert clocks.execution is not None and clocks.execution.state is ClockState.RUNNING

    def test_r17_execution_starts_at_arrival(self) -> None:
        """R10 "с момента появления": the execution clock counts from the mail's arrival."""
        issue = an_issue(arrived_at=msk("2026-03-02 10:00"))
        reading = execution_clock(issue, msk("2026-03-03 12:00"), cal(), POLICY)
        assert reading is not None
        assert reading.started_at == msk("2026-03-02 10:00")
        assert reading.deadline == msk("2026-03-23 10:00")  # 9 March is a holiday

    def test_an_arrival_after_creation_is_ignored(self) -> None:
        """Bad input: an arrival time later than the issue's creation cannot be the start."""
        issue = an_issue(arrived_at=msk("2026-03-02 13:00"))
        assert issue.appeared_at == msk("2026-03-02 12:00")
