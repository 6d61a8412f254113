"""A secret given inline (in the TOML file or as a systemd credential) read again once its
source changes, so rotating it needs no restart — as for the ``*_file`` settings (issue 18 §3).

:class:`Reread` is how ``tracker-bridge run`` loaded its settings: the same loader, and the files
it read (the TOML file, the credentials directory). :meth:`Reread.secret` gives a callable the
adapters call before each login or request. It looks at the files' inodes, sizes and
modification times (a ``stat`` each, no parsing); only when one changed does it load and
validate the whole configuration again and take the one value. A configuration caught
half-written, or no longer valid, keeps the value in use (``config.reread_failed``, one line,
no values). A value from the environment cannot change while the process runs: it still needs
a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog
from pydantic import SecretStr

from tracker_bridge.config.loading import ConfigError, load_settings
from tracker_bridge.config.settings import Settings
from tracker_bridge.config.sources import LoadContext
from tracker_bridge.observability.log import register_secret

__all__ = ["LiveSecret", "Reread"]

log = structlog.get_logger(__name__)

Fingerprint = tuple[tuple[str, int, int, int] | None, ...]


@dataclass(frozen=True)
class Reread:
    """How to load the configuration again, and the files whose change calls for it."""

    load: Callable[[], Settings]
    files: tuple[Path, ...] = ()
    directories: tuple[Path, ...] = ()

    @classmethod
    def of(cls, config_path: Path | None, environ: Mapping[str, str]) -> Reread:
        """As :func:`~tracker_bridge.config.load_settings` reads ``config_path`` in
        ``environ``."""
        context = LoadContext.from_environ(config_path, environ)
        files = (context.config_path,) if context.config_path is not None else ()
        folders = (context.credentials_dir,) if context.credentials_dir is not None else ()
        return cls(lambda: load_settings(config_path, environ=environ), files, folders)

    def fingerprint(self) -> Fingerprint:
        """Size and modification time of every file read (a credential added or removed too)."""
        paths = [*self.files]
        for folder in self.directories:
            try:
                paths.extend(sorted(folder.iterdir()))
            except OSError:
                continue
        return tuple(_stat(path) for path in paths)

    def secret(self, value: SecretStr, pick: Callable[[Settings], SecretStr | None]) -> LiveSecret:
        """``value`` as loaded at start, then ``pick(settings)`` of each later load."""
        return LiveSecret(self, value.get_secret_value(), pick)


class LiveSecret:
    """A secret read again from the configuration once its files changed."""

    def __init__(
        self, reread: Reread, value: str, pick: Callable[[Settings], SecretStr | None]
    ) -> None:
        self._reread, self._value, self._pick = reread, value, pick
        self._seen = reread.fingerprint()

    def __call__(self) -> str:
        now = self._reread.fingerprint()
        if now != self._seen:
            self._seen = now
            self._load()
        return self._value

    def _load(self) -> None:
        try:
            picked = self._pick(self._reread.load())
        except ConfigError as exc:  # the problems name keys, never values
            log.warning("config.reread_failed", error="; ".join(exc.problems))
            return
        if picked is None:
            log.warning("config.reread_failed", error="the secret is no longer set")
            return
        value = picked.get_secret_value()
        if value != self._value:
            register_secret(value)  # masked in every log line from now on
            self._value = value
            log.info("config.secret_reread")


def _stat(path: Path) -> tuple[str, int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return str(path), st.st_ino, st.st_mtime_ns, st.st_size  # an editor's rename: a new inode
