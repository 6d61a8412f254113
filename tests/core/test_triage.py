"""Mail triage: what one inbound email does (R1, R2, R6–R9, R14, R15, R20, safety rules)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.core.builders import CLINIC, POLICY, a_mail, an_issue, cal, msk
from tracker_bridge.regulation.actions import (
    AddComment,
    CreateIssue,
    Ignore,
    Link,
    NewIssue,
    Notify,
    Quarantine,
    SetFields,
    TelegramAlert,
    Transition,
    unique_for,
)
from tracker_bridge.regulation.model import Attachment, InboundMail, IssueView, PriorityChange
from tracker_bridge.regulation.policy import Policy, TerminalReply
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.regulation.triage import Decision, route, triage

WORKING = "2026-03-03 12:00"


def run(
    mail: InboundMail,
    issue: IssueView | None = None,
    *,
    now: str = WORKING,
    policy: Policy = POLICY,
    may_answer: bool = True,
) -> Decision:
    return triage(
        mail,
        customer=route(mail, [CLINIC]),
        issue=issue,
        now=msk(now),
        cal=cal(),
        policy=policy,
        may_answer=may_answer,
        own_addresses=frozenset({"support-clinic1@vendor.example"}),
    )


def only(decision: Decision, kind: type) -> list:  # type: ignore[type-arg]
    return [a for a in decision.actions if isinstance(a, kind)]


class TestRouting:
    def test_r2_mail_is_routed_by_the_intake_address_it_was_sent_to(self) -> None:
        """R2: the customer is the one whose intake address is in Delivered-To, To or Cc."""
        other = replace(CLINIC, name="clinic-two", intake_addresses=frozenset({"two@v.example"}))
        by_cc = a_mail(to=("someone@else.example",), cc=("Two@V.example",))
        by_delivered = a_mail(to=(), delivered_to=("support-clinic1@vendor.example",))
        assert route(by_cc, [CLINIC, other]) is other
        assert route(by_delivered, [CLINIC, other]) is CLINIC

    def test_r2_mail_to_no_known_intake_address_is_quarantined(self) -> None:
        """R2/safety: mail for no customer is kept aside, never dropped, never answered."""
        decision = run(a_mail(to=("stranger@vendor.example",)))
        assert decision.actions == (Quarantine("m1@clinic1.example", decision.reason),)
        assert "stranger@vendor.example" in decision.reason


class TestSafety:
    def test_automatic_mail_is_ignored_and_never_answered(self) -> None:
        """Safety: auto-replies and bounces never create requests nor get an answer."""
        decision = run(a_mail(is_automatic=True, automatic_reason="Auto-Submitted: auto-replied"))
        assert [type(a) for a in decision.actions] == [Ignore]
        assert "auto-replied" in decision.reason

    def test_our_own_mail_coming_back_is_ignored(self) -> None:
        """Safety: a notification of ours that comes back is not a request (loop guard)."""
        decision = run(a_mail(sender="support-clinic1@vendor.example"))
        assert [type(a) for a in decision.actions] == [Ignore]

    def test_an_unknown_sender_is_quarantined(self) -> None:
        """Safety: only a customer's allowed senders create requests."""
        decision = run(a_mail(sender="spam@elsewhere.example"))
        assert [type(a) for a in decision.actions] == [Quarantine]
        assert "spam@elsewhere.example" in decision.reason

    def test_subdomains_and_listed_addresses_are_allowed(self) -> None:
        """Safety: an allowed domain admits its subdomains; single addresses can be listed."""
        assert CLINIC.admits("nurse@branch.clinic1.example")
        assert CLINIC.admits("Chief@Gmail.example")
        assert not CLINIC.admits("x@notclinic1.example")


