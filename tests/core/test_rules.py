"""The rules pass: what is owed for one request at ``now`` (R4, R5, R8–R10, R12, R15–R19, R22)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.core.builders import POLICY, a_comment, an_issue, cal, msk
from tracker_bridge.regulation.actions import (
    Notify,
    SetFields,
    TelegramAlert,
    TelegramCard,
    Transition,
)
from tracker_bridge.regulation.model import IssueView, PriorityChange, StatusChange
from tracker_bridge.regulation.policy import Policy, TerminalReply
from tracker_bridge.regulation.rules import Evaluation, evaluate, less_than_text
from tracker_bridge.regulation.statuses import Status


def run(issue: IssueView, now: str, policy: Policy = POLICY) -> Evaluation:
    return evaluate(issue, msk(now), cal(), policy)


def of(evaluation: Evaluation, kind: type) -> list:  # type: ignore[type-arg]
    return [a for a in evaluation.actions if isinstance(a, kind)]


def mails(evaluation: Evaluation, template: str) -> list[Notify]:
    return [a for a in of(evaluation, Notify) if a.template == template]


CRITICAL = an_issue(priority="critical")  # created Mon 2 March 12:00, due Thu 5 March 12:00


class TestStatusNotifications:
    def test_r12_every_status_change_the_requester_cares_about_is_mailed_once(self) -> None:
        """R12: "awaiting testing" is mailed to the address the request came from."""
        issue = an_issue(history=[("2026-03-03 12:00", Status.AWAITING_TESTING)])
        (note,) = mails(run(issue, "2026-03-03 12:01"), "status_awaiting_testing")
        assert note.to == "doctor@clinic1.example"
        assert note.issue == "SUP-1"
        assert note.context["status_title"] == "Ожидание тестирования клиентом"

    def test_r12_taken_into_work_by_a_person_is_mailed(self) -> None:
        """R12 "о каждом событии": a person taking the request into work is told (default)."""
        issue = an_issue(history=[("2026-03-03 12:00", Status.IN_PROGRESS)])
        (note,) = mails(run(issue, "2026-03-03 12:01"), "status_in_progress")
        assert note.context["status_title"] == "В работе"

    def test_r12_taken_into_work_notice_is_a_setting(self) -> None:
        """Settings that change a reading: ``notify_taken_into_work = false`` keeps it quiet."""
        issue = an_issue(history=[("2026-03-03 12:00", Status.IN_PROGRESS)])
        quiet = Policy(notify_taken_into_work=False)
        assert not of(run(issue, "2026-03-03 12:01", quiet), Notify)

    def test_r12_the_bridges_own_move_to_work_is_not_mailed(self) -> None:
        """R8/R12: back to work after the customer's answer: the customer knows, no mail."""
        base = an_issue()
        issue = replace(
            base,
            status=Status.IN_PROGRESS,
            status_history=(
                *base.status_history,
                StatusChange(msk("2026-03-03 12:00"), Status.IN_PROGRESS, by_person=False),
            ),
        )
        assert not of(run(issue, "2026-03-03 12:01"), Notify)

    def test_r8_the_question_travels_with_the_info_requested_notice(self) -> None:
        """R8: the clarifying question is in the "info requested" email, not in a second one."""
        issue = an_issue(
            history=[("2026-03-03 12:00", Status.INFO_REQUESTED)],
            comments=(a_comment("c1", "2026-03-03 12:00:30", "Уточните логин"),),
        )
        evaluation = run(issue, "2026-03-03 12:05")
        (note,) = mails(evaluation, "status_info_requested")
        assert note.context["comment"] == "Уточните логин"
        assert not mails(evaluation, "support_comment")

    def test_r8_a_fresh_comment_waits_for_a_status_change_not_yet_read(self) -> None:
        """R8/R22: a support comment seconds old is held for the absorb window (its status change
        may not be read yet), then mailed once if no change took it."""
        issue = an_issue(comments=(a_comment("c5", "2026-03-03 15:00:00", "Исправляем"),))
        held = run(issue, "2026-03-03 15:00:30")
        assert not mails(held, "support_comment")
        assert held.next_check_at == msk("2026-03-03 15:02")
        (note,) = mails(run(issue, "2026-03-03 15:02"), "support_comment")
        assert note.event == "comment:c5"

    def test_r8_support_comments_are_mailed_and_internal_ones_are_not(self) -> None:
        """R8: public support comments reach the requester; internal and customer ones don't."""
        issue = an_issue(
            status=Status.IN_PROGRESS,
            comments=(
                a_comment("c2", "2026-03-03 15:00", "Исправляем"),
                a_comment("c3", "2026-03-03 15:10", "внутреннее", internal=True),
                a_comment("c4", "2026-03-03 15:20", "от клиента", by_customer=True),
            ),
        )
        (note,) = mails(run(issue, "2026-03-03 16:00"), "support_comment")
        assert note.context["comment"] == "Исправляем"
        assert note.event == "comment:c2"

    def test_r12_events_from_before_the_bridge_watched_are_history_not_news(self) -> None:
        """R12: an issue first seen now does not mail its old history again."""
        issue = an_issue(
            history=[("2026-03-03 12:00", Status.AWAITING_TESTING)],
            comments=(a_comment("c1", "2026-03-03 11:00", "старое"),),
            tracked_since=msk("2026-03-03 13:00"),
        )
        assert not of(run(issue, "2026-03-03 14:00"), Notify)

    def test_r12_no_requester_means_no_mail(self) -> None:
        """R12: an issue created in Tracker by hand has nobody to mail."""
        issue = an_issue(requester="", history=[("2026-03-03 12:00", Status.AWAITING_TESTING)])
        assert not of(run(issue, "2026-03-03 12:01"), Notify)


