"""The configuration of a bridge wired to the loopback fakes: the demo's and the e2e harness's.

Tracker and Telegram are the fakes over HTTP, SMTP the local capture, mail a Maildir under
``root`` and the store a SQLite file beside it; one clinic, which the caller describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

__all__ = ["loopback_config"]


def loopback_config(
    root: Path,
    tracker: FakeTracker,
    smtp: SmtpCapture,
    telegram: FakeTelegram | None,
    *,
    customer: Mapping[str, Any],
    from_address: str,
    bot_token: str,
    users: Mapping[int, str],
) -> dict[str, Any]:
    """The raw settings (what a TOML file would hold), for ``Settings.model_validate``;
    Telegram only with a ``telegram`` fake, its ``users`` mapped to Tracker logins."""
    data: dict[str, Any] = {
        "tracker_token": tracker.token,
        "tracker": {"org_id": tracker.org_id, "base_url": tracker.url},
        "mail": {"source": str(root / "Maildir")},
        "smtp": {
            "host": smtp.host,
            "port": smtp.port,
            "security": "none",
            "from_address": from_address,
        },
        "customers": [dict(customer)],
        "store_path": str(root / "state.sqlite3"),
    }
    if telegram is not None:
        data["telegram_bot_token"] = bot_token
        data["telegram"] = {
            "enabled": True,
            "base_url": telegram.url + "/bot",
            "users": dict(users),
        }
    return data
