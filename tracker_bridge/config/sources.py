"""Where configuration values come from, and in which order they win.

Highest first: keyword arguments > environment variables (``TRACKER_BRIDGE_*``, ``__`` between
levels) > systemd credentials (one file per secret in ``$CREDENTIALS_DIRECTORY``) > the TOML file >
systemd's directories (``$STATE_DIRECTORY`` moves the default store) > the model's defaults.

pydantic-settings builds its sources inside ``BaseSettings.__init__`` from class-level settings
only; a load that must read a given environment (tests pass a dict, never ``os.environ``) and a
given file therefore hands them over in :data:`_ACTIVE` for the duration of one construction.
That context variable is the only module state here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    TomlConfigSettingsSource,
)

__all__ = [
    "CONFIG_ENV",
    "ENV_NESTED_DELIMITER",
    "ENV_PREFIX",
    "STORE_FILE_NAME",
    "LoadContext",
    "activated",
    "build_sources",
]

ENV_PREFIX = "TRACKER_BRIDGE_"
ENV_NESTED_DELIMITER = "__"
CONFIG_ENV = "TRACKER_BRIDGE_CONFIG"
STORE_FILE_NAME = "state.sqlite3"


@dataclass(frozen=True)
class LoadContext:
    """The environment, TOML file and systemd directories one load reads."""

    environ: Mapping[str, str]
    config_path: Path | None = None
    credentials_dir: Path | None = None
    state_dir: Path | None = None

    @classmethod
    def from_environ(cls, config_path: Path | None, environ: Mapping[str, str]) -> LoadContext:
        """The context for ``config_path`` (else ``$TRACKER_BRIDGE_CONFIG``) and ``environ``."""
        named = config_path or _path(environ.get(CONFIG_ENV))
        # StateDirectory= with several entries gives a colon-separated list; the first is ours.
        state = environ.get("STATE_DIRECTORY", "").split(":")[0]
        return cls(environ, named, _path(environ.get("CREDENTIALS_DIRECTORY")), _path(state))


_ACTIVE: ContextVar[LoadContext | None] = ContextVar("tracker_bridge_config_load", default=None)


@contextmanager
def activated(context: LoadContext) -> Iterator[None]:
    """Make ``Settings(...)`` read ``context`` instead of the process environment."""
    token = _ACTIVE.set(context)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def build_sources(
    settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource
) -> tuple[PydanticBaseSettingsSource, ...]:
    """The sources for one construction of ``settings_cls``, highest precedence first."""
    context = _ACTIVE.get() or LoadContext.from_environ(None, os.environ)
    sources: list[PydanticBaseSettingsSource] = [
        init_settings,
        _EnvironSource(settings_cls, context.environ),
    ]
    if context.credentials_dir is not None and context.credentials_dir.is_dir():
        # Credential file names are the field names: no prefix, unlike environment variables.
        sources.append(SecretsSettingsSource(settings_cls, context.credentials_dir, env_prefix=""))
    if context.config_path is not None:
        sources.append(TomlConfigSettingsSource(settings_cls, toml_file=context.config_path))
    sources.append(_StateDirectorySource(settings_cls, context.state_dir))
    return tuple(sources)


class _EnvironSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ  # read by _load_env_vars, which the base __init__ calls
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        if self.case_sensitive:
            return {k: v for k, v in self._environ.items() if v or not self.env_ignore_empty}
        return {k.lower(): v for k, v in self._environ.items() if v or not self.env_ignore_empty}


class _StateDirectorySource(PydanticBaseSettingsSource):
    """Below the TOML file: under systemd's StateDirectory=, the store lives in that directory."""

    def __init__(self, settings_cls: type[BaseSettings], state_dir: Path | None) -> None:
        super().__init__(settings_cls)
        self._state_dir = state_dir

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ answers for the whole model

    def __call__(self) -> dict[str, Any]:
        if self._state_dir is None:
            return {}
        return {"store_path": self._state_dir / STORE_FILE_NAME}


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None