class TestPriorityAndInfrastructure:
    def test_r9_a_priority_corrected_by_support_is_mailed_with_old_and_new(self) -> None:
        """R9: support changed the priority: the requester learns both values."""
        change = PriorityChange(msk("2026-03-03 12:00"), "normal", "critical")
        issue = replace(CRITICAL, priority_history=(change,))
        (note,) = mails(run(issue, "2026-03-03 12:01"), "priority_changed")
        assert (note.context["old_priority"], note.context["new_priority"]) == (
            "normal",
            "critical",
        )

    def test_r9_the_customers_own_priority_is_not_mailed_back(self) -> None:
        """R9: the priority the customer set is not news to the customer."""
        change = PriorityChange(msk("2026-03-02 12:00"), None, "critical", by_support=False)
        issue = replace(CRITICAL, priority_history=(change,))
        assert not mails(run(issue, "2026-03-03 12:01"), "priority_changed")

    def test_r4_an_infrastructure_blockage_is_told_to_the_requester(self) -> None:
        """R4: a resolution or tag marking the customer's infrastructure sends its notice."""
        by_resolution = an_issue(resolution="infrastructure")
        by_tag = an_issue(tags=frozenset({"инфраструктура"}))
        assert mails(run(by_resolution, "2026-03-03 12:00"), "infrastructure")
        assert mails(run(by_tag, "2026-03-03 12:00"), "infrastructure")

    def test_r4_r20_the_infrastructure_notice_knows_whether_a_reply_is_taken(self) -> None:
        """R4 + R20: closed with the infrastructure resolution where a reply would be refused,
        the notice says to write a new request; open (a tag), or with replies reopening (plain
        «Закрыто» by default), it asks for a reply."""
        closed = an_issue(resolution="infrastructure", status=Status.CLOSED)
        tagged = an_issue(tags=frozenset({"инфраструктура"}))
        rejecting = replace(POLICY, terminal_reply={Status.CLOSED: TerminalReply.REJECT})
        (to_closed,) = mails(run(closed, "2026-03-03 12:00", rejecting), "infrastructure")
        (to_open,) = mails(run(tagged, "2026-03-03 12:00"), "infrastructure")
        assert to_closed.context["reply"] == "new_request"
        assert to_open.context["reply"] == "reply"
        (to_reopen,) = mails(run(closed, "2026-03-03 12:00"), "infrastructure")
        assert to_reopen.context["reply"] == "reply"