class TestNewRequest:
    def test_r1_r7_a_new_email_registers_exactly_one_request(self) -> None:
        """R1/R7: the subject's problem and department, the body's fields, the files."""
        shot = Attachment("screen.png", "image/png", b"\x89PNG")
        mail = a_mail(
            subject="Не печатается рецепт - Терапия",
            attachments=(shot,),
            fields={"login": "ivanova", "card_number": "12345"},
        )
        decision = run(mail)
        (create,) = only(decision, CreateIssue)
        assert create.summary == "Не печатается рецепт"
        assert create.fields == {
            "login": "ivanova",
            "card_number": "12345",
            "department": "Терапия",
        }
        assert create.queue == "SUP"
        assert create.requester == "doctor@clinic1.example"
        assert create.attachments == (shot,)
        assert create.unique == unique_for("clinic-one", "m1@clinic1.example")
        assert "При нажатии «Печать»" in create.description
        assert "Иванова Мария <doctor@clinic1.example>" in create.description
        assert decision.clause == "R7"

    def test_r1_the_same_email_twice_gives_the_same_unique_key(self) -> None:
        """R1/exactly once: a redelivered email maps to the same Tracker ``unique``."""
        a, b = run(a_mail()), run(a_mail())
        assert only(a, CreateIssue)[0].unique == only(b, CreateIssue)[0].unique
        other = run(a_mail(message_id="m2@clinic1.example"))
        assert only(other, CreateIssue)[0].unique != only(a, CreateIssue)[0].unique

    def test_r7_an_unrecognised_layout_still_makes_a_request(self) -> None:
        """R7: no subject, no fields: the first line is the summary, the text the description."""
        mail = a_mail(subject="", text="Всё сломалось\nподробности", fields={})
        (create,) = only(run(mail), CreateIssue)
        assert create.summary == "Всё сломалось"
        assert create.fields == {}

    def test_r7_department_can_come_from_the_body(self) -> None:
        """R7: the department line of the body is used when the subject names none."""
        mail = a_mail(fields={"login": "x", "department": "хирургия"})
        (create,) = only(run(mail), CreateIssue)
        assert create.fields["department"] == "Хирургия"

    def test_r12_the_requester_is_acknowledged_with_the_deadline(self) -> None:
        """R12/R17: the registration notice carries the applicable deadline."""
        (ack,) = only(run(a_mail()), Notify)
        assert ack.template == "registered"
        assert ack.to == "doctor@clinic1.example"
        assert isinstance(ack.issue, NewIssue)
        assert ack.context["deadline"] == "24.03.2026 12:00"
        assert ack.context["out_of_hours"] == ""
        assert ack.context["missing_login"] == ""
        assert ack.in_reply_to == "m1@clinic1.example"

    def test_r7_a_request_without_a_login_is_accepted_and_the_login_asked_for(self) -> None:
        """R7: missing login → the request is registered and the notice asks for it."""
        decision = run(a_mail(fields={}))
        assert only(decision, CreateIssue)
        assert only(decision, Notify)[0].context["missing_login"] == "yes"

    def test_r6_out_of_hours_receipt_is_said_with_the_next_opening(self) -> None:
        """R6: on Saturday before the 9 March holiday, work starts on Tuesday 10:00."""
        (ack,) = only(run(a_mail(), now="2026-03-07 12:00"), Notify)
        assert ack.context["out_of_hours"] == "yes"
        assert ack.context["next_opening"] == "10.03.2026 10:00"

    def test_r9_r10_a_subject_marker_sets_high_priority_and_a_72_hour_deadline(self) -> None:
        """R9/R10: «СРОЧНО» makes the request critical; the marker leaves the summary."""
        decision = run(a_mail(subject="СРОЧНО! Не открывается карта"))
        (create,) = only(decision, CreateIssue)
        assert create.priority == "critical"
        assert create.summary == "Не открывается карта"
        assert create.reaction_deadline == msk("2026-03-06 12:00")
        assert create.deadline == msk("2026-03-24 12:00")

    def test_r10_clocks_start_when_the_mail_arrived_not_when_it_was_read(self) -> None:
        """R10 "с момента появления": after a two-hour outage the deadlines (and the
        acknowledgement) are counted from the mail's arrival in the mailbox."""
        arrived = msk("2026-03-03 10:00")
        mail = a_mail(subject="СРОЧНО! Не открывается карта", received_at=arrived)
        decision = run(mail)  # the bridge reads it at 12:00
        (create,) = only(decision, CreateIssue)
        assert create.arrived_at == arrived
        assert create.reaction_deadline == msk("2026-03-06 10:00")
        (ack,) = only(decision, Notify)
        assert ack.context["reaction_deadline"] == "06.03.2026 10:00"
        assert ack.context["deadline"] == "24.03.2026 10:00"

    def test_r10_an_arrival_in_the_future_is_not_trusted(self) -> None:
        """A delivery time later than now (a skewed server clock) falls back to now."""
        mail = a_mail(received_at=msk("2026-03-04 10:00"))
        (create,) = only(run(mail), CreateIssue)
        assert create.arrived_at == msk("2026-03-03 12:00")

    def test_r9_the_mail_clients_priority_wins_over_the_default(self) -> None:
        """R9: X-Priority/Importance (the parser's hint) sets the priority."""
        (create,) = only(run(a_mail(priority_hint="minor")), CreateIssue)
        assert create.priority == "minor"

    def test_r20_a_new_request_quoting_an_old_key_is_linked_to_it(self) -> None:
        """R20: "corrections to old requests: file a new one quoting the old number"."""
        mail = a_mail(issue_keys=("SUP-7", "OTHER-1"))
        decision = run(mail)
        (create,) = only(decision, CreateIssue)
        assert only(decision, Link) == [Link(create.ref, "SUP-7")]
        assert only(decision, Notify)[0].context["linked"] == "SUP-7"

    def test_the_answer_limit_stops_acknowledgements_but_not_registration(self) -> None:
        """Loop guard: past the daily answer limit the request is still registered, unanswered."""
        decision = run(a_mail(), may_answer=False)
        assert only(decision, CreateIssue)
        assert not only(decision, Notify)

    def test_a_reply_to_another_customers_issue_becomes_a_new_request(self) -> None:
        """R2: a customer never writes into another customer's request."""
        foreign = an_issue(customer="clinic-two", status=Status.IN_PROGRESS)
        decision = run(a_mail(), foreign)
        assert only(decision, CreateIssue)
        assert not only(decision, AddComment)


