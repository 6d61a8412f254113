"""A stdlib HTTP server answering from a background thread: the metrics endpoint and the fakes.

A thread, not the event loop, because the clients the fakes stand in for may be synchronous
(yandex-tracker-client): a server on the caller's loop would deadlock the first time a test calls
the client directly. :meth:`ServingThread.stop` closes the listening socket too (tests run with
unclosed-resource warnings as errors).
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

from tracker_bridge.foundation.closing import StartStop

__all__ = ["ServingThread"]


class ServingThread(StartStop):
    """``httpd`` served by a daemon thread from :meth:`start` until :meth:`stop`."""

    def __init__(self, httpd: ThreadingHTTPServer, name: str) -> None:
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._started = False

    @property
    def httpd(self) -> ThreadingHTTPServer:
        return self._httpd

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        if not self._started:
            self._thread.start()
            self._started = True

    def stop(self) -> None:
        """Stop serving, wait for the thread, and close the listening socket (once is enough)."""
        # shutdown() stops serve_forever; server_close() releases the socket
        if self._started:
            self._started = False
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
