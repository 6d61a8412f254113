"""Sending notifications over real SMTP (aiosmtpd on 127.0.0.1): TLS, AUTH, failures (R22)."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from tracker_bridge.mail.errors import (
    MailAuthError,
    PermanentMailError,
    RecipientRefused,
    SmtpServerRefused,
    TransientMailError,
)
from tracker_bridge.mail.outbound import (
    Security,
    SmtpSender,
    SmtpSettings,
    build_notification,
    translate_smtp_error,
)
from tracker_bridge.mail.render import TemplateRenderer
from tracker_bridge.regulation.actions import Notify
from tracker_bridge.testing.smtp import SmtpCapture, free_port

USER, PASSWORD = "bridge", "s3cret"
FROM = "support-clinic1@vendor.example"
TO = "ivanova@clinic1.example"


def a_notification(event: str = "status:awaiting_testing:1") -> EmailMessage:
    notify = Notify(
        "status_awaiting_testing", TO, "SUP-42", event, {"summary": "Не печатается выписка"}
    )
    return build_notification(
        notify,
        TemplateRenderer().render(notify),
        from_addr=FROM,
        from_name="Техподдержка МИС",
        domain="vendor.example",
        now=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
    )


def a_sender(
    smtp: SmtpCapture,
    security: Security = "none",
    *,
    password: str = PASSWORD,
    username: str | None = USER,
    context: ssl.SSLContext | None = None,
) -> SmtpSender:
    settings = SmtpSettings(
        smtp.host, smtp.port, security, username=username, password=password, timeout=5
    )
    if context is None and security != "none":
        context = smtp.client_ssl_context()
    return SmtpSender(settings, ssl_context=context)


@pytest.fixture(name="smtp")
def fixture_smtp() -> Iterator[SmtpCapture]:
    with SmtpCapture(auth=(USER, PASSWORD)) as smtp:
        yield smtp


class TestDelivery:
    async def test_r12_sends_with_auth_and_keeps_every_header(self, smtp: SmtpCapture) -> None:
        """R12: the notification arrives as built, after AUTH, to the requester's address."""
        message = a_notification()
        refused = await a_sender(smtp).send(message)
        assert refused == {}
        (got,) = smtp.received
        assert (got.mail_from, got.rcpt_tos, got.login, got.tls) == (FROM, (TO,), USER, False)
        assert (
            got.message["Subject"] == "[SUP-42] Изменения готовы к проверке: Не печатается выписка"
        )
        assert got.message["Message-ID"] == message["Message-ID"]
        assert got.message["Auto-Submitted"] == "auto-generated"
        assert "кэш" in got.message.get_content()

    async def test_sends_over_starttls(self) -> None:
        """STARTTLS upgrades the session before AUTH, verifying the server's certificate."""
        with SmtpCapture(auth=(USER, PASSWORD), tls="starttls") as smtp:
            await a_sender(smtp, "starttls").send(a_notification())
            (got,) = smtp.received
        assert got.tls and got.login == USER

    async def test_sends_over_implicit_tls(self) -> None:
        """SMTPS (port 465 style) works the same way."""
        with SmtpCapture(auth=(USER, PASSWORD), tls="ssl") as smtp:
            await a_sender(smtp, "ssl").send(a_notification())
            (got,) = smtp.received
        assert got.tls and got.login == USER

    async def test_sends_without_auth_to_an_open_relay(self) -> None:
        """A local relay that needs no login is used as it is."""
        with SmtpCapture() as smtp:
            await a_sender(smtp, username=None).send(a_notification())
            assert [m["To"] for m in smtp.messages] == [TO]

    async def test_envelope_sender_and_recipients_can_differ(self, smtp: SmtpCapture) -> None:
        """The envelope may name a bounce address and extra recipients."""
        sender = a_sender(smtp)
        await sender.send(
            a_notification(), envelope_from="bounces@vendor.example", recipients=[TO, "b@x.example"]
        )
        (got,) = smtp.received
        assert got.mail_from == "bounces@vendor.example"
        assert got.rcpt_tos == (TO, "b@x.example")

    async def test_a_partly_refused_message_reports_who_was_refused(
        self, smtp: SmtpCapture
    ) -> None:
        """One refused recipient of two is reported back; the other still gets the mail."""
        smtp.fail_next(550, stage="rcpt")
        refused = await a_sender(smtp).send(a_notification(), recipients=["gone@x.example", TO])
        assert list(refused) == ["gone@x.example"] and refused["gone@x.example"][0] == 550
        assert [r.rcpt_tos for r in smtp.received] == [(TO,)]


