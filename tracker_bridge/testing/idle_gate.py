"""A TCP relay in front of an IMAP server that makes something happen inside the IDLE window.

The window is the moment between a client's last look at the mailbox and the start of its IDLE:
a mail that lands there must still be taken at once. Timing cannot put a mail there reliably;
this relay can. When the client sends its ``n``-th IDLE command, the relay holds the command
back, runs ``inject()`` (an APPEND over another connection, say) and only then lets the IDLE
through. The server's answer to that IDLE — the "+ idling" continuation and whatever it
announces right after (Dovecot reports the new mail at once) — is relayed as one piece, as a
server that writes them together does: a client must cope with both arriving in one read.

Used by the tests of the IMAP source and the daemon; it never changes a byte of the dialogue.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

from tracker_bridge.foundation.closing import Closing

__all__ = ["IdleGate"]

IDLE_COMMAND = b" IDLE\r\n"
COALESCE_FOR = 0.5  # how long the answer to a gated IDLE is gathered before it is relayed


class IdleGate(Closing):
    """``with IdleGate(host, port, inject, at=(1,)) as gate:`` — connect clients to gate.port."""

    def __init__(
        self, host: str, port: int, inject: Callable[[], None], *, at: tuple[int, ...] = (1,)
    ) -> None:
        self._target = (host, port)
        self._inject = inject
        self._at = set(at)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._closed = threading.Event()
        self.idles = 0  # IDLE commands seen so far, across connections
        self.injected = 0  # how many times inject() ran inside the window
        self.host = "127.0.0.1"
        self.port = int(self._listener.getsockname()[1])
        self._spawn(self._accept)

    def close(self) -> None:
        self._closed.set()
        # closing alone does not wake a thread blocked in accept() on Linux (its join then
        # waited out the 5 s below); shutting the listener down does
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="idle-gate")
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._target)
            with self._lock:
                self._sockets += [client, server]
            gated = threading.Event()  # set while the answer to a gated IDLE is gathered
            self._spawn(self._client_to_server, client, server, gated)
            self._spawn(self._server_to_client, server, client, gated)

    def _client_to_server(
        self, client: socket.socket, server: socket.socket, gated: threading.Event
    ) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                if data.endswith(IDLE_COMMAND) and self._count_idle() in self._at:
                    self._inject()  # the client has looked; its IDLE has not started yet
                    with self._lock:
                        self.injected += 1
                    gated.set()
                server.sendall(data)
        _close_both(client, server)

    def _server_to_client(
        self, server: socket.socket, client: socket.socket, gated: threading.Event
    ) -> None:
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                if gated.is_set() and data.startswith(b"+"):
                    gated.clear()
                    data += _gather(server, time.monotonic() + COALESCE_FOR)
                client.sendall(data)
        _close_both(client, server)

    def _count_idle(self) -> int:
        with self._lock:
            self.idles += 1
            return self.idles


def _gather(sock: socket.socket, until: float) -> bytes:
    """Whatever ``sock`` says before ``until`` (the server's announcements after "+ idling")."""
    chunks: list[bytes] = []
    while (left := until - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    sock.settimeout(None)
    return b"".join(chunks)


def _close_both(a: socket.socket, b: socket.socket) -> None:
    for sock in (a, b):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
