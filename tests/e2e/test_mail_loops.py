"""Mail loops and robots (issue 17, safety rules): bounded per robot and per domain, not only
per address; automatic mail opens no request."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.e2e.harness import World, running_world
from tracker_bridge.config.connections import MailLimits
from tracker_bridge.regulation.policy import Policy

CAP = MailLimits().requests_per_sender  # production default
ANSWERS = Policy().auto_answers_per_day  # production default
OPS_CHAT = -100888
LOOP_TITLE = "Похоже на почтовую петлю"


def _ops_chat(data: dict[str, Any]) -> None:
    data["telegram"]["ops_chat_id"] = OPS_CHAT


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

        def answered() -> list[EmailMessage]:
            return [m for m in world.smtp.messages if "support+" in str(m["To"])]

        # the answers follow the intake's round (the outbox gives way to it, issue 11.10)
        await world.run_until(lambda: len(answered()) >= 10)
        await world.settle(60.0, 10.0)
        assert len(world.tracker.issues) == CAP
        reasons = {item.reason for item in world.bridge.store.quarantine_list()}
        assert reasons == {
            f"loop cap: {CAP} requests from support@clinic1.example today "
            f"(mail.limits.requests_per_sender = {CAP})"
        }
        assert len(answered()) == 10  # regulation.auto_answers_per_day, for the robot as a whole


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


async def test_a_loop_cap_alerts_support_in_telegram_once_a_day_and_counts(tmp_path: Path) -> None:
    """Issue 17.4: when a robot hits a cap — first the answer cap, then the request cap —
    support is told in Telegram, in the support team's own chat (telegram.ops_chat_id): once
    per cap for the robot that day however many more of its mails come, with the metric
    counting every capped mail; on the next day a loop that goes on alerts again."""
    async with running_world(tmp_path, telegram=True, adjust=_ops_chat) as world:
        assert world.telegram is not None
        world.telegram.add_chat(OPS_CHAT, "Поддержка — дежурные")
        for n in range(CAP + 5):
            world.mail(subject=f"[Ticket#{n}] Принято", body=f"Обращение {n}.",
                       sender=f"support+{n}@clinic1.example")  # fmt: skip
        await world.run_until(lambda: len(world.bridge.store.quarantine_list()) == 5)
        await world.settle(30.0, 5.0)
        alerts = [m.text for m in world.telegram.bot_messages(OPS_CHAT)]
        assert len(alerts) == 2, alerts
        assert all(LOOP_TITLE in text for text in alerts)
        assert f"daily limit reached ({ANSWERS}/{ANSWERS})" in alerts[0]
        assert "loop cap: 30 requests from support@clinic1.example today" in alerts[1]
        assert f"requests_per_sender = {CAP}" in alerts[1]
        assert not any(LOOP_TITLE in text for text in world.chat_texts())  # not the clinic's
        text = world.bridge.metrics.render().decode()
        assert 'tracker_bridge_loop_caps_total{cap="requests_per_sender"} 5.0' in text
        assert (
            f'tracker_bridge_loop_caps_total{{cap="answers_per_sender"}} {CAP - ANSWERS}.0' in text
        )
        assert 'tracker_bridge_loop_caps_total{cap="requests_per_domain"} 0.0' in text
        # the next day: the cap starts over, and a loop that goes on alerts again
        world.clock.advance(timedelta(days=1))
        for n in range(CAP + 1):
            world.mail(subject=f"[Ticket#1{n}] Принято", body=f"Обращение 1{n}.",
                       sender=f"support+1{n}@clinic1.example")  # fmt: skip
        await world.run_until(lambda: len(world.bridge.store.quarantine_list()) == 6)
        await world.settle(30.0, 5.0)
        assert len(world.telegram.bot_messages(OPS_CHAT)) == 4


async def test_an_answer_cap_alerts_support_in_the_customers_chat_without_an_ops_chat(
    tmp_path: Path,
) -> None:
    """An answer cap hit (regulation.auto_answers_per_day for a robot's +tag addresses as one)
    alerts support too; with no ops chat configured the alert goes to the customer's chat,
    where support works — once, however many more answers it saves."""
    async with running_world(tmp_path, telegram=True) as world:
        for n in range(ANSWERS + 3):  # a robot filing from rotating addresses, under CAP
            world.mail(subject=f"Уведомление {n}", body=f"Сообщение робота {n}.",
                       sender=f"robot+{n}@clinic1.example")  # fmt: skip
        await world.run_until(lambda: len(world.tracker.issues) == ANSWERS + 3)
        # the answers leave through the outbox's real SMTP hand-overs (real time, not clock
        # time): wait for the ten within two minutes of clock, then let more rounds pass
        await world.run_until(lambda: len(_robot_answers(world)) >= ANSWERS, limit=120.0)
        await world.settle(30.0, 5.0)
        alerts = [t for t in world.chat_texts() if LOOP_TITLE in t]
        assert len(alerts) == 1, world.chat_texts()
        assert "robot+" in alerts[0] and f"daily limit reached ({ANSWERS}/{ANSWERS})" in alerts[0]
        text = world.bridge.metrics.render().decode()
        assert 'tracker_bridge_loop_caps_total{cap="answers_per_sender"} 3.0' in text
        assert len(_robot_answers(world)) == ANSWERS


def _robot_answers(world: World) -> list[EmailMessage]:
    return [m for m in world.smtp.messages if "robot+" in str(m["To"])]