class TestReplies:
    def test_r8_a_reply_to_an_open_request_becomes_a_comment(self) -> None:
        """R8: the requester's reply is added to the same issue, quotes trimmed."""
        shot = Attachment("a.png", "image/png", b"x")
        mail = a_mail(text="Ответ\n> старое", reply_text="Ответ", attachments=(shot,))
        issue = an_issue(status=Status.IN_PROGRESS)
        decision = run(mail, issue)
        assert decision.actions == (
            AddComment(
                "SUP-1",
                "Ответ",
                source_id="m1@clinic1.example",
                on_behalf_of="doctor@clinic1.example",
                attachments=(shot,),
            ),
        )

    def test_r8_r14_an_answer_to_info_requested_puts_the_request_back_to_work(self) -> None:
        """R8/R14: the customer answered the question: comment and back to "in progress"."""
        decision = run(a_mail(reply_text="Логин ivanova"), an_issue(status=Status.INFO_REQUESTED))
        assert [type(a) for a in decision.actions] == [AddComment, Transition]
        move = only(decision, Transition)[0]
        assert move.to is Status.IN_PROGRESS
        assert decision.clause == "R8"

    def test_r8_an_empty_reply_is_still_recorded(self) -> None:
        """R8: even an empty reply leaves a trace on the issue."""
        decision = run(a_mail(text="", reply_text=""), an_issue(status=Status.IN_PROGRESS))
        assert only(decision, AddComment)[0].text == "(пустое письмо)"