class TestFailures:
    async def test_r22_a_451_then_success_when_the_caller_retries(self, smtp: SmtpCapture) -> None:
        """R22: a temporary refusal is transient; the retry delivers the same message once."""
        smtp.fail_next(451)
        sender, message = a_sender(smtp), a_notification()
        with pytest.raises(TransientMailError) as failure:
            await sender.send(message)
        assert failure.value.code == 451 and smtp.received == []
        await sender.send(message)
        assert [m["Message-ID"] for m in smtp.messages] == [message["Message-ID"]]

    @pytest.mark.parametrize("stage", ["mail", "rcpt", "data"])
    async def test_a_421_at_any_stage_is_transient(self, smtp: SmtpCapture, stage: str) -> None:
        """ "Service not available" at MAIL, RCPT or DATA means try again later."""
        smtp.fail_next(421, stage=stage)  # type: ignore[arg-type]
        with pytest.raises(TransientMailError) as failure:
            await a_sender(smtp).send(a_notification())
        assert failure.value.code == 421

    async def test_a_dropped_connection_is_transient(self, smtp: SmtpCapture) -> None:
        """A connection cut mid-transaction can be retried."""
        smtp.drop_next()
        with pytest.raises(TransientMailError):
            await a_sender(smtp).send(a_notification())
        await a_sender(smtp).send(a_notification())
        assert len(smtp.received) == 1

    async def test_a_550_is_permanent(self, smtp: SmtpCapture) -> None:
        """A refused mailbox is a permanent failure (the caller records the bounce)."""
        smtp.fail_next(550, stage="rcpt")
        with pytest.raises(PermanentMailError) as failure:
            await a_sender(smtp).send(a_notification())
        assert failure.value.code == 550 and not isinstance(failure.value, TransientMailError)
        assert smtp.received == []

    async def test_a_554_at_data_is_permanent(self, smtp: SmtpCapture) -> None:
        """A message rejected after DATA is not retried as it is."""
        smtp.fail_next(554)
        with pytest.raises(PermanentMailError) as failure:
            await a_sender(smtp).send(a_notification())
        assert failure.value.code == 554

    async def test_a_wrong_password_is_an_auth_error(self, smtp: SmtpCapture) -> None:
        """Refused credentials are a permanent, configuration-level failure."""
        with pytest.raises(MailAuthError) as failure:
            await a_sender(smtp, password="wrong").send(a_notification())
        assert failure.value.code == 535

    async def test_a_non_ascii_password_is_an_auth_error(self, smtp: SmtpCapture) -> None:
        """smtplib cannot send non-ASCII credentials: a clear configuration error, not a crash."""
        with pytest.raises(MailAuthError, match="ASCII"):
            await a_sender(smtp, password="пароль").send(a_notification())

    async def test_no_login_where_one_is_required_is_permanent(self, smtp: SmtpCapture) -> None:
        """A server that demands AUTH refuses an anonymous sender with 530."""
        with pytest.raises(PermanentMailError) as failure:
            await a_sender(smtp, username=None).send(a_notification())
        assert failure.value.code == 530

    async def test_nobody_listening_is_transient(self) -> None:
        """A refused connection (server down) can be retried."""
        settings = SmtpSettings("127.0.0.1", free_port(), "none", timeout=5)
        with pytest.raises(TransientMailError, match="ConnectionRefusedError"):
            await SmtpSender(settings).send(a_notification())

    async def test_a_silent_server_times_out_as_transient(self) -> None:
        """A server that never greets is given up on after ``timeout`` seconds."""
        with socket.create_server(("127.0.0.1", 0)) as silent:
            settings = SmtpSettings("127.0.0.1", silent.getsockname()[1], "none", timeout=0.3)
            with pytest.raises(TransientMailError, match="timed out"):
                await SmtpSender(settings).send(a_notification())

    async def test_an_untrusted_certificate_is_permanent(self) -> None:
        """A certificate that does not verify is a configuration error, not a blip."""
        with SmtpCapture(auth=(USER, PASSWORD), tls="starttls") as smtp:
            sender = a_sender(smtp, "starttls", context=ssl.create_default_context())
            with pytest.raises(PermanentMailError, match="certificate"):
                await sender.send(a_notification())
            assert smtp.received == []

    async def test_starttls_not_offered_is_permanent(self, smtp: SmtpCapture) -> None:
        """Asking for STARTTLS from a server without it fails rather than sending in clear."""
        sender = a_sender(smtp, "starttls", context=ssl.create_default_context())
        with pytest.raises(PermanentMailError, match="STARTTLS"):
            await sender.send(a_notification())
        assert smtp.received == []


