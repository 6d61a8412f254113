"""The whole daemon's settings: sections, top-level secrets, and conversion to core types.

Secrets are top-level fields because pydantic-settings' secrets directory (systemd's
``$CREDENTIALS_DIRECTORY``) does not descend into nested models (pydantic-settings issue #154); the
credential file names are these field names (``LoadCredential=tracker_token:/etc/…``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tracker_bridge.config import sources
from tracker_bridge.config.connections import (
    FailoverSettings,
    MailSettings,
    SmtpSettings,
    TelegramSettings,
    TrackerSettings,
)
from tracker_bridge.config.regulation import (
    CalendarSettings,
    CustomerSettings,
    RegulationSettings,
    StatusSettings,
)
from tracker_bridge.config.types import Loc, Secret, refuse
from tracker_bridge.config.webhook import WebhookSettings
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.regulation.model import Customer
from tracker_bridge.regulation.policy import Policy
from tracker_bridge.regulation.statuses import StatusMap

__all__ = ["DEFAULT_STORE_PATH", "SECRET_FIELDS", "Settings", "redacted_dump"]


def _store_url(value: str) -> str:
    """A ``postgresql://user@host[:port]/database`` URL, without a password."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError("a postgresql://user@host:5432/database URL (or leave it out for SQLite)")
    if parts.password is not None:
        raise ValueError("do not put the password in the URL: give it as store_password")
    if not parts.hostname or parts.path in ("", "/"):
        raise ValueError("the URL needs a host and a database: postgresql://user@host/database")
    return value.strip()


DEFAULT_STORE_PATH = Path("/var/lib/tracker-bridge") / sources.STORE_FILE_NAME
SECRET_FIELDS = (
    "tracker_token",
    "tracker_iam_token",
    "imap_password",
    "smtp_password",
    "telegram_bot_token",
    "webhook_secret",
    "store_password",
)
REDACTED = "***"
MIN_WEBHOOK_SECRET = 24  # the webhook's only protection against forged calls


def _listen(value: str) -> str:
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port (e.g. 127.0.0.1:9464)")
    return value.strip()


def _directory(value: Path) -> Path:
    if not value.is_dir():
        raise ValueError(f"{str(value)!r} is not a directory")
    return value


class Settings(BaseSettings):
    """Everything ``tracker-bridge run`` needs; build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix=sources.ENV_PREFIX,
        env_nested_delimiter=sources.ENV_NESTED_DELIMITER,
        env_ignore_empty=True,
    )

    tracker_token: Secret | None = None
    tracker_iam_token: Secret | None = None
    imap_password: Secret | None = None
    smtp_password: Secret | None = None
    telegram_bot_token: Secret | None = None
    webhook_secret: Secret | None = None
    store_password: Secret | None = None

    tracker: TrackerSettings
    mail: MailSettings
    smtp: SmtpSettings
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    customers: tuple[CustomerSettings, ...]
    regulation: RegulationSettings = Field(default_factory=RegulationSettings)
    statuses: StatusSettings = Field(default_factory=StatusSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    store_path: Path = DEFAULT_STORE_PATH
    store_url: Annotated[str, AfterValidator(_store_url)] | None = None
    failover: FailoverSettings = Field(default_factory=FailoverSettings)
    metrics_listen: Annotated[str, AfterValidator(_listen)] = "127.0.0.1:9464"
    template_dir: Annotated[Path, AfterValidator(_directory)] | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return sources.build_sources(settings_cls, init_settings)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        refuse("Settings", [*self._secret_problems(), *self._customer_problems()])
        return self

    def _secret_problems(self) -> list[tuple[Loc, str]]:
        problems: list[tuple[Loc, str]] = []
        given: list[object] = [self.tracker_token, self.tracker_iam_token]
        given += [self.tracker.token_file, self.tracker.iam_token_file]
        if sum(value is not None for value in given) != 1:
            message = (
                "set exactly one of tracker_token (OAuth), tracker_iam_token (IAM), "
                "tracker.token_file and tracker.iam_token_file"
            )
            problems.append((("tracker_token",), message))
        if self.mail.imap is not None and self.imap_password is None:
            problems.append((("imap_password",), "required for an IMAP mail.source"))
        has_password = self.smtp_password is not None or self.smtp.password_file is not None
        if (self.smtp.username is None) == has_password:
            problems.append((("smtp_password",), "smtp.username and smtp_password go together"))
        if self.smtp_password is not None and self.smtp.password_file is not None:
            problems.append((("smtp_password",), "set smtp_password or smtp.password_file"))
        if self.telegram.enabled and self.telegram_bot_token is None:
            problems.append((("telegram_bot_token",), "required when telegram.enabled is true"))
        if self.webhook.enabled and self.webhook_secret is None:
            problems.append((("webhook_secret",), "required when webhook.enabled is true"))
        secret = self.webhook_secret
        if secret is not None and len(secret.get_secret_value()) < MIN_WEBHOOK_SECRET:
            message = f"at least {MIN_WEBHOOK_SECRET} characters (e.g. `openssl rand -hex 32`)"
            problems.append((("webhook_secret",), message))
        return problems

    def _customer_problems(self) -> list[tuple[Loc, str]]:
        # Checked here, not with min_length: pydantic would also say "empty" when one is invalid.
        problems: list[tuple[Loc, str]] = []
        if not self.customers:
            problems.append((("customers",), "no customer configured: add a [[customers]] table"))
        names: dict[str, int] = {}
        intake: dict[str, int] = {}
        for i, customer in enumerate(self.customers):
            if customer.name in names:
                message = f"{customer.name!r} is also the name of customers[{names[customer.name]}]"
                problems.append((("customers", i, "name"), message))
            names.setdefault(customer.name, i)
            for address in customer.intake_addresses:
                if address in intake:
                    owner = self.customers[intake[address]].name
                    message = f"{address} is already an intake address of {owner!r}"
                    problems.append((("customers", i, "intake_addresses"), message))
                intake.setdefault(address, i)
        return problems

    def policy(self) -> Policy:
        """The regulation's knobs as the core's :class:`Policy`."""
        return self.regulation.to_policy(self.telegram.urgent_priorities)

    def customers_core(self) -> tuple[Customer, ...]:
        return tuple(customer.to_core() for customer in self.customers)

    def status_map(self) -> StatusMap:
        return self.statuses.to_status_map()

    def to_calendar(self) -> WorkCalendar:
        """R6: the support's working calendar, from ``[calendar]``."""
        return self.calendar.to_calendar()

    @property
    def metrics_host(self) -> str:
        return self.metrics_listen.rpartition(":")[0].strip("[]")

    @property
    def metrics_port(self) -> int:
        return int(self.metrics_listen.rpartition(":")[2])


def redacted_dump(settings: Settings) -> dict[str, Any]:
    """Every setting as JSON-ready data, each secret that is set shown as ``***``."""
    data = settings.model_dump(mode="json")
    for name in SECRET_FIELDS:
        if data[name] is not None:
            data[name] = REDACTED
    return data