class TestTestingReplies:
    testing = an_issue(status=Status.AWAITING_TESTING)

    def test_r15_a_confirmation_from_a_responsible_person_verifies_the_change(self) -> None:
        """R15: «проверено, ошибок нет» from an allowed confirmer → verified."""
        mail = a_mail(sender="chief@clinic1.example", reply_text="Проверено, ошибок нет.")
        decision = run(mail, self.testing)
        assert [type(a) for a in decision.actions] == [AddComment, Transition]
        assert only(decision, Transition)[0].to is Status.VERIFIED

    def test_r15_a_confirmation_from_someone_else_is_refused_and_support_told(self) -> None:
        """R15: only the customer's responsible people can accept a change."""
        mail = a_mail(reply_text="Проверено, ошибок нет")
        decision = run(mail, self.testing)
        assert not only(decision, Transition)
        (alert,) = only(decision, TelegramAlert)
        assert alert.kind == "confirmation_refused"
        (notice,) = only(decision, Notify)
        assert notice.template == "confirmation_not_allowed"
        assert notice.context["sender"] == "doctor@clinic1.example"

    def test_r15_a_refused_confirmation_past_the_answer_limit_is_not_answered(self) -> None:
        """R15/loop guard: the refusal notice respects the daily answer limit."""
        decision = run(a_mail(reply_text="Ошибок нет"), self.testing, may_answer=False)
        assert not only(decision, Notify)

    def test_r15_any_allowed_sender_confirms_when_no_confirmers_are_listed(self) -> None:
        """R15: with no confirmers configured, every allowed sender may confirm."""
        open_clinic = replace(CLINIC, confirmers=frozenset())
        mail = a_mail(reply_text="Всё работает, спасибо")
        decision = triage(
            mail,
            customer=open_clinic,
            issue=self.testing,
            now=msk(WORKING),
            cal=cal(),
            policy=POLICY,
        )
        assert only(decision, Transition)[0].to is Status.VERIFIED

    def test_r15_a_reported_problem_moves_to_error_found(self) -> None:
        """R15: «не работает» → "error found", back to support."""
        decision = run(a_mail(reply_text="Кнопка всё ещё не работает"), self.testing)
        assert only(decision, Transition)[0].to is Status.ERROR_FOUND
        assert decision.clause == "R15"

    def test_r15_an_unclear_reply_is_a_comment_and_support_is_told(self) -> None:
        """R15: neither confirmation nor corrections: comment + Telegram alert; R19: the
        customer answered, so the request leaves waiting (support owes the next step)."""
        decision = run(a_mail(reply_text="А как проверить? Где это в меню?"), self.testing)
        assert [type(a) for a in decision.actions] == [AddComment, TelegramAlert, Transition]
        assert only(decision, TelegramAlert)[0].kind == "unclear_reply"
        assert only(decision, Transition)[0].to is Status.IN_PROGRESS

    def test_r15_corrections_go_back_to_work_and_support_is_told(self) -> None:
        """R15: «всё работает, кроме …» → «Найдена ошибка» (R13: in work) and an alert."""
        mail = a_mail(sender="chief@clinic1.example", reply_text="Всё работает, кроме печати")
        decision = run(mail, self.testing)
        assert only(decision, Transition)[0].to is Status.ERROR_FOUND
        assert only(decision, TelegramAlert)[0].kind == "correction"

    def test_r19_a_deferring_reply_keeps_the_request_waiting(self) -> None:
        """R19: «посмотрю завтра» is added as a comment; the request keeps waiting."""
        decision = run(a_mail(reply_text="Посмотрим завтра"), self.testing)
        assert [type(a) for a in decision.actions] == [AddComment]
        waiting = an_issue(status=Status.INFO_REQUESTED)
        decision = run(a_mail(reply_text="Уточню логин и отпишусь"), waiting)
        assert [type(a) for a in decision.actions] == [AddComment]

    def test_r19_an_answer_to_a_question_goes_back_to_work(self) -> None:
        """R8/R19: the information asked for is an answer: back to work, silence stops."""
        waiting = an_issue(status=Status.INFO_REQUESTED)
        decision = run(a_mail(reply_text="Логин ivanova, Chrome 131"), waiting)
        assert only(decision, Transition)[0].to is Status.IN_PROGRESS


