"""Load the settings once at start and explain every problem in terms a sysadmin can act on.

A pydantic error dump is turned into one line per key (``customers[1].intake_addresses: …``);
values still as in the shipped example (``CHANGE-ME``, example.org addresses, Telegram id 0) are
refused, because a bridge started on them would quietly answer nobody.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import SettingsError

from tracker_bridge.config import sources
from tracker_bridge.config.settings import SECRET_FIELDS, Settings

__all__ = ["EX_CONFIG", "PLACEHOLDER", "ConfigError", "load_settings", "placeholder_problems"]

EX_CONFIG = 78  # os.EX_CONFIG, spelt out: the systemd unit names it in RestartPreventExitStatus=
PLACEHOLDER = "CHANGE-ME"
NOT_CONFIGURED = "not configured: still the example value"
_UNPARSABLE = re.compile(r'field "(\w+)" from source "\w*Environ\w*"')
_EXAMPLE_DOMAIN = re.compile(r"(?<![\w-])example\.(?:org|com|net)(?![\w-]|\.[\w-])", re.I)


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` has one line per key at fault."""

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        super().__init__(*problems)
        self.problems = list(problems)
        self.source = source

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        count = len(self.problems)
        head = f"configuration is not valid{where}: {count} problem{'s' if count > 1 else ''}"
        return "\n".join([head, *(f"  - {problem}" for problem in self.problems)])


def load_settings(
    config_path: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read, validate and check the settings; :class:`ConfigError` lists whatever is wrong.

    ``config_path`` defaults to ``$TRACKER_BRIDGE_CONFIG`` (none: environment only); ``environ``
    defaults to ``os.environ``; ``overrides`` win over every source (command-line options).
    """
    context = sources.LoadContext.from_environ(
        config_path, os.environ if environ is None else environ
    )
    where = str(context.config_path) if context.config_path else None
    _check_paths(context, where)
    try:
        with sources.activated(context):
            settings = Settings(**dict(overrides or {}))
    except ValidationError as exc:
        raise ConfigError([_describe(error) for error in exc.errors()], where) from None
    except SettingsError as exc:
        raise ConfigError([_unparsable(exc)], where) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([f"cannot read the configuration: {exc}"], where) from None
    problems = placeholder_problems(settings)
    if problems:
        raise ConfigError(problems, where)
    return settings


def placeholder_problems(settings: Settings) -> list[str]:
    """One problem per key whose value is still a placeholder of the example file."""
    paths = dict.fromkeys(
        path for path, value in _leaves(settings.model_dump()) if _example(path, value)
    )
    return [f"{path}: {NOT_CONFIGURED}" for path in paths]


def _check_paths(context: sources.LoadContext, where: str | None) -> None:
    if context.config_path is not None and not context.config_path.is_file():
        raise ConfigError([f"config file {str(context.config_path)!r} not found"], where)
    if context.credentials_dir is not None and not context.credentials_dir.is_dir():
        problem = f"CREDENTIALS_DIRECTORY: {str(context.credentials_dir)!r} is not a directory"
        raise ConfigError([problem], where)


def _unparsable(error: SettingsError) -> str:
    """pydantic-settings' "error parsing value for field …" in the terms of the environment."""
    named = _UNPARSABLE.search(str(error))
    if named is None:
        return f"cannot read the configuration: {error}"
    key = named[1]
    variable = f"{sources.ENV_PREFIX}{key.upper()}"
    return f"{key}: {variable}… is not valid JSON (tables and lists are JSON in the environment)"


def _example(path: str, value: object) -> bool:
    if isinstance(value, str):
        return PLACEHOLDER.lower() in value.lower() or bool(_EXAMPLE_DOMAIN.search(value))
    # Telegram ids are never 0, so the example uses 0 for "put the real id here".
    telegram_id = path.endswith("telegram_chat_id") or path.startswith("telegram.users")
    return telegram_id and value == 0 and not isinstance(value, bool)


def _leaves(value: object, path: str = "") -> Iterator[tuple[str, object]]:
    """``(dotted path, value)`` for every scalar, dict keys included, secrets revealed."""
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            yield inner, key
            yield from _leaves(item, inner)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    elif isinstance(value, set | frozenset):
        for item in value:
            yield from _leaves(item, path)
    elif isinstance(value, SecretStr):
        yield path, value.get_secret_value()
    else:
        yield path, str(value) if isinstance(value, Path) else value


def _describe(error: ErrorDetails) -> str:
    path = _dotted(error["loc"])
    kind, message = error["type"], error["msg"]
    if kind == "missing":
        return f"{path}: required but not set"
    if kind == "extra_forbidden":
        return f"{path}: unknown key (misspelt? every key is in docs/configuration.md)"
    if kind in ("config", "value_error", "assertion_error"):
        return f"{path}: {message.removeprefix('Value error, ')}"
    return f"{path}: {message[:1].lower()}{message[1:]}{_got(error)}"


def _got(error: ErrorDetails) -> str:
    """The offending value, unless it may be a secret."""
    loc, value = error["loc"], error.get("input")
    if (loc and loc[0] in SECRET_FIELDS) or not isinstance(value, str | int | float):
        return ""
    return f" (got {value!r})"


def _dotted(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if part == "[key]":
            path += " (the key)"
        elif isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "(top level)"
