"""Config for the Tracker trigger webhook (``[webhook]``): off unless enabled.

The shared secret is not here: it is the top-level ``webhook_secret`` (a systemd credential,
like every other secret; see ``settings.py``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, Field

from tracker_bridge.config.types import Duration, NonEmpty, Section, Url

__all__ = ["WebhookSettings", "listen_address"]


def listen_address(value: str) -> str:
    """``host:port`` (``[::1]:9465`` for IPv6; port 0: any free one), else ``ValueError``."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port (e.g. 127.0.0.1:9465)")
    return value.strip()


def _path(value: str) -> str:
    if not value.startswith("/") or "?" in value or "#" in value:
        raise ValueError(f"{value!r} is not a URL path (it starts with /, no query)")
    return value


class WebhookSettings(Section):
    """Tracker triggers call the daemon when an issue changes; polling stays as the safety net."""

    enabled: bool = False
    # where the daemon listens; a reverse proxy with TLS forwards public_url here
    listen: Annotated[str, AfterValidator(listen_address)] = "127.0.0.1:9465"
    path: Annotated[str, AfterValidator(_path)] = "/tracker/webhook"
    # the https URL Tracker calls (the reverse proxy's); the trigger is installed with it
    public_url: Url | None = None
    trigger_name: NonEmpty = "tracker-bridge: webhook"
    max_body_bytes: int = Field(default=16 * 1024, ge=256, le=1024 * 1024)
    rate_per_second: float = Field(default=20.0, gt=0, le=10_000)
    rate_burst: int = Field(default=200, ge=1, le=100_000)
    # polling, while webhooks are healthy (one arrived, none missed in healthy_window)
    healthy_poll_interval: Duration = timedelta(minutes=5)
    healthy_window: Duration = timedelta(hours=1)
    # a change polling found counts as missed by the webhook when no call for it came this soon
    missed_grace: Duration = timedelta(minutes=2)

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])