class TestPriorityRaise:
    def test_r9_a_later_urgent_reply_raises_the_priority(self) -> None:
        """R9: a reply with «СРОЧНО» raises a normal request to critical."""
        issue = an_issue(status=Status.IN_PROGRESS)
        decision = run(a_mail(reply_priority_hint="critical"), issue)
        (write,) = only(decision, SetFields)
        assert write.fields == {"priority": "critical"}

    def test_r9_the_inherited_subject_of_a_reply_raises_nothing(self) -> None:
        """R9: "Re: СРОЧНО …" repeats the first mail's subject; support lowered it: no raise."""
        issue = an_issue(
            status=Status.IN_PROGRESS,
            priority_history=(PriorityChange(msk("2026-03-02 13:00"), "critical", "normal"),),
        )
        decision = run(a_mail(subject="Re: СРОЧНО не открывается карта"), issue)
        assert not only(decision, SetFields) and not only(decision, TelegramAlert)

    def test_r9_a_body_priority_field_raises_it_too(self) -> None:
        """R9: «Приоритет: высокий» in a reply raises the priority."""
        issue = an_issue(status=Status.IN_PROGRESS)
        decision = run(a_mail(reply_priority_hint="critical"), issue)
        assert only(decision, SetFields)[0].fields == {"priority": "critical"}

    def test_r9_support_set_priority_is_not_overridden_support_is_alerted(self) -> None:
        """R9 "в спорных случаях согласуется совместно": support set it by hand → alert."""
        issue = an_issue(
            status=Status.IN_PROGRESS,
            priority_history=(PriorityChange(msk("2026-03-02 13:00"), "critical", "normal"),),
        )
        decision = run(a_mail(reply_priority_hint="critical"), issue)
        assert not only(decision, SetFields)
        assert only(decision, TelegramAlert)[0].kind == "priority_dispute"

    def test_r9_a_lower_or_equal_ask_changes_nothing(self) -> None:
        """R9: «не срочно» or the same priority in a reply changes nothing."""
        issue = an_issue(status=Status.IN_PROGRESS, priority="critical")
        assert not only(run(a_mail(reply_priority_hint="critical"), issue), SetFields)
        assert not only(run(a_mail(reply_priority_hint="minor"), issue), SetFields)


class TestClosedRequests:
    @pytest.mark.parametrize(
        "status", [s for s in Status if s.is_terminal and s is not Status.CLOSED]
    )
    def test_r20_a_reply_to_a_finished_request_is_not_added(self, status: Status) -> None:
        """R20: replies to Завершено/Дубликат/Отменено/Невыполнимо/Закрыто из-за отсутствия
        ответа are ignored; the sender is told why."""
        decision = run(a_mail(), an_issue(status=status))
        (notice,) = decision.actions
        assert isinstance(notice, Notify)
        assert notice.template == "reply_ignored"
        assert notice.context["old_key"] == "SUP-1"
        assert decision.clause == "R20"

    def test_r20_the_rejection_notice_is_rate_limited(self) -> None:
        """R20/loop guard: past the answer limit the reply is ignored silently."""
        decision = run(a_mail(), an_issue(status=Status.COMPLETED), may_answer=False)
        assert [type(a) for a in decision.actions] == [Ignore]

    def test_r20_a_reply_to_plain_closed_reopens_it_by_default(self) -> None:
        """R13 "Закрытые задачи можно вновь открыть"; R20 names «Завершено», not «Закрыто»:
        a reply to plain «Закрыто» reopens the request (the setting's default)."""
        decision = run(a_mail(), an_issue(status=Status.CLOSED))
        assert only(decision, Transition)[0].to is Status.REOPENED
        reject = Policy(terminal_reply={Status.CLOSED: TerminalReply.REJECT})
        (notice,) = run(a_mail(), an_issue(status=Status.CLOSED), policy=reject).actions
        assert isinstance(notice, Notify) and notice.template == "reply_ignored"

    def test_r20_per_status_a_reply_can_file_a_new_linked_request(self) -> None:
        """R20: the "new request linked to the old" setting."""
        policy = Policy(terminal_reply={Status.CLOSED: TerminalReply.NEW_LINKED})
        decision = run(a_mail(issue_keys=("SUP-1",)), an_issue(status=Status.CLOSED), policy=policy)
        (create,) = only(decision, CreateIssue)
        assert only(decision, Link) == [Link(create.ref, "SUP-1")]
        assert decision.clause == "R20"

    def test_r20_per_status_a_reply_can_reopen(self) -> None:
        """R20: the "reopen" setting adds the reply and reopens the request."""
        policy = Policy(terminal_reply={Status.COMPLETED: TerminalReply.REOPEN})
        decision = run(a_mail(), an_issue(status=Status.COMPLETED), policy=policy)
        assert [type(a) for a in decision.actions] == [AddComment, Transition]
        assert only(decision, Transition)[0].to is Status.REOPENED


