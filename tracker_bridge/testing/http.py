"""Serve a stdlib HTTP handler on 127.0.0.1 from a background thread (httpx ``serve_in_thread``).

The thread and its stop are :class:`~tracker_bridge.foundation.serving.ServingThread`'s (the
metrics endpoint's too); this adds the test servers' listener. Port 0 lets the OS pick a free
port.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tracker_bridge.foundation.closing import StartStop
from tracker_bridge.foundation.serving import ServingThread

__all__ = ["Lifecycle", "ThreadedServer"]

Lifecycle = StartStop
"""``with thing:`` means ``start()`` then, whatever happens, ``stop()``."""


class _Server(ThreadingHTTPServer):
    # a burst of concurrent clients (100 Telegram edits at once) must queue, not be refused
    request_queue_size = 128
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class ThreadedServer(ServingThread):
    """``with ThreadedServer(Handler) as server: server.url`` — started, and always stopped."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> None:
        super().__init__(_Server((host, 0), handler), name=f"{handler.__name__}-server")
