"""The loop guard: which incoming mail may get an automatic answer (safety rules, R20)."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from tracker_bridge.mail.loop_guard import is_no_reply_address, should_answer
from tracker_bridge.regulation.model import InboundMail

OWN = ("support-clinic1@vendor.example", "@bridge.vendor.example")


def a_mail(sender: str = "ivanova@clinic1.example", **changes: object) -> InboundMail:
    """A plain human email from a clinic employee."""
    mail = InboundMail(message_id="<abc@clinic1.example>", sender=sender, subject="Не печатается")
    return dataclasses.replace(mail, **changes)  # type: ignore[arg-type]


def guard(mail: InboundMail, *, answers_today: int = 0, bounced: bool = False) -> tuple[bool, str]:
    return should_answer(mail, own_addresses=OWN, answers_today=answers_today, bounced=bounced)


class TestShouldAnswer:
    def test_answers_a_human_within_the_limit(self) -> None:
        """An ordinary email from a person gets its one automatic answer."""
        assert guard(a_mail()) == (True, "ok")

    def test_never_answers_automatic_mail(self) -> None:
        """Mail the parser marked automatic (RFC 3834, bounces, lists) gets no answer."""
        mail = a_mail(is_automatic=True, automatic_reason="Auto-Submitted: auto-replied")
        assert guard(mail) == (False, "automatic: Auto-Submitted: auto-replied")

    @pytest.mark.parametrize(
        "subject",
        [
            "Автоответ: Не печатается",
            "Automatic reply: [SUP-1] Заявка зарегистрирована",
            "Out of Office: отпуск до 10.12",
            "Undeliverable: [SUP-1] Заявка",
            "Недоставленное сообщение",
            "Delivery Status Notification (Failure)",
            "Mail delivery failed: returning message to sender",
            "Undelivered Mail Returned to Sender",
            "Автоматический ответ: Re: [SUP-1] Заявка",
        ],
    )
    def test_never_answers_an_auto_reply_subject_the_headers_hid(self, subject: str) -> None:
        """Auto-replies without RFC 3834 headers are still recognised by their subject."""
        assert guard(a_mail(subject=subject)) == (False, "automatic: auto-reply subject")

    @pytest.mark.parametrize(
        "subject",
        [
            "Автоответ не работает у пациентов",
            "Re: не приходит автоответ пациенту",
            "Out of office hours: запись не сохраняется",
            "Настроить автоответ для регистратуры",
        ],
    )
    def test_answers_a_person_writing_about_auto_replies(self, subject: str) -> None:
        """Only the auto-reply title form is refused, not a request that mentions one."""
        assert guard(a_mail(subject=subject)) == (True, "ok")

    @pytest.mark.parametrize(
        "sender",
        [
            "support-clinic1@vendor.example",
            "Support-Clinic1@Vendor.Example",
            "support-clinic1+SUP-42@vendor.example",
            "anyone@bridge.vendor.example",
            "<support-clinic1@vendor.example>",
        ],
    )
    def test_never_answers_our_own_addresses(self, sender: str) -> None:
        """Mail from the bridge's addresses or domains (any case, +tag) is never answered."""
        assert guard(a_mail(sender)) == (False, "own address")

    def test_never_answers_a_message_we_sent(self) -> None:
        """Our own notification coming back (forwarded by an alias) is recognised by Message-ID."""
        mail = a_mail(message_id="<tb.0123456789abcdef01234567@vendor.example>")
        assert guard(mail) == (False, "own address")

    @pytest.mark.parametrize(
        "sender",
        [
            "noreply@gosuslugi.example",
            "no-reply@clinic1.example",
            "No_Reply+x@clinic1.example",
            "donotreply@bank.example",
            "do-not-reply@bank.example",
            "MAILER-DAEMON@mx.clinic1.example",
            "postmaster@clinic1.example",
            "bounces+123-abc@list.example",
            "staff-bounces@list.example",
            "staff-request@list.example",
            "owner-staff@list.example",
            "",
        ],
    )
    def test_never_answers_no_reply_senders(self, sender: str) -> None:
        """No-reply, daemon, list-service and empty senders never get an answer."""
        assert guard(a_mail(sender)) == (False, "no-reply sender")

    def test_never_answers_after_a_permanent_bounce(self) -> None:
        """Once a mail to the sender bounced for good, nothing more is sent there."""
        assert guard(a_mail(), bounced=True) == (False, "bounced")

    def test_r20_stops_at_the_daily_limit(self) -> None:
        """R20 (rate-limited answers): the 10th answer of the day is the last one."""
        assert guard(a_mail(), answers_today=9)[0] is True
        assert guard(a_mail(), answers_today=10) == (False, "daily limit reached (10/10)")

    def test_limit_is_a_setting(self) -> None:
        """A stricter limit applies as given."""
        mail = a_mail()
        allowed = should_answer(mail, own_addresses=OWN, answers_today=1, limit=1, bounced=False)
        assert allowed == (False, "daily limit reached (1/1)")

    def test_automatic_mail_is_refused_before_anything_else(self) -> None:
        """The reason names the most basic cause, so logs say why the loop was cut."""
        mail = a_mail("noreply@vendor.example", is_automatic=True, automatic_reason="bounce")
        assert guard(mail, answers_today=99, bounced=True) == (False, "automatic: bounce")