class TestDeadlineField:
    def test_r17_the_deadline_field_is_written_when_it_differs(self) -> None:
        """R17: the issue shows its 14-working-day deadline."""
        (write,) = of(run(an_issue(), "2026-03-03 12:00"), SetFields)
        assert write.fields == {"deadline": "2026-03-23T12:00:00+03:00"}

    def test_r10_an_up_to_date_deadline_is_left_alone(self) -> None:
        """R10/R17: no write when the fields already show both deadlines."""
        issue = replace(
            CRITICAL,
            reaction_deadline=msk("2026-03-05 12:00"),
            deadline=msk("2026-03-23 12:00"),
        )
        assert not of(run(issue, "2026-03-03 12:00"), SetFields)

    def test_r10_r17_one_field_per_clock(self) -> None:
        """R10/R17: a high priority shows its reaction and its execution deadline, each in
        its own field."""
        writes = of(run(CRITICAL, "2026-03-03 12:00"), SetFields)
        assert [w.fields for w in writes] == [
            {"reaction_deadline": "2026-03-05T12:00:00+03:00"},
            {"deadline": "2026-03-23T12:00:00+03:00"},
        ]

    def test_r10_a_met_reaction_deadline_is_not_rewritten(self) -> None:
        """R10: once taken into work, the reaction field keeps what it showed."""
        taken = an_issue(priority="critical", history=[("2026-03-02 13:00", Status.IN_PROGRESS)])
        writes = of(run(taken, "2026-03-03 12:00"), SetFields)
        assert all("reaction_deadline" not in w.fields for w in writes)

    def test_r14_the_deadline_is_not_rewritten_while_waiting(self) -> None:
        """R14: while paused the deadline drifts; it is written once work resumes."""
        issue = an_issue(history=[("2026-03-03 12:00", Status.INFO_REQUESTED)])
        assert not of(run(issue, "2026-03-04 12:00"), SetFields)

    def test_r18_an_enhancement_has_its_deadline_cleared(self) -> None:
        """R18: enhancements carry no regulation deadline."""
        issue = an_issue(issue_type="newFeature", deadline=msk("2026-03-10 12:00"))
        (write,) = of(run(issue, "2026-03-03 12:00"), SetFields)
        assert write.fields == {"deadline": None}
        assert not of(run(replace(issue, deadline=None), "2026-03-03 12:00"), SetFields)