class TestSubjectReading:
    @pytest.mark.parametrize(
        ("subject", "summary"),
        [
            ("[EXTERNAL] Не печатается выписка", "Не печатается выписка"),
            ("[SPAM?] Re: [EXTERNAL] Не печатается выписка", "Не печатается выписка"),
            ("Отчёт [черновик] не строится", "Отчёт [черновик] не строится"),
        ],
    )
    def test_r7_a_leading_tag_is_removed_whole(self, subject: str, summary: str) -> None:
        """R7: «[EXTERNAL]» loses the whole tag, not one bracket; tags inside stay."""
        (create,) = only(run(a_mail(subject=subject)), CreateIssue)
        assert create.summary == summary

    @pytest.mark.parametrize(
        "subject",
        ["Не срочно: поменять шрифт в шапке", "не очень срочно: поменять шрифт в шапке"],
    )
    def test_r9_a_negated_marker_is_not_high_and_keeps_the_meaning(self, subject: str) -> None:
        """R9: «Не срочно: …» is not critical, and the summary never reads «Не поменять …»."""
        (create,) = only(run(a_mail(subject=subject, priority_hint="minor")), CreateIssue)
        assert create.priority == "minor"
        assert create.summary == "поменять шрифт в шапке"
        assert not create.summary.lower().startswith("не ")


class TestAnswerBeforeTheClose:
    closed = an_issue(
        history=[
            ("2026-03-02 12:00", Status.AWAITING_TESTING),
            ("2026-03-16 12:00", Status.CLOSED_NO_RESPONSE),
        ]
    )

    def test_r19_an_answer_that_arrived_before_the_close_reopens_the_request(self) -> None:
        """R19/R20: mail that reached the mailbox before the auto-close is honoured: reopen
        first (never appended to a closed request), then the answer, and support is told."""
        mail = a_mail(reply_text="Проверено, ошибок нет", received_at=msk("2026-03-16 11:59"))
        decision = run(mail, self.closed, now="2026-03-16 12:05")
        assert [type(a) for a in decision.actions] == [Transition, AddComment, TelegramAlert]
        assert only(decision, Transition)[0].to is Status.REOPENED
        (alert,) = only(decision, TelegramAlert)
        assert alert.kind == "late_answer" and "подтверждение" in alert.text
        assert "16.03.2026 11:59" in alert.text

    def test_r20_an_answer_that_arrived_after_the_close_is_refused_as_before(self) -> None:
        """R20: after the close, a reply is refused with the explanation (default)."""
        mail = a_mail(reply_text="Проверено, ошибок нет", received_at=msk("2026-03-16 12:01"))
        (notice,) = run(mail, self.closed, now="2026-03-16 12:05").actions
        assert isinstance(notice, Notify) and notice.template == "reply_ignored"
