"""Config sections for the systems the bridge talks to: Tracker, the mailbox, SMTP, Telegram.

Their secrets are not here: they are top-level fields of ``Settings`` (see its module docstring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, Field, model_validator

from tracker_bridge.config.types import (
    Address,
    Duration,
    Host,
    Names,
    NonEmpty,
    Section,
    Url,
    refuse,
)
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.statuses import Status
from tracker_bridge.tracker.defaults import DEFAULT_FIELD_IDS, DEFAULT_RESOLUTION

# the logical statuses of a done or cancelled type (TERMINAL_STATUSES; a test keeps them equal)
TerminalStatusName = Literal[
    "cancelled", "closed", "closed_no_response", "completed", "duplicate", "infeasible"
]

__all__ = [
    "FieldIds",
    "ImapEndpoint",
    "MailFolders",
    "MailSettings",
    "SmtpSettings",
    "TelegramSettings",
    "TrackerSettings",
    "parse_mail_source",
]

SMTP_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
IDLE_LIMIT = timedelta(minutes=29)  # RFC 2177: servers may drop an IDLE after 30 minutes


# The keys of `tracker.fields` whose logical field the gateway and views name otherwise.
_LOGICAL_NAME = {"requester_email": "requester", "mail_received_at": "arrived_at"}


class FieldIds(Section):
    """Ids of the queue's local fields the bridge fills (R7 template lines, R9, R10); the
    defaults are :data:`~tracker_bridge.tracker.defaults.DEFAULT_FIELD_IDS`."""

    department: NonEmpty = DEFAULT_FIELD_IDS["department"]
    login: NonEmpty = DEFAULT_FIELD_IDS["login"]
    card_number: NonEmpty = DEFAULT_FIELD_IDS["card_number"]
    history_number: NonEmpty = DEFAULT_FIELD_IDS["history_number"]
    record_name: NonEmpty = DEFAULT_FIELD_IDS["record_name"]
    button_name: NonEmpty = DEFAULT_FIELD_IDS["button_name"]
    requester_email: NonEmpty = DEFAULT_FIELD_IDS["requester"]
    customer_priority: NonEmpty = DEFAULT_FIELD_IDS["customer_priority"]
    deadline: NonEmpty = DEFAULT_FIELD_IDS["deadline"]
    reaction_deadline: NonEmpty = DEFAULT_FIELD_IDS["reaction_deadline"]
    mail_received_at: NonEmpty = DEFAULT_FIELD_IDS["arrived_at"]

    def by_logical_name(self) -> dict[str, str]:
        """Logical field → the queue's local field id, as the gateway, the views and ``check``
        read them."""
        return {_LOGICAL_NAME.get(key, key): value for key, value in self.model_dump().items()}


class TrackerSettings(Section):
    """Which Tracker organisation to work in (the token is ``tracker_token``)."""

    # a file holding the token, read again before every request (instead of tracker_token /
    # tracker_iam_token): a timer refreshing an IAM token, or a rotated OAuth token, is picked
    # up without a restart
    token_file: Path | None = None
    iam_token_file: Path | None = None
    org_id: NonEmpty | None = None
    cloud_org_id: NonEmpty | None = None
    base_url: Url = "https://api.tracker.yandex.net"
    # requests in flight at once, and issues in hand at once in the rules pass (the intake: twice
    # as many messages, whose other steps overlap the requests)
    concurrency: int = Field(default=8, ge=1, le=64)
    # sent with every transition to a done or cancelled status (a documented closing screen
    # requires one); per logical status in `resolutions`
    resolution: NonEmpty = DEFAULT_RESOLUTION
    resolutions: dict[TerminalStatusName, NonEmpty] = Field(default_factory=dict)
    fields: FieldIds = Field(default_factory=FieldIds)

    def resolutions_by_status(self) -> dict[Status, str]:
        return {Status(name): value for name, value in self.resolutions.items()}

    @model_validator(mode="after")
    def _one_organisation(self) -> Self:
        if (self.org_id is None) == (self.cloud_org_id is None):
            refuse(
                "tracker",
                [(("org_id",), "set exactly one of tracker.org_id and tracker.cloud_org_id")],
            )
        return self


@dataclass(frozen=True)
class ImapEndpoint:
    """Where the IMAP mailbox is: ``imaps://`` is TLS from the start (ssl), ``imap://`` STARTTLS."""

    host: str
    port: int
    username: str
    security: Literal["ssl", "starttls"]  # the names mail.imap_session.ImapSettings uses


def parse_mail_source(source: str) -> ImapEndpoint | Path:
    """An IMAP endpoint for an ``imap(s)://user@host[:port]`` URL, else a Maildir path."""
    text = source.strip()
    if text.startswith("maildir:") or text.startswith("/"):
        path = Path(text.removeprefix("maildir:"))
        if not path.is_absolute():
            raise ValueError(f"the Maildir path must be absolute, not {str(path)!r}")
        return path
    parts = urlsplit(text)
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError(
            "expected imaps://user@host[:port], imap://user@host[:port] (STARTTLS) "
            "or an absolute Maildir path"
        )
    if parts.password is not None:
        raise ValueError("do not put the password in the URL: give it as imap_password")
    if not parts.username or not parts.hostname:
        raise ValueError("the URL needs a user and a host: imaps://user@host:993")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("no path or query after the host: folders go under [mail.folders]")
    security: Literal["ssl", "starttls"] = "ssl" if parts.scheme == "imaps" else "starttls"
    port = parts.port or (993 if security == "ssl" else 143)
    return ImapEndpoint(parts.hostname, port, unquote(parts.username), security)