class TestIntakeAlerts:
    def test_r10_a_warning_at_three_quarters_of_the_clock(self) -> None:
        """R10: at 75 % used (70 of 72 h) support is warned; the next look is the last hour."""
        evaluation = run(CRITICAL, "2026-03-05 10:00")
        (alert,) = of(evaluation, TelegramAlert)
        assert alert.kind == "warning"
        assert "75%" in alert.text
        assert evaluation.next_check_at == msk("2026-03-05 11:00")

    def test_r10_a_second_warning_in_the_last_hour(self) -> None:
        """R10: one working hour before the deadline comes the last warning."""
        alerts = of(run(CRITICAL, "2026-03-05 11:30"), TelegramAlert)
        assert [a.event.split(":")[0] for a in alerts] == ["reaction-share", "reaction-last"]
        assert all("срок взятия в работу" in a.text for a in alerts)

    def test_r10_the_last_warning_says_the_time_left_that_is_set(self) -> None:
        """R10: the last warning comes ``warn_before`` ahead and says that much, not always an
        hour: at 30 minutes, 11:20 is still quiet and 11:40 says «меньше 30 минут»."""
        half_hour = Policy(warn_before=timedelta(minutes=30))
        early = of(run(CRITICAL, "2026-03-05 11:20", half_hour), TelegramAlert)
        assert [a.event.split(":")[0] for a in early] == ["reaction-share"]
        (_, last) = of(run(CRITICAL, "2026-03-05 11:40", half_hour), TelegramAlert)
        assert last.text.startswith("Осталось меньше 30 минут: срок взятия в работу")
        (_, default) = of(run(CRITICAL, "2026-03-05 11:30"), TelegramAlert)
        assert default.text.startswith("Осталось меньше часа: срок взятия в работу")

    def test_r10_the_time_left_in_russian(self) -> None:
        """The «меньше …» of the last warning agrees with its number."""
        said = {
            minutes: less_than_text(timedelta(minutes=minutes))
            for minutes in (1, 21, 30, 60, 90, 120, 300, 1260, 1320)
        }
        assert said == {
            1: "меньше минуты",
            21: "меньше 21 минуты",
            30: "меньше 30 минут",
            60: "меньше часа",
            90: "меньше 1 ч 30 мин",
            120: "меньше 2 часов",
            300: "меньше 5 часов",
            1260: "меньше 21 часа",
            1320: "меньше 22 часов",
        }

    def test_r10_the_breach_names_the_reaction_clock(self) -> None:
        """R10: the breach of an urgent request not taken into work says which deadline."""
        (alert,) = of(run(CRITICAL, "2026-03-05 12:00"), TelegramAlert)
        assert alert.text.startswith("Срок взятия в работу истёк")

    def test_r10_taken_at_once_no_reaction_breach_at_72_hours(self) -> None:
        """R10: an urgent request taken into work one hour after it came is not overdue at 72 h
        (the execution clock runs on, far from its term)."""
        taken = an_issue(priority="critical", history=[("2026-03-02 13:00", Status.IN_PROGRESS)])
        assert not of(run(taken, "2026-03-05 12:30"), TelegramAlert)

    def test_r17_the_execution_breach_names_the_execution_clock(self) -> None:
        """R17: the breach of the 14 working days says «Срок исполнения»."""
        (alert,) = of(run(an_issue(), "2026-03-23 12:30"), TelegramAlert)
        assert alert.kind == "breach" and alert.text.startswith("Срок исполнения истёк")

    def test_r10_nothing_to_say_early_just_a_time_to_look_again(self) -> None:
        """R10: early on, no alert; the pass knows when the 75 % point comes."""
        evaluation = run(CRITICAL, "2026-03-03 12:00")
        assert not of(evaluation, TelegramAlert)
        assert evaluation.next_check_at == msk("2026-03-04 18:00")

    def test_r10_the_breach_is_alerted(self) -> None:
        """R10: the deadline passed without the work being done: breach alert."""
        (alert,) = of(run(CRITICAL, "2026-03-05 12:00"), TelegramAlert)
        assert alert.kind == "breach"

    def test_r6_outside_working_hours_warnings_wait_for_the_opening(self) -> None:
        """R6: at 20:00 the 75 % warning is held until 10:00 the next working day."""
        evaluation = run(CRITICAL, "2026-03-04 20:00")
        assert not of(evaluation, TelegramAlert)
        assert evaluation.next_check_at == msk("2026-03-05 10:00")

    def test_r10_a_high_priority_breach_is_sent_even_at_night(self) -> None:
        """R10: high-priority breaches are not held for the opening."""
        late = an_issue(priority="critical", created="2026-03-02 20:00")
        (alert,) = of(run(late, "2026-03-05 20:30"), TelegramAlert)
        assert alert.kind == "breach"

    def test_r17_a_normal_breach_at_night_waits_for_the_opening(self) -> None:
        """R17/R6: a normal-priority breach out of hours is told at the next opening."""
        evaluation = run(an_issue(), "2026-03-23 19:00")
        assert not of(evaluation, TelegramAlert)
        assert evaluation.next_check_at == msk("2026-03-24 10:00")

    def test_r16_no_alerts_once_the_clock_ended(self) -> None:
        """R16: a finished request has no warnings, no breach, nothing scheduled."""
        done = an_issue(history=[("2026-03-03 12:00", Status.COMPLETED)], requester="")
        evaluation = run(done, "2026-04-30 12:00")
        assert evaluation.actions == ()
        assert evaluation.next_check_at is None


