"""A private PostgreSQL cluster on loopback, for tests: ``with PostgresCluster() as pg: pg.url()``.

``initdb`` into a temporary directory, ``postgres`` on a free 127.0.0.1 port with its socket in
that directory (nothing system-wide is touched), trust authentication for one superuser, and
``fsync=off``: a test cluster is thrown away, and a killed server (a process crash, not a power
cut) still finds its WAL in the OS's cache; commits stay synchronous, so none is lost.
PostgreSQL refuses to run as root: as root the cluster runs as the ``postgres`` user of the
Debian package. The binaries are found on PATH or in Debian's ``/usr/lib/postgresql/<v>/bin``;
without them :class:`PostgresMissingError` says how to install them (``.ci/system-deps`` does).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tracker_bridge.testing.lifecycle import StartedServer

__all__ = ["PostgresCluster", "PostgresMissingError", "find_binary"]

MISSING_HINT = (
    "PostgreSQL's server programs (initdb, pg_ctl) are not installed: "
    "apt-get install postgresql (the tests start a private cluster on loopback)"
)
START_TIMEOUT = 30.0


class PostgresMissingError(RuntimeError):
    """PostgreSQL's server programs are not installed on this machine."""


def find_binary(name: str) -> str | None:
    """``name`` on PATH, else the newest Debian ``/usr/lib/postgresql/*/bin/name``."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return str(candidates[-1]) if candidates else None


class PostgresCluster(StartedServer):
    """One throwaway cluster; :meth:`create_database` gives each test its own database."""

    host = "127.0.0.1"
    superuser = "bridge"

    def __init__(self, *, durable: bool = False) -> None:
        """``durable``: keep PostgreSQL's fsync and full-page writes (benchmarks compare it with
        SQLite's durable commits); the tests run without them."""
        initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise PostgresMissingError(MISSING_HINT)
        self._initdb, self._pg_ctl = initdb, pg_ctl
        self._dir = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))  # short: socket paths
        self._run_as = _unprivileged_user()
        self.port = 0
        self._running = False
        self._databases = 0
        self._durable = durable

    @property
    def data_dir(self) -> Path:
        return self._dir / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.superuser}@{self.host}:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """A fresh empty database; its URL."""
        import psycopg  # noqa: PLC0415 - only the PostgreSQL tests need it

        self._databases += 1
        name = f"{prefix}{self._databases}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._running:
            return
        if not self.data_dir.exists():
            self._init()
        if not self.port:
            self.port = _free_port()
        options = f"-c listen_addresses={self.host} -c port={self.port}"
        options += f" -c unix_socket_directories={self._dir} -c max_connections=200"
        if not self._durable:
            options += " -c fsync=off -c full_page_writes=off"
        self._run(
            self._pg_ctl, "start", "-w", "-t", str(int(START_TIMEOUT)), "-D", str(self.data_dir),
            "-l", str(self._dir / "server.log"), "-o", options,
        )  # fmt: skip
        self._running = True

    def stop(self, *, mode: str = "fast") -> None:
        """``fast`` (disconnect everyone, clean shutdown) or ``immediate`` (as a crash)."""
        if not self._running:
            return
        self._running = False
        self._run(self._pg_ctl, "stop", "-w", "-m", mode, "-D", str(self.data_dir))

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            self.stop(mode="immediate")
        shutil.rmtree(self._dir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        path = self._dir / "server.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # --- internals ------------------------------------------------------------------------
    def _init(self) -> None:
        if self._run_as is not None:
            os.chown(self._dir, self._run_as.pw_uid, self._run_as.pw_gid)
        self._run(
            self._initdb, "-D", str(self.data_dir), "-U", self.superuser, "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip

    def _run(self, *argv: str) -> None:
        extra: dict[str, Any] = {}
        if self._run_as is not None:
            extra = {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid}
        done = subprocess.run(  # noqa: S603 - our own argv, no shell
            argv, capture_output=True, text=True, timeout=START_TIMEOUT + 30, check=False,
            cwd=self._dir, env={**os.environ, "LC_ALL": "C"}, **extra,
        )  # fmt: skip
        if done.returncode != 0:
            raise subprocess.CalledProcessError(
                done.returncode, argv, done.stdout, f"{done.stderr}\n{self.log_tail()}"
            )


def _unprivileged_user() -> pwd.struct_passwd | None:
    """Who runs the cluster: nobody special unless we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresMissingError("running as root and no 'postgres' user to run the cluster as")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
