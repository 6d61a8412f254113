"""Mail loops and robots (issue 17, safety rules): bounded per robot and per domain, not only
per address; automatic mail opens no request."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import running_world
from tracker_bridge.config.connections import MailLimits

CAP = MailLimits().requests_per_sender  # production default


async def test_a_ticket_system_rotating_its_address_is_capped_as_one_robot(tmp_path: Path) -> None:
    """A ticket system answering from support+N@clinic1.example, a new address each time: past
    mail.limits.requests_per_sender new requests a day the rest are quarantined as a loop (and
    support alerted), and it gets no more automatic answers than one address would."""
    async with running_world(tmp_path) as world:
        for n in range(CAP + 10):
            world.mail(
                subject=f"[Ticket#{n}] Ваше обращение принято",
                body=f"Номер обращения {n}. Мы ответим в ближайшее время.",
                sender=f"support+{n}@clinic1.example",
            )
        await world.run_until(lambda: world.bridge.store.quarantine_list() and len(
            world.bridge.store.quarantine_list()) == 10)  # fmt: skip
        await world.settle(60.0, 10.0)
        assert len(world.tracker.issues) == CAP
        reasons = {item.reason for item in world.bridge.store.quarantine_list()}
        assert reasons == {
            f"loop cap: {CAP} requests from support@clinic1.example today "
            f"(mail.limits.requests_per_sender = {CAP})"
        }
        answered = [m for m in world.smtp.messages if "support+" in str(m["To"])]
        assert len(answered) == 10  # regulation.auto_answers_per_day, for the robot as a whole


async def test_a_no_reply_robot_without_automatic_headers_opens_no_request(
    tmp_path: Path,
) -> None:
    """A fixed-address robot (noreply@, an auto-reply subject, no RFC 3834 header) files
    nothing: automatic mail never opens a request."""
    async with running_world(tmp_path) as world:
        world.mail(subject="Ежедневный отчёт МИС", body="Отчёт сформирован.",
                   sender="noreply@clinic1.example")  # fmt: skip
        world.mail(subject="Автоответ: Ваша заявка", body="Я в отпуске.",
                   sender="registry@clinic1.example")  # fmt: skip
        world.mail(subject="Не печатается рецепт", body="Помогите.",
                   sender="doctor@clinic1.example")  # fmt: skip
        await world.run_until(lambda: len(world.tracker.issues) == 1)
        await world.settle(60.0, 10.0)
        assert [i.summary for i in world.tracker.issues.values()] == ["Не печатается рецепт"]
