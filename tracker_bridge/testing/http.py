"""Serve a stdlib HTTP handler on 127.0.0.1 from a background thread (httpx ``serve_in_thread``).

The fakes run in their own thread because the clients they stand in for may be synchronous
(yandex-tracker-client): a server on the caller's event loop would deadlock the first time a test
calls the client directly. Port 0 lets the OS pick a free port.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

__all__ = ["Lifecycle", "ThreadedServer"]


class _Server(ThreadingHTTPServer):
    # a burst of concurrent clients (100 Telegram edits at once) must queue, not be refused
    request_queue_size = 128
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class Lifecycle:
    """``with thing:`` means ``start()`` then, whatever happens, ``stop()``."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ThreadedServer(Lifecycle):
    """``with ThreadedServer(Handler) as server: server.url`` — started, and always stopped."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> None:
        self._server = _Server((host, 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{handler.__name__}-server",
            daemon=True,
        )
        self._started = False

    @property
    def httpd(self) -> ThreadingHTTPServer:
        return self._server

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if not self._started:
            self._thread.start()
            self._started = True

    def stop(self) -> None:
        # shutdown() stops serve_forever; server_close() releases the socket, which pytest's
        # warnings-as-errors would otherwise report as an unclosed resource.
        if self._started:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._started = False
        self._server.server_close()