def _readable_file(value: Path) -> Path:
    if not value.is_absolute():
        raise ValueError(f"{str(value)!r} must be an absolute path")
    if not value.is_file():
        raise ValueError(f"{str(value)!r} is not a readable file")
    return value


def _mail_source(value: str) -> str:
    parse_mail_source(value)  # raises ValueError with the reason
    return value.strip()


class MailFolders(Section):
    """Where accepted and quarantined mail is moved once its actions are journaled."""

    inbox: NonEmpty = "INBOX"
    # A top-level folder: "INBOX.Processed" would break on servers whose separator is "/"
    done: NonEmpty | None = None
    quarantine: NonEmpty = "Quarantine"
    # Where a copy of every notification is filed (mail.keep_sent): support sees what went out,
    # and a lost or restored state database is not a reason to send it again
    sent: NonEmpty = "Sent"


class MailLimits(Section):
    """Bounds on what one message may cost intake (issue 17: no email can stop the service)."""

    parse_timeout: Duration = timedelta(seconds=10)
    parse_workers: int = Field(default=2, ge=1, le=32)
    parse_memory_mib: int = Field(default=1024, ge=0)
    poison_attempts: int = Field(default=2, ge=1, le=10)
    attachments: int = Field(default=20, ge=0)
    attachment_bytes: int = Field(default=50 * 1024 * 1024, ge=0)
    answers_per_domain: int = Field(default=1000, ge=0)
    requests_per_sender: int = Field(default=30, ge=1)
    requests_per_domain: int = Field(default=1000, ge=1)


class MailSettings(Section):
    """The intake mailbox (R2): IMAP with IDLE, or a local Maildir."""

    source: Annotated[str, AfterValidator(_mail_source)]
    folders: MailFolders = Field(default_factory=MailFolders)
    limits: MailLimits = Field(default_factory=MailLimits)
    confirmation_authentication: Literal["headers", "thread"] = "headers"
    idle_timeout: Duration = IDLE_LIMIT
    poll_interval: Duration = timedelta(minutes=1)
    keep_sent: bool = True
    # Who files those copies: the bridge (IMAP APPEND after the send), or the SMTP server itself
    # on acceptance (Gmail, Yandex 360, Exchange Online) — then a kill between the server's
    # acceptance and the bridge's record repeats nothing
    sent_copies_by: Literal["bridge", "server"] = "bridge"
    # CA certificates (PEM) to trust for IMAP instead of the system store: a private CA
    ca_file: Annotated[Path, AfterValidator(_readable_file)] | None = None

    @model_validator(mode="after")
    def _idle_within_limit(self) -> Self:
        if self.idle_timeout > IDLE_LIMIT:
            refuse("mail", [(("idle_timeout",), "at most 29 minutes: servers end IDLE at 30")])
        return self

    @property
    def imap(self) -> ImapEndpoint | None:
        endpoint = parse_mail_source(self.source)
        return endpoint if isinstance(endpoint, ImapEndpoint) else None

    @property
    def maildir(self) -> Path | None:
        path = parse_mail_source(self.source)
        return path if isinstance(path, Path) else None

    @property
    def done_folder(self) -> str:
        if self.folders.done is not None:
            return self.folders.done
        return "Processed"


class FailoverSettings(Section):
    """Active/passive on a PostgreSQL store (``store_url``): one leader, the others standby."""

    # a leader that stops renewing (paused, hung) keeps the role this long
    lease: Duration = timedelta(seconds=20)
    # how often a standby tries to take over (a killed leader's lock is free at once)
    check_interval: Duration = timedelta(seconds=5)


class SmtpSettings(Section):
    """How notifications are sent (R12); the password is ``smtp_password``."""

    host: Host
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "starttls"
    username: NonEmpty | None = None
    # a file holding the password, read again before every login (instead of smtp_password)
    password_file: Path | None = None
    from_address: Address
    from_name: str = "Служба поддержки"
    reply_to: Address | None = None
    # CA certificates (PEM) to trust for SMTP's TLS instead of the system store
    ca_file: Annotated[Path, AfterValidator(_readable_file)] | None = None

    @property
    def effective_port(self) -> int:
        """The configured port, else the usual one for ``security``."""
        return self.port or SMTP_PORTS[self.security]


class TelegramSettings(Section):
    """The support group mirror (R5, R21); the bot token is ``telegram_bot_token``."""

    enabled: bool = False
    users: dict[int, NonEmpty] = Field(default_factory=dict)  # Telegram user id → Tracker login
    # the support team's own chat: one alert per outage a person must fix (a refused token),
    # and the mail-loop alerts (a loop cap hit)
    ops_chat_id: int | None = None
    urgent_priorities: Names = Policy().urgent_priorities
    base_url: Url = "https://api.telegram.org/bot"