class TestStorms:
    def test_a_thousand_automatic_mails_get_zero_answers(self) -> None:
        """An auto-reply storm of 1,000 marked mails produces no answer at all."""
        mails = [
            a_mail(
                f"robot{i % 7}@clinic1.example",
                message_id=f"<storm-{i}@clinic1.example>",
                subject=f"Re: [SUP-{i}] Заявка зарегистрирована",
                is_automatic=True,
                automatic_reason="Auto-Submitted: auto-replied",
            )
            for i in range(1000)
        ]
        answered = [m for m in mails if guard(m)[0]]
        assert answered == []

    def test_an_unmarked_autoresponder_is_capped_at_the_daily_limit(self) -> None:
        """A broken autoresponder with no headers gets at most ``limit`` answers a day."""
        sent: Counter[str] = Counter()
        for i in range(1000):
            mail = a_mail("broken-robot@clinic1.example", message_id=f"<{i}@clinic1.example>")
            if guard(mail, answers_today=sent[mail.sender])[0]:
                sent[mail.sender] += 1
        assert sent == Counter({"broken-robot@clinic1.example": 10})


class TestNoReplyAddress:
    @pytest.mark.parametrize(
        "address",
        [
            "ivanova@clinic1.example",
            "reply@clinic1.example",
            "nora@clinic1.example",
            "bouncer@x.example",
        ],
    )
    def test_people_are_not_no_reply(self, address: str) -> None:
        """Ordinary mailboxes, even ones containing "reply" or "bounce", are people."""
        assert is_no_reply_address(address) is False


def test_a_robot_rotating_its_address_is_one_key_and_its_domain_another() -> None:
    """Issue 17: support+N@ counts as one robot; the domain counts on its own."""
    from tracker_bridge.mail.loop_guard import LoopCaps, domain_key, request_cap, robot_key

    assert robot_key("Support+417@Clinic.Example") == "support@clinic.example"
    assert domain_key("support+417@clinic.example") == "@clinic.example"
    caps = LoopCaps(requests_per_sender=3, requests_per_domain=5)
    assert request_cap("a+1@x.example", by_sender=2, by_domain=4, caps=caps) is None
    assert "3 requests from a@x.example" in str(
        request_cap("a+9@x.example", by_sender=3, by_domain=3, caps=caps)
    )
    assert "5 requests from @x.example" in str(
        request_cap("b@x.example", by_sender=0, by_domain=5, caps=caps)
    )
