"""A private Dovecot 2.3 on loopback ports, for tests, benchmarks and the demo.

``with Dovecot() as dc:`` writes a throwaway config into a short temp dir, starts
``dovecot -F -c <dir>/dovecot.conf`` in the foreground and waits for its greeting; leaving the
block stops it and removes the dir. Plain IMAP (with STARTTLS) on ``dc.port``, IMAPS on
``dc.ssl_port``, both on 127.0.0.1 with a self-signed cert that ``dc.ssl_context()`` trusts.
It never reads or touches /etc/dovecot or the system instance: every path is under the temp dir
and the binary always gets ``-c``.

The config avoids the traps measured in docs (ENV-NOTES §4): as root, imap-login runs as
dovenull and mail as nobody (Dovecot refuses root for both); the dir lives directly under /tmp
with mode 0755 (the mail user must traverse every parent; pytest's tmp_path is 0700) and its
path stays short (unix sockets are limited to 108 bytes); the anvil auth penalty is off so one
failed login does not slow every later one down by seconds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient

from tracker_bridge.testing.lifecycle import StartedServer

__all__ = ["Dovecot", "DovecotMissingError", "MailAccount"]

MISSING_HINT = (
    "the `dovecot` binary is missing: run `bash .ci/system-deps` "
    "(as root it installs dovecot-imapd), then rerun the tests"
)
START_TIMEOUT = 10.0
START_ATTEMPTS = 5


class DovecotMissingError(RuntimeError):
    """Dovecot is not installed on this machine."""


@dataclass(frozen=True)
class MailAccount:
    """One IMAP user of a private Dovecot, with helpers that talk to it over real IMAP."""

    host: str
    port: int
    ssl_port: int
    user: str
    password: str
    cafile: Path

    def ssl_context(self) -> ssl.SSLContext:
        """A TLS context that trusts this instance's self-signed cert (hostname checks stay on)."""
        return ssl.create_default_context(cafile=str(self.cafile))

    @contextmanager
    def client(self) -> Iterator[IMAPClient]:
        """A logged-in plain-port client, logged out on exit."""
        imap = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        try:
            imap.login(self.user, self.password)
            yield imap
        finally:
            _logout(imap)

    def append(self, folder: str, raw: bytes) -> int:
        """APPEND ``raw`` to ``folder`` (created when missing); returns the new message's UID."""
        with self.client() as imap:
            if not imap.folder_exists(folder):
                imap.create_folder(folder)
            response: bytes = imap.append(folder, raw)
        # "[APPENDUID <uidvalidity> <uid>] Append completed." (UIDPLUS)
        return int(response.split(b"]")[0].split()[-1])

    def append_many(self, folder: str, raws: Sequence[bytes]) -> None:
        """APPEND every message over one connection, in order (fast bursts)."""
        with self.client() as imap:
            if not imap.folder_exists(folder):
                imap.create_folder(folder)
            for raw in raws:
                imap.append(folder, raw)

    def messages(self, folder: str) -> list[bytes]:
        """The raw messages in ``folder``, by UID; empty when the folder does not exist."""
        with self.client() as imap:
            if not imap.folder_exists(folder):
                return []
            imap.select_folder(folder, readonly=True)
            uids = sorted(imap.search("ALL"))
            if not uids:
                return []
            data = imap.fetch(uids, ["BODY.PEEK[]"])
        return [bytes(data[uid][b"BODY[]"]) for uid in uids if uid in data]

    def folders(self) -> list[str]:
        """Every folder name, decoded from modified UTF-7."""
        with self.client() as imap:
            return [str(name) for _, _, name in imap.list_folders()]

    def uidvalidity(self, folder: str) -> int:
        """The folder's current UIDVALIDITY."""
        with self.client() as imap:
            return int(imap.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def recreate_folder(self, folder: str) -> None:
        """Delete and create ``folder`` again: its messages go, and it gets a new UIDVALIDITY."""
        with self.client() as imap:
            imap.delete_folder(folder)
            imap.create_folder(folder)


class Dovecot(StartedServer):
    """A private Dovecot instance: ``with Dovecot() as dc: dc.append("INBOX", raw)``.

    ``capabilities`` replaces the advertised IMAP capability list (e.g. one without IDLE and
    MOVE, to exercise a client's fallbacks); None keeps Dovecot's own. ``binary`` defaults to
    ``dovecot`` on PATH (or /usr/sbin); without one, :class:`DovecotMissingError` says how to
    install it.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        user: str = "test",
        password: str = "secret",  # noqa: S107 - a throwaway test account
        *,
        capabilities: Sequence[str] | None = None,
        binary: str | None = None,
    ) -> None:
        binary = binary or shutil.which("dovecot") or _sbin("dovecot")
        if binary is None or not Path(binary).is_file():
            raise DovecotMissingError(MISSING_HINT)
        self._binary = binary
        self._capabilities = capabilities
        self._dir = Path(tempfile.mkdtemp(prefix="dv-", dir="/tmp"))  # short: socket paths
        self._user = user
        self._password = password
        self._proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.ssl_port = 0
        self._prepare_dir()
        self.account = self._account(user)

    # --- the default account, so ``dc.user`` / ``dc.append`` read naturally ------------------
    @property
    def user(self) -> str:
        return self._user

    @property
    def password(self) -> str:
        return self._password

    @property
    def directory(self) -> Path:
        return self._dir

    @property
    def cafile(self) -> Path:
        return self._dir / "tls" / "cert.pem"

    @property
    def log_path(self) -> Path:
        return self._dir / "log" / "dovecot.log"

    def ssl_context(self) -> ssl.SSLContext:
        return self.account.ssl_context()

    def append(self, folder: str, raw: bytes) -> int:
        return self.account.append(folder, raw)

    def add_user(self, user: str) -> MailAccount:
        """Another account (same password) with its own empty Maildir, created on first use."""
        return self._account(user)

    def maildir(self, user: str | None = None) -> Path:
        """Where ``user``'s Maildir lives on disk (created by Dovecot on first use)."""
        return self._dir / "mail" / (user or self.user) / "Maildir"

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start on fresh free ports the first time, on the same ports after a stop."""
        if self._proc is not None:
            return
        if self.port:
            self._launch()
            return
        for attempt in range(START_ATTEMPTS):
            self.port, self.ssl_port = _free_port(), _free_port()
            self.account = self._account(self.user)
            try:
                self._launch()
                return
            except _PortTakenError:
                if attempt == START_ATTEMPTS - 1:
                    raise

    def stop(self, *, kill: bool = False) -> None:
        """Stop the instance: SIGTERM to the master (takes ~1.1 s), or SIGKILL at once.

        Either way every process of the instance is gone afterwards: imap processes outlive
        a terminated master and would keep serving their connections (and the listening
        sockets), which is not what a restart means.
        """
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if kill:
            _kill_group(proc.pid)
        else:
            proc.terminate()
        try:
            proc.wait(timeout=15)
        finally:
            _kill_group(proc.pid)
            proc.wait(timeout=5)
        # a killed master leaves its pid file behind; the next start would refuse to run
        (self._dir / "run" / "master.pid").unlink(missing_ok=True)

    def restart(self, *, kill: bool = False) -> None:
        """Stop and start again on the same ports: every open connection is dropped."""
        self.stop(kill=kill)
        self.start()

    def close(self) -> None:
        """Stop and remove the temp dir."""
        self.stop(kill=True)
        shutil.rmtree(self._dir, ignore_errors=True)

    # --- internals ------------------------------------------------------------------------
    def _account(self, user: str) -> MailAccount:
        return MailAccount(self.host, self.port, self.ssl_port, user, self._password, self.cafile)

    def _prepare_dir(self) -> None:
        for sub in ("run", "state", "mail", "log", "tls"):
            (self._dir / sub).mkdir()
        self._dir.chmod(0o755)  # the mail user (nobody, as root) must traverse it
        uid, gid = _mail_ids()
        os.chown(self._dir / "mail", uid, gid)
        _make_cert(self._dir / "tls")

    def _launch(self) -> None:
        conf = self._dir / "dovecot.conf"
        conf.write_text(self._config(), encoding="utf-8")
        self.log_path.write_text("", encoding="utf-8")
        proc = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            [self._binary, "-F", "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: stop(kill=True) reaches the children
        )
        try:
            _wait_for_greeting(proc, self.port, self.log_path)
        except BaseException:
            _kill_group(proc.pid)
            proc.wait(timeout=5)
            raise
        self._proc = proc

    def _config(self) -> str:
        return _render_config(
            self._dir, self.port, self.ssl_port, self._password, self._capabilities
        )


class _PortTakenError(RuntimeError):
    """Another process took the port between our probe and Dovecot's bind."""


def _sbin(name: str) -> str | None:
    path = Path("/usr/sbin") / name
    return str(path) if path.exists() else None


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mail_ids() -> tuple[int, int]:
    """uid/gid of the mail processes: Dovecot refuses uid 0, so root hands mail to nobody."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    import pwd  # noqa: PLC0415 - POSIX only, needed only here

    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


def _login_user() -> str:
    """imap-login refuses root: as root it runs as dovenull (made by the Debian package)."""
    import pwd  # noqa: PLC0415

    if os.getuid() != 0:
        return pwd.getpwuid(os.getuid()).pw_name
    try:
        return pwd.getpwnam("dovenull").pw_name
    except KeyError:
        return "nobody"


def _make_cert(tls: Path) -> None:
    """A self-signed EC cert for localhost and 127.0.0.1 (EC: ~10x faster to make than RSA)."""
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [  # noqa: S607 - openssl from PATH
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (tls / "key.pem").chmod(0o600)


def _wait_for_greeting(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    # Polls a real process coming up, so real time is right here (not the injected Clock).
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text(encoding="utf-8", errors="replace")
            if "Address already in use" in text:
                raise _PortTakenError(text)
            raise RuntimeError(f"dovecot exited with {proc.returncode}; log:\n{text}")
        if _greets(port):
            return
        time.sleep(0.01)
    raise RuntimeError(f"dovecot did not greet on port {port} within {START_TIMEOUT} s")


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            return conn.recv(64).startswith(b"* OK")
    except OSError:
        return False


def _logout(imap: IMAPClient) -> None:
    try:
        imap.logout()
    except (OSError, IMAPClient.Error):
        imap.shutdown()


def _render_config(
    root: Path, port: int, ssl_port: int, password: str, capabilities: Sequence[str] | None
) -> str:
    uid, gid = _mail_ids()
    me = os.getuid(), os.getgid()
    caps = f"imap_capability = {' '.join(capabilities)}\n" if capabilities is not None else ""
    return _TEMPLATE.format(
        root=root,
        port=port,
        ssl_port=ssl_port,
        internal_user=_name_of_uid(me[0]),
        internal_group=_name_of_gid(me[1]),
        login_user=_login_user(),
        mail_uid=uid,
        mail_gid=gid,
        capability_line=caps,
        password=password,
    )


def _name_of_uid(uid: int) -> str:
    import pwd  # noqa: PLC0415

    return pwd.getpwuid(uid).pw_name


def _name_of_gid(gid: int) -> str:
    import grp  # noqa: PLC0415

    return grp.getgrgid(gid).gr_name


_TEMPLATE = """\
# private Dovecot test instance (tracker_bridge.testing.dovecot); never the system one
instance_name = tb-dovecot-{port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log/dovecot.log
info_log_path = {root}/log/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 0
first_valid_gid = 0
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
ssl = yes
ssl_cert = <{root}/tls/cert.pem
ssl_key = <{root}/tls/key.pem
ssl_min_protocol = TLSv1.2
mail_location = maildir:{root}/mail/%u/Maildir
mail_fsync = never
{capability_line}namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  # every user name logs in with the one password: a test gets a fresh, empty account
  # just by picking a new name (a passwd-file is re-read at most once a second)
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # no auth-penalty socket: a failed login must not delay every later one by seconds
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
"""
