"""Mail intake through the whole daemon: R1, R2, R6, R7 and the safety rules (automatic mail)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import (
    CHIEF,
    DOCTOR,
    DOCTOR_2,
    INTAKE,
    INTAKE_2,
    SUPPORT_FROM,
    World,
    email,
    running_world,
    text_of,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
XLSX = b"PK\x03\x04" + b"report-bytes" * 50


async def _handled(world: World, count: int) -> None:
    """Until ``count`` messages have left the inbox (processed or quarantined)."""
    await world.run_until(
        lambda: len(world.folder(".Processed")) + len(world.folder(".Quarantine")) >= count
    )
    await world.settle(30.0)


async def test_r1_one_email_delivered_twice_is_one_issue_and_one_acknowledgement(
    tmp_path: Path,
) -> None:
    """R1: the same email delivered twice (before and after handling) becomes exactly one issue."""
    async with running_world(tmp_path) as world:
        _, raw = email(subject="Не сохраняется протокол", body="Логин: ivanova\nОшибка 500.")
        world.deliver(raw)
        world.deliver(raw)
        await _handled(world, 2)
        world.deliver(raw)
        await _handled(world, 3)
        assert list(world.tracker.issues) == ["SUP-1"]
        assert len(world.mails_to(DOCTOR)) == 1
        assert world.folder("") == []
        assert len(world.folder(".Processed")) == 3
        assert world.folder(".Quarantine") == []


async def test_r2_mail_is_routed_by_the_intake_address_it_was_sent_to(tmp_path: Path) -> None:
    """R2: each clinic's intake address files into that clinic's queue (To, or Cc)."""
    async with running_world(tmp_path, second_clinic=True) as world:
        world.mail(subject="Первая клиника", body="Логин: a")
        world.mail(subject="Вторая клиника", body="Логин: b", sender=DOCTOR_2, to=INTAKE_2)
        world.mail(
            subject="Вторая клиника, копия",
            body="Логин: c",
            sender=DOCTOR_2,
            to="it@clinic2.example",
            cc=INTAKE_2,
        )
        await _handled(world, 3)
        by_summary = {i.summary: i.queue for i in world.tracker.issues.values()}
        assert by_summary == {
            "Первая клиника": "SUP",
            "Вторая клиника": "CLT",
            "Вторая клиника, копия": "CLT",
        }
        assert len(world.mails_to(DOCTOR)) == 1
        assert len(world.mails_to(DOCTOR_2)) == 2


async def test_r2_an_unknown_intake_address_is_quarantined_not_dropped(tmp_path: Path) -> None:
    """R2: mail to no customer's intake address is kept in quarantine and never answered."""
    async with running_world(tmp_path) as world:
        message_id = world.mail(subject="Куда это?", body="Логин: x", to="sales@support.example")
        await _handled(world, 1)
        assert world.tracker.issues == {}
        assert world.smtp.messages == []
        assert len(world.folder(".Quarantine")) == 1
        (item,) = world.bridge.store.quarantine_list()
        assert item.message_id == message_id.strip("<>")
        assert "sales@support.example" in item.reason
        assert item.subject == "Куда это?"


async def test_r2_a_sender_the_clinic_does_not_allow_is_quarantined(tmp_path: Path) -> None:
    """R2/safety: only the clinic's allowed senders file requests; a stranger's mail is kept in
    quarantine with the reason, never answered, and shows in the store's quarantine index."""
    async with running_world(tmp_path, second_clinic=True) as world:
        world.mail(subject="Чужая клиника", body="Логин: x", sender=DOCTOR_2, to=INTAKE)
        world.mail(subject="Спам", body="Купите", sender="promo@shop.example", to=INTAKE)
        await _handled(world, 2)
        assert world.tracker.issues == {}
        assert world.smtp.messages == []
        assert len(world.folder(".Quarantine")) == 2
        items = world.bridge.store.quarantine_list()
        assert sorted(i.sender for i in items) == [DOCTOR_2, "promo@shop.example"]
        assert all("may not file requests" in i.reason for i in items)
        assert all(i.raw for i in items)
        outcome = world.bridge.store.message_outcome(items[0].message_id)
        assert outcome is not None and outcome.outcome == "quarantined"


