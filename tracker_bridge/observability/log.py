"""Logging: structlog events, JSON lines for journald, a console on a terminal, secrets redacted.

One pipeline for everything: our structlog loggers and the standard-library loggers of the
libraries we use (httpx, telegram, imapclient, …) end in the same root handler, whose
``ProcessorFormatter`` adds the ISO timestamp, the level, the logger name and the context bound
with ``structlog.contextvars.bound_contextvars(issue=key)``, formats exceptions, redacts secrets
(:func:`redact_secrets`) and renders one JSON object per line (or a readable line on a TTY).

Redaction is the last step before rendering, so it sees the traceback text and the message a
library formatted itself (httpx logs request URLs, and Telegram's contain the bot token).

Global state department: this module owns the values passed to :func:`register_secret` and the
root handler :func:`configure_logging` installs; nothing happens until those are called.
"""

from __future__ import annotations

import json as jsonlib
import logging
import re
import sys
import threading
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

__all__ = [
    "REDACTED",
    "configure_logging",
    "forget_secrets",
    "redact_secrets",
    "register_secret",
    "reset_logging",
]

REDACTED = "***"
# Keys whose values are secrets whatever they look like (matched anywhere in the key name).
_SECRET_KEY = re.compile(
    r"token|passw|secret|authori[sz]ation|cookie|api[_-]?key|private[_-]?key", re.IGNORECASE
)
# Secret-shaped text inside strings: (pattern, replacement).
_SECRET_TEXT: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Authorization: OAuth y0_…", "Bearer eyJ…": keep the scheme, drop the credential.
    (re.compile(r"\b(Bearer|OAuth)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE), rf"\1 {REDACTED}"),
    # Telegram bot tokens, also inside API URLs (".../bot123456:AA…/getUpdates").
    (re.compile(r"\d+:[A-Za-z0-9_-]{30,}"), REDACTED),
    # Yandex OAuth (y0_…) and IAM (t1.…) tokens.
    (re.compile(r"\by[0-3]_[A-Za-z0-9_-]{20,}"), REDACTED),
    (re.compile(r"\bt1\.[A-Za-z0-9_.-]{20,}"), REDACTED),
    # Passwords in URLs: imaps://user:password@host.
    (re.compile(r"(://[^/\s:@]+:)[^@\s/]+@"), rf"\1{REDACTED}@"),
)
# Keys the renderers or the stdlib bridge own; they never carry our data.
_UNTOUCHED = frozenset({"exc_info", "_record", "_from_structlog", "stack_info"})
_NOISY_LEVELS = {"httpx": logging.WARNING, "httpcore": logging.WARNING}

_lock = threading.Lock()
_secrets: set[str] = set()
_secrets_pattern: re.Pattern[str] | None = None
_handler: logging.Handler | None = None
_previous_root_level: int | None = None


def register_secret(value: str) -> None:
    """Redact ``value`` wherever it appears in a log line (config registers its SecretStrs)."""
    global _secrets_pattern  # noqa: PLW0603 - the one registry, see the module docstring
    if not value.strip():
        return
    with _lock:
        _secrets.add(value)
        # Longest first, so a secret that contains another is replaced whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _secrets_pattern = re.compile("|".join(re.escape(secret) for secret in ordered))


def forget_secrets() -> None:
    """Drop every registered value (a reload that registers the new ones; tests)."""
    global _secrets_pattern  # noqa: PLW0603 - see the module docstring
    with _lock:
        _secrets.clear()
        _secrets_pattern = None


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: secret-named keys become ``***``; secret-shaped text is cut out.

    Values of keys named like token/password/secret/authorization/cookie/api_key (any case, in
    nested dicts too) are replaced whole; in every other string, bearer/OAuth credentials,
    Telegram bot tokens, Yandex OAuth/IAM tokens, URL passwords and registered values are.
    """
    for key, value in event_dict.items():
        if key not in _UNTOUCHED:
            event_dict[key] = _redact_item(key, value)
    return event_dict


def configure_logging(
    *, json: bool | None = None, level: str = "info", stream: TextIO | None = None
) -> None:
    """Route structlog and stdlib logging to ``stream`` (stdout): JSON unless it is a terminal."""
    global _handler, _previous_root_level  # noqa: PLW0603 - see the module docstring
    out = sys.stdout if stream is None else stream
    as_json = not out.isatty() if json is None else json
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}")
    shared = _shared_processors()
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact_secrets,
                _renderer(as_json),
            ],
        )
    )
    reset_logging()
    root = logging.getLogger()
    _previous_root_level = root.level
    root.addHandler(handler)
    root.setLevel(numeric)
    _handler = handler
    for name, noisy in _NOISY_LEVELS.items():
        # httpx logs every request at INFO: one line per Telegram poll. Shown only when debugging.
        logging.getLogger(name).setLevel(numeric if numeric <= logging.DEBUG else noisy)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            # Also here, so no other handler on the root logger ever gets an unredacted event.
            redact_secrets,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a reconfiguration (tests, `check` then `run`) reaches existing loggers too.
        cache_logger_on_first_use=False,
    )


def reset_logging() -> None:
    """Undo :func:`configure_logging`: remove our handler and restore structlog's defaults."""
    global _handler, _previous_root_level  # noqa: PLW0603 - see the module docstring
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None
    if _previous_root_level is not None:
        logging.getLogger().setLevel(_previous_root_level)
        _previous_root_level = None
    for name in _NOISY_LEVELS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    structlog.reset_defaults()


def _shared_processors() -> list[Processor]:
    """What every event gets, whether it came from structlog or from a library's stdlib logger."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


def _renderer(as_json: bool) -> Processor:
    if as_json:
        # Cyrillic stays readable in journalctl; one object per line.
        return structlog.processors.JSONRenderer(serializer=_dumps)
    # No colours: every command writes through cli.terminal.safe_output, which shows each control
    # character as a visible escape so mail text cannot drive the terminal — colour codes would
    # reach the operator as "\x1b[2m…" garbage on every line (they did, from issue 17 on).
    return structlog.dev.ConsoleRenderer(colors=False)


def _dumps(obj: Any, **kwargs: Any) -> str:
    return jsonlib.dumps(obj, ensure_ascii=False, **kwargs)


def _redact_item(key: str, value: Any) -> Any:
    if value is not None and _SECRET_KEY.search(key):
        return REDACTED
    return _redact_value(value)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_item(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    # Anything else would be rendered through repr(): redact that text instead.
    return _redact_text(repr(value))


def _redact_text(text: str) -> str:
    # Registered values first: a shape pattern must not cut one in half and leave the rest.
    registered = _secrets_pattern
    if registered is not None:
        text = registered.sub(REDACTED, text)
    for pattern, replacement in _SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text