class TestSilence:
    waiting = an_issue(history=[("2026-03-02 12:00", Status.INFO_REQUESTED)])

    def test_r19_the_customer_is_reminded_three_working_days_before_closing(self) -> None:
        """R19: a reminder with the days left and the closing date."""
        evaluation = run(self.waiting, "2026-03-12 12:00")
        (note,) = mails(evaluation, "autoclose_reminder")
        assert note.context["days_left"] == "3"
        assert note.context["close_at"] == "17.03.2026 12:00"
        assert evaluation.next_check_at == msk("2026-03-16 12:00")

    def test_r19_after_downtime_only_the_most_urgent_reminder_goes(self) -> None:
        """R19: both reminders due at once → only "1 day left" is sent."""
        (note,) = mails(run(self.waiting, "2026-03-16 13:00"), "autoclose_reminder")
        assert note.context["days_left"] == "1"

    def test_r19_ten_working_days_of_silence_close_the_request(self) -> None:
        """R19: at expiry the request goes to "closed for no response" with a comment."""
        (move,) = of(run(self.waiting, "2026-03-17 12:00"), Transition)
        assert move.to is Status.CLOSED_NO_RESPONSE
        assert move.comment is not None and "10 рабочих дней" in move.comment
        assert not mails(run(self.waiting, "2026-03-17 12:00"), "autoclose_reminder")

    def test_r19_a_reply_restarts_the_wait(self) -> None:
        """R19: a customer reply on 4 March pushes the closing to 19 March."""
        replied = replace(self.waiting, last_customer_reply_at=msk("2026-03-04 12:00"))
        assert not of(run(replied, "2026-03-17 12:00"), Transition)
        assert of(run(replied, "2026-03-19 12:00"), Transition)


class TestHandOffAndCards:
    def test_r15_a_confirmed_change_is_handed_to_support_for_production(self) -> None:
        """R15: "verified, no errors" → support is told it may go to production."""
        issue = an_issue(history=[("2026-03-03 12:00", Status.VERIFIED)])
        (alert,) = of(run(issue, "2026-03-03 12:01"), TelegramAlert)
        assert alert.kind == "ready_for_production"

    def test_r5_urgent_requests_have_a_live_card(self) -> None:
        """R5: an urgent request gets a card; a normal one does not."""
        assert of(run(CRITICAL, "2026-03-02 12:01"), TelegramCard)
        assert not of(run(an_issue(), "2026-03-02 12:01"), TelegramCard)

    def test_r5_the_card_changes_when_what_it_shows_changes(self) -> None:
        """R5: a new status means a new fingerprint, so the card is edited."""
        before = of(run(CRITICAL, "2026-03-02 12:01"), TelegramCard)[0]
        moved = an_issue(priority="critical", history=[("2026-03-02 13:00", Status.IN_PROGRESS)])
        after = of(run(moved, "2026-03-02 13:01"), TelegramCard)[0]
        assert before.fingerprint != after.fingerprint
        same = of(run(CRITICAL, "2026-03-03 15:00"), TelegramCard)[0]
        assert same.fingerprint == before.fingerprint

    def test_r5_a_card_stays_live_after_the_priority_drops_and_ends_final(self) -> None:
        """R5/R16: a card once posted keeps being updated and shows the final state."""
        card = of(run(CRITICAL, "2026-03-02 12:01"), TelegramCard)[0]
        closed = an_issue(history=[("2026-03-03 12:00", Status.CLOSED)], done=frozenset({card.key}))
        (final,) = of(run(closed, "2026-03-03 12:01"), TelegramCard)
        assert final.final


