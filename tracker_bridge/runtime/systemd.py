"""Talk to systemd's service manager: readiness, status, stopping, and the watchdog.

The sd_notify protocol is one datagram of ``KEY=value`` lines to the ``AF_UNIX`` socket named in
``$NOTIFY_SOCKET`` (a leading ``@`` means Linux's abstract namespace). Without that variable — a
terminal, the tests, the demo — every call here is a no-op, so the daemon calls them
unconditionally.

The watchdog proves more than "the process exists": :func:`watchdog_loop` pings only while the
daemon says it is healthy, so a stuck intake or a hung event loop stops the pings and systemd
restarts the service after ``WatchdogSec=``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping

from tracker_bridge.foundation.clock import Clock

__all__ = [
    "notify",
    "ready",
    "status",
    "stopping",
    "watchdog_interval",
    "watchdog_loop",
    "watchdog_ping",
]


def notify(*lines: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``lines`` (``"READY=1"``, ``"STATUS=…"``) in one datagram; False without systemd."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if not address or not lines:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.connect(address)
            sock.sendall("\n".join(lines).encode())
        except OSError:
            # Like libsystemd's sd_notify: a vanished manager is reported, never raised, so a
            # status line can not take the daemon down.
            return False
    return True


def ready(status_text: str | None = None) -> bool:
    """Startup is complete: systemd marks the unit active (and starts the watchdog clock)."""
    lines = ["READY=1"] if status_text is None else ["READY=1", _status_line(status_text)]
    return notify(*lines)


def status(text: str) -> bool:
    """A one-line state shown by ``systemctl status`` (e.g. "intake idle, 3 clocks running")."""
    return notify(_status_line(text))


def stopping(status_text: str | None = None) -> bool:
    """Shutdown has begun, so systemd does not take the silence that follows for a hang."""
    lines = ["STOPPING=1"] if status_text is None else ["STOPPING=1", _status_line(status_text)]
    return notify(*lines)


def watchdog_ping() -> bool:
    """Tell systemd we are alive; it restarts us if pings stop for ``WatchdogSec=``."""
    return notify("WATCHDOG=1")


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings (half of ``$WATCHDOG_USEC``), or None when no watchdog is set for us.

    ``$WATCHDOG_PID``, when present, names the process the watchdog is meant for; a child that
    inherited the environment must not ping on its parent's behalf.
    """
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if pid and (not pid.isdigit() or int(pid) != os.getpid()):
        return None
    return int(usec) / 2 / 1_000_000


async def watchdog_loop(
    clock: Clock, healthy: Callable[[], bool], interval: float | None = None
) -> None:
    """Ping every ``interval`` seconds (default: :func:`watchdog_interval`) while ``healthy()``.

    Returns at once when there is no watchdog; otherwise runs until cancelled. An unhealthy check
    skips the ping, so a daemon that stays unhealthy for ``WatchdogSec=`` is restarted. Pass a
    *liveness* check (loops still going round), not ``/healthz``'s "outside systems reachable":
    see :mod:`tracker_bridge.observability.health`.
    """
    period = watchdog_interval() if interval is None else interval
    if period is None or period <= 0:
        return
    while True:
        if healthy():
            watchdog_ping()
        await clock.sleep(period)


def _status_line(text: str) -> str:
    # One protocol line: a newline inside would start a new (bogus) assignment.
    return "STATUS=" + " ".join(text.split())