async def test_r6_mail_received_out_of_hours_is_acknowledged_with_the_next_opening(
    tmp_path: Path,
) -> None:
    """R6: a request on Saturday night is registered, and the acknowledgement says when work
    starts (Monday 10:00 Moscow time); one sent in working hours says nothing of the kind."""
    async with running_world(tmp_path, start="2026-03-14 23:30") as world:
        world.mail(subject="Ночью не работает поиск", body="Логин: ivanova")
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        (ack,) = world.mails_to(DOCTOR)
        body = text_of(ack)
        assert "нерабочее время" in body
        assert "16.03.2026 10:00" in body
        await world.jump(world.clock.now().replace(day=16, hour=12, minute=0))
        world.mail(subject="Днём не работает печать", body="Логин: ivanova")
        await world.run_until(lambda: len(world.mails_to(DOCTOR)) == 2)
        assert "нерабочее время" not in text_of(world.mails_to(DOCTOR)[1])


async def test_r7_fields_and_every_attachment_reach_the_issue(tmp_path: Path) -> None:
    """R7: subject → summary and department, labelled body lines → fields, both files uploaded
    to the issue byte for byte, and the acknowledgement does not ask for the login."""
    async with running_world(tmp_path) as world:
        world.mail(
            subject="Не печатается направление - Хирургия",
            body=(
                "Добрый день!\nПри печати направления пустой лист.\n\n"
                "Логин: petrova\nНомер карты: 12345\nНомер истории болезни: 678/26\n"
                "Запись: Приём хирурга\nКнопка: Печать направления\n"
            ),
            attachments=[
                ("screenshot.png", PNG, "image/png"),
                ("отчёт.xlsx", XLSX, "application/octet-stream"),
            ],
        )
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        issue = world.tracker.issues["SUP-1"]
        assert issue.summary == "Не печатается направление"
        assert issue.local["department"] == "Хирургия"
        assert issue.local["login"] == "petrova"
        assert issue.local["cardNumber"] == "12345"
        assert issue.local["historyNumber"] == "678/26"
        assert issue.local["recordName"] == "Приём хирурга"
        assert issue.local["buttonName"] == "Печать направления"
        assert issue.local["requesterEmail"] == DOCTOR
        assert "пустой лист" in (issue.description or "")
        files = {a.name: a.content for a in world.tracker.attachments.values() if a.issue}
        assert files == {"screenshot.png": PNG, "отчёт.xlsx": XLSX}
        assert "не указан ваш логин" not in text_of(world.mails_to(DOCTOR)[0])


async def test_r7_a_request_without_a_login_is_accepted_and_the_login_asked_for(
    tmp_path: Path,
) -> None:
    """R7: an unrecognised layout still files the issue (whole text as description), and the
    acknowledgement asks for the missing login."""
    async with running_world(tmp_path) as world:
        world.mail(subject="все сломалось", body="ничего не открывается с утра, помогите")
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        issue = world.tracker.issues["SUP-1"]
        assert "ничего не открывается с утра" in (issue.description or "")
        assert "login" not in issue.local
        (ack,) = world.mails_to(DOCTOR)
        assert "[SUP-1]" in str(ack["Subject"])
        assert "не указан ваш логин" in text_of(ack)


async def test_safety_an_auto_reply_creates_nothing_and_gets_no_answer(tmp_path: Path) -> None:
    """Safety: an out-of-office reply (Auto-Submitted: auto-replied) from an allowed sender
    creates no request and gets no answer; it is settled, not quarantined."""
    async with running_world(tmp_path) as world:
        world.mail(
            subject="Автоответ: Заявка зарегистрирована",
            body="Я в отпуске до 20 марта.",
            sender=CHIEF,
            headers={"Auto-Submitted": "auto-replied"},
        )
        world.mail(
            subject="Re: вопрос",
            body="Отвечу позже.",
            headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
        )
        await _handled(world, 2)
        await world.settle(120.0, 10.0)
        assert world.tracker.issues == {}
        assert world.smtp.messages == []
        assert len(world.folder(".Processed")) == 2
        assert world.bridge.store.quarantine_list() == []