class TestTranslate:
    @pytest.mark.parametrize(
        ("error", "kind", "code"),
        [
            (smtplib.SMTPDataError(452, b"mailbox full"), TransientMailError, 452),
            (smtplib.SMTPDataError(552, b"too big"), SmtpServerRefused, 552),
            (smtplib.SMTPDataError(550, b"5.1.1 user unknown"), RecipientRefused, 550),
            (smtplib.SMTPDataError(554, b"5.7.1 Relay access denied"), SmtpServerRefused, 554),
            (smtplib.SMTPSenderRefused(421, b"busy", FROM), TransientMailError, 421),
            (smtplib.SMTPConnectError(554, b"go away"), SmtpServerRefused, 554),
            (smtplib.SMTPAuthenticationError(535, b"no"), MailAuthError, 535),
            (smtplib.SMTPServerDisconnected("gone"), TransientMailError, None),
            (ConnectionResetError("reset"), TransientMailError, None),
            (TimeoutError("timed out"), TransientMailError, None),
            (socket.gaierror("no such host"), TransientMailError, None),
            (
                smtplib.SMTPException("No suitable authentication method found."),
                MailAuthError,
                None,
            ),
            (smtplib.SMTPException("something odd"), SmtpServerRefused, None),
        ],
    )
    def test_maps_each_failure_to_its_kind(
        self, error: Exception, kind: type[Exception], code: int | None
    ) -> None:
        """4xx and the network are transient; a 5xx is the recipient's (permanent) only when it
        blames the address or mailbox, else the server's (relay, policy, size: an outage an
        operator fixes), as is a refused login; codes are kept."""
        translated = translate_smtp_error(error)
        assert type(translated) is kind
        assert translated.code == code

    def test_recipients_refused_is_transient_if_any_refusal_was(self) -> None:
        """All recipients refused: a temporary refusal among them makes it worth a retry."""
        mixed = smtplib.SMTPRecipientsRefused({"a@x": (550, b"no"), "b@x": (450, b"later")})
        assert isinstance(translate_smtp_error(mixed), TransientMailError)
        final = smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")})
        translated = translate_smtp_error(final)
        assert isinstance(translated, RecipientRefused) and translated.code == 550
        assert "a@x: 550 no such user" in str(translated)

    @pytest.mark.parametrize(
        ("reply", "kind"),
        [
            ((550, b"5.1.1 <a@x>: Recipient address rejected: User unknown"), RecipientRefused),
            ((552, b"5.2.2 Mailbox full"), RecipientRefused),
            ((550, b"Requested action not taken: mailbox unavailable"), RecipientRefused),
            ((554, b"5.7.1 <a@x>: Relay access denied"), SmtpServerRefused),
            ((550, b"5.7.1 Client host rejected: policy"), SmtpServerRefused),
            ((530, b"5.7.0 Authentication required"), SmtpServerRefused),
            ((550, b"relaying denied"), SmtpServerRefused),
        ],
    )
    def test_only_a_refusal_that_blames_the_recipient_is_the_recipients(
        self, reply: tuple[int, bytes], kind: type[Exception]
    ) -> None:
        """Issue 18 §3: relay, policy and auth refusals at RCPT are the server's, not a bounce."""
        translated = translate_smtp_error(smtplib.SMTPRecipientsRefused({"a@x": reply}))
        assert type(translated) is kind