class TestIdempotency:
    def test_r22_the_same_view_twice_gives_no_new_action(self) -> None:
        """R22: once done, an action is never owed again: no double notifications."""
        issue = an_issue(
            priority="critical",
            history=[("2026-03-02 13:00", Status.AWAITING_TESTING)],
            comments=(a_comment("c9", "2026-03-02 15:00", "Готово, проверьте"),),
        )
        first = run(issue, "2026-03-02 16:00")
        assert first.actions
        done = replace(issue, done=frozenset(a.key for a in first.actions))
        assert run(done, "2026-03-02 16:00").actions == ()

    def test_r22_keys_do_not_depend_on_when_the_pass_runs(self) -> None:
        """R22: the same event has the same key at any ``now``, so it is sent once."""
        issue = an_issue(history=[("2026-03-03 12:00", Status.AWAITING_TESTING)])
        a = mails(run(issue, "2026-03-03 12:01"), "status_awaiting_testing")[0]
        b = mails(run(issue, "2026-03-05 16:00"), "status_awaiting_testing")[0]
        assert a.key == b.key


def test_r10_a_deadline_that_changes_back_is_written_again() -> None:
    """R9/R17: A → B → A: the third write is a new write, not a repeat of the first."""
    first = of(run(an_issue(), "2026-03-02 12:01"), SetFields)[0]
    later = replace(
        an_issue(),
        deadline=msk("2026-03-06 12:00"),
        done=frozenset({first.key}),
    )
    (again,) = of(run(later, "2026-03-02 13:00"), SetFields)
    assert again.fields == first.fields
    assert again.key != first.key


class TestAnswersBeforeTheClose:
    waiting = an_issue(history=[("2026-03-02 12:00", Status.INFO_REQUESTED)])

    def test_r19_no_close_before_the_mail_that_came_in_time_is_read(self) -> None:
        """R19: the mailbox has been read only up to before the deadline (the daemon was
        stopped): the close waits, and the pass looks again soon."""
        evaluation = evaluate(
            self.waiting,
            msk("2026-03-17 12:00"),
            cal(),
            POLICY,
            mail_taken_until=msk("2026-03-17 11:00"),
        )
        assert not of(evaluation, Transition)
        assert evaluation.next_check_at == msk("2026-03-17 12:00:30")

    def test_r19_the_close_follows_once_the_mailbox_is_read_past_the_deadline(self) -> None:
        """R19: every mail up to the deadline read and none answered: closed."""
        evaluation = evaluate(
            self.waiting,
            msk("2026-03-17 12:02"),
            cal(),
            POLICY,
            mail_taken_until=msk("2026-03-17 12:01"),
        )
        assert of(evaluation, Transition)[0].to is Status.CLOSED_NO_RESPONSE


class TestHandOffWords:
    def test_r15_a_manual_verified_never_says_the_customer_confirmed(self) -> None:
        """R15: «Проверено, ошибок нет» set by hand, no confirming mail: no «Заказчик
        подтвердил»."""
        issue = an_issue(history=[("2026-03-03 12:00", Status.VERIFIED)])
        (alert,) = of(run(issue, "2026-03-03 12:01"), TelegramAlert)
        assert "Заказчик подтвердил" not in alert.text
        assert "вручную" in alert.text

    def test_r15_the_bridges_move_on_a_confirmation_says_so(self) -> None:
        """R15: moved by the bridge on the customer's confirming mail: «Заказчик подтвердил»."""
        base = an_issue()
        issue = replace(
            base,
            status=Status.VERIFIED,
            status_history=(
                *base.status_history,
                StatusChange(msk("2026-03-03 12:00"), Status.VERIFIED, by_person=False),
            ),
        )
        (alert,) = of(run(issue, "2026-03-03 12:01"), TelegramAlert)
        assert alert.text.startswith("Заказчик подтвердил")