def _bounce(original_subject: str) -> bytes:
    """A delivery status notification as a mail server sends it (RFC 3464)."""
    return (
        "From: MAILER-DAEMON@clinic1.example\r\n"
        f"To: {INTAKE}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@clinic1.example>\r\n"
        "Date: Mon, 02 Mar 2026 12:00:00 +0300\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        "Your message could not be delivered: mailbox full.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.clinic1.example\r\n\r\n"
        f"Final-Recipient: rfc822; {DOCTOR}\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: robot@support.example\r\nSubject: {original_subject}\r\n"
        "--B--\r\n"
    ).encode()


async def test_safety_a_bounce_creates_nothing_and_gets_no_answer(tmp_path: Path) -> None:
    """Safety: a delivery failure report creates no request and is never answered."""
    async with running_world(tmp_path) as world:
        world.deliver(_bounce("[SUP-1] Заявка зарегистрирована"))
        await _handled(world, 1)
        await world.settle(120.0, 10.0)
        assert world.tracker.issues == {}
        assert world.smtp.messages == []
        outcome = world.bridge.store.message_outcome("bounce-1@clinic1.example")
        assert outcome is not None and outcome.outcome == "ignored"


async def test_r9_the_customers_priority_is_read_from_body_subject_and_mail_client(
    tmp_path: Path,
) -> None:
    """R9: a "Приоритет:" line, a subject marker, the client's X-Priority / Importance set the
    new issue's priority; a plain email gets the default."""
    async with running_world(tmp_path) as world:
        world.mail(subject="Отчёт", body="Приоритет: высокий\nЛогин: a")
        world.mail(subject="Касса КРИТИЧНО", body="Логин: a")
        world.mail(subject="Печать", body="Логин: a", headers={"X-Priority": "1 (Highest)"})
        world.mail(subject="Шрифт", body="Логин: a", headers={"Importance": "low"})
        world.mail(subject="Справка", body="Логин: a")
        await _handled(world, 5)
        by_summary = {i.summary: i.priority for i in world.tracker.issues.values()}
        assert by_summary == {
            "Отчёт": "critical",
            "Касса": "blocker",
            "Печать": "critical",
            "Шрифт": "minor",
            "Справка": "normal",
        }


async def test_safety_our_own_notification_coming_back_is_never_answered(
    tmp_path: Path,
) -> None:
    """Safety: a notification of ours delivered back to the intake (a forwarding loop) creates
    nothing and is not answered."""
    async with running_world(tmp_path) as world:
        world.mail(subject="[SUP-1] Заявка зарегистрирована", body="...", sender=SUPPORT_FROM)
        await _handled(world, 1)
        await world.settle(60.0)
        assert world.tracker.issues == {}
        assert world.smtp.messages == []
        assert world.bridge.store.quarantine_list() == []


async def test_r7_attachments_beyond_the_per_mail_cap_are_listed_not_uploaded(
    tmp_path: Path,
) -> None:
    """Issue 17: a mail with 1,000 tiny attachments makes at most mail.limits.attachments
    uploads (the production default, 20); the others are named in the description."""
    files = [(f"file{n:04d}.txt", f"part {n}".encode(), "text/plain") for n in range(1000)]
    async with running_world(tmp_path) as world:
        world.mail(subject="Много файлов", body="Прикладываю логи.", attachments=files)
        await world.run_until(lambda: bool(world.mails_to(DOCTOR)))
        uploaded = sorted(a.name for a in world.tracker.attachments.values())
        assert uploaded == [f"file{n:04d}.txt" for n in range(20)]
        description = world.tracker.issues["SUP-1"].description or ""
        assert "Вложения сверх ограничения (20 файлов, 50.0 МБ на письмо)" in description
        assert "- file0020.txt (7 Б)" in description and "- file0069.txt" in description
        assert "… и ещё 930" in description
