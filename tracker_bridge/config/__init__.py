"""The daemon's configuration: one typed model, checked once at start.

:func:`load_settings` reads the TOML file, the environment and systemd credentials (precedence in
:mod:`tracker_bridge.config.sources`), validates everything and refuses values left as in the
shipped example; every problem ends up in one :class:`ConfigError`, and the CLI exits with
:data:`EX_CONFIG` so that systemd does not restart-loop (``RestartPreventExitStatus=78``).
Every key is described in ``docs/configuration.md``.

Modules: ``types`` (value types), ``connections`` (Tracker, mail, SMTP, Telegram), ``regulation``
(customers, policy, statuses, calendar), ``settings`` (the whole model and its converters),
``sources`` (where values come from), ``loading`` (load, explain, refuse placeholders).
"""

from tracker_bridge.config.connections import (
    FieldIds,
    ImapEndpoint,
    MailFolders,
    MailSettings,
    SmtpSettings,
    TelegramSettings,
    TrackerSettings,
)
from tracker_bridge.config.loading import (
    EX_CONFIG,
    PLACEHOLDER,
    ConfigError,
    load_settings,
    placeholder_problems,
)
from tracker_bridge.config.regulation import (
    CalendarSettings,
    CustomerSettings,
    RegulationSettings,
    StatusSettings,
)
from tracker_bridge.config.settings import SECRET_FIELDS, Settings, redacted_dump

__all__ = [
    "EX_CONFIG",
    "PLACEHOLDER",
    "SECRET_FIELDS",
    "CalendarSettings",
    "ConfigError",
    "CustomerSettings",
    "FieldIds",
    "ImapEndpoint",
    "MailFolders",
    "MailSettings",
    "RegulationSettings",
    "Settings",
    "SmtpSettings",
    "StatusSettings",
    "TelegramSettings",
    "TrackerSettings",
    "load_settings",
    "placeholder_problems",
    "redacted_dump",
]
