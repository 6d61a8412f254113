"""A real SMTP server on 127.0.0.1 that keeps what it receives (aiosmtpd's ``Controller``).

``with SmtpCapture(auth=("user", "pass"), tls="starttls") as smtp:`` starts it; ``smtp.host`` and
``smtp.port`` are where to send; ``smtp.messages`` are the parsed messages and ``smtp.received``
the same with their envelope. Fault knobs make the next transactions fail the way real servers do:
``smtp.fail_next(451)`` (a reply code at MAIL, RCPT or DATA) and ``smtp.drop_next()`` (the
connection is cut). The self-signed certificate for STARTTLS/SMTPS comes from the ``openssl`` CLI,
so no crypto library is needed; :meth:`SmtpCapture.client_ssl_context` trusts it.

Two aiosmtpd traps (ENV-NOTES §5): ``port=0`` does not work (its readiness probe connects to the
configured port), so a free port is picked first; a failed login must answer
``AuthResult(success=False, handled=False)`` or the client hangs.
"""

from __future__ import annotations

import asyncio
import email.policy
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tracker_bridge.foundation.closing import StartStop

__all__ = ["Received", "SmtpCapture", "TlsMode", "free_port", "make_self_signed_cert"]

TlsMode = Literal["none", "starttls", "ssl"]
Stage = Literal["mail", "rcpt", "data"]


@dataclass(frozen=True)
class Received:
    """One accepted transaction: the envelope, who logged in, whether it was encrypted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    login: str | None
    tls: bool


@dataclass
class _Fault:
    stage: Stage
    reply: str | None  # None: cut the connection instead of answering
    remaining: int


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (aiosmtpd cannot bind port 0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """Write ``cert.pem``/``key.pem`` for localhost and 127.0.0.1 with the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed for a test TLS certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    # EC keys take milliseconds to make, RSA ones far longer; fixed arguments, no shell.
    args = [openssl, *_OPENSSL_REQ, "-keyout", str(key), "-out", str(cert)]
    subprocess.run(args, check=True, capture_output=True)  # noqa: S603
    return cert, key


_OPENSSL_REQ = (
    *("req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=localhost"),
    *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
    *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
)


class _Handler:
    """aiosmtpd handler hooks: apply the armed faults, keep every accepted message."""

    def __init__(self, capture: SmtpCapture) -> None:
        self._capture = capture

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self._capture._auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        if (fault := self._capture._take_fault("mail", server)) is not None:
            return fault
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if (fault := self._capture._take_fault("rcpt", server)) is not None:
            return fault
        if self._capture.on_rcpt is not None:
            # mid-conversation, before DATA: a test can pause or kill the sender here
            self._capture.on_rcpt(address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if (fault := self._capture._take_fault("data", server)) is not None:
            return fault
        message = self._capture._keep(session, envelope)
        self._capture._file_sent(message)
        if self._capture.on_accept is not None:
            # before the 250 goes out: a test can kill the sender in the window between the
            # server taking the message and the sender learning it did
            self._capture.on_accept(message)
        return "250 Message accepted for delivery"


class SmtpCapture(StartStop):
    """An SMTP server on a free loopback port that records every message it accepts."""

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        tls: TlsMode = "none",
        host: str = "127.0.0.1",
        files_sent: Path | None = None,
    ) -> None:
        self.host = host
        # a Maildir folder (``<root>/.Sent``) where every accepted message is filed before the
        # 250, under a name of the server's own — as Gmail, Yandex 360, Exchange Online do
        self.files_sent = files_sent
        self.port = free_port(host)
        self.tls: TlsMode = tls
        self._auth = auth
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._faults: list[_Fault] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.cert_path: Path | None = None
        self._controller: Controller | None = None
        # called with each accepted message before the server answers 250
        self.on_accept: Callable[[EmailMessage], None] | None = None
        # called with each recipient's address before the server answers its RCPT
        self.on_rcpt: Callable[[str], None] | None = None

    # -- what tests read ------------------------------------------------------------------
    @property
    def received(self) -> list[Received]:
        """Every accepted transaction so far, oldest first (a copy)."""
        with self._lock:
            return list(self._received)

    @property
    def messages(self) -> list[EmailMessage]:
        """The accepted messages, parsed with ``email.policy.default``."""
        return [r.message for r in self.received]

    def client_ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this server's self-signed certificate."""
        if self.cert_path is None:
            raise RuntimeError("this SmtpCapture was started without TLS")
        return ssl.create_default_context(cafile=str(self.cert_path))

    # -- fault knobs ----------------------------------------------------------------------
    def fail_next(
        self, code: int = 451, *, times: int = 1, stage: Stage = "data", text: str = ""
    ) -> None:
        """Answer the next ``times`` transactions with ``code`` at ``stage`` (MAIL/RCPT/DATA)."""
        reply = f"{code} {text or _DEFAULT_TEXT.get(code // 100, 'Refused')}"
        with self._lock:
            self._faults.append(_Fault(stage, reply, times))

    def drop_next(self, *, times: int = 1, stage: Stage = "data") -> None:
        """Cut the connection, without an answer, in the next ``times`` transactions."""
        with self._lock:
            self._faults.append(_Fault(stage, None, times))

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.tls != "none":
            self._tmp = tempfile.TemporaryDirectory(prefix="tb-smtp-")
            cert, key = make_self_signed_cert(Path(self._tmp.name))
            self.cert_path = cert
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_ctx.load_cert_chain(cert, key)
            kwargs["ssl_context" if self.tls == "ssl" else "tls_context"] = server_ctx
        if self._auth is not None:
            # Required-ness is enforced at MAIL (530), because aiosmtpd's own auth_required
            # warns without TLS, and plain-text AUTH is what a local relay may well offer.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=self.tls == "starttls")
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- called from the server thread ----------------------------------------------------
    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or self._auth is None:
            return AuthResult(success=False, handled=False)
        given = (data.login.decode(), data.password.decode())
        if given != self._auth:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=given[0])

    def _take_fault(self, stage: Stage, server: SMTP) -> str | None:
        with self._lock:
            fault = next((f for f in self._faults if f.stage == stage), None)
            if fault is None:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
        if fault.reply is not None:
            return fault.reply
        if isinstance(server.transport, asyncio.Transport):
            server.transport.abort()  # like a crashed peer: no reply, the socket just goes
        return "421 connection dropped"  # never reaches the client

    def _file_sent(self, message: EmailMessage) -> None:
        if self.files_sent is None:
            return
        for sub in ("tmp", "new", "cur"):
            (self.files_sent / sub).mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}.{uuid.uuid4().hex}.smtpcapture"
        tmp = self.files_sent / "tmp" / name
        tmp.write_bytes(message.as_bytes())
        tmp.replace(self.files_sent / "cur" / f"{name}:2,S")

    def _keep(self, session: Session, envelope: Envelope) -> EmailMessage:
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        message = BytesParser(_class=EmailMessage, policy=email.policy.default).parsebytes(raw)
        login = session.auth_data if isinstance(session.auth_data, str) else None
        received = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=message,
            login=login,
            tls=session.ssl is not None or self.tls == "ssl",
        )
        with self._lock:
            self._received.append(received)
        return message


_DEFAULT_TEXT = {4: "4.3.0 Temporary failure, try again later", 5: "5.1.1 Mailbox unavailable"}
