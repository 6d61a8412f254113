"""The configuration of a bridge wired to the loopback fakes, for the demo, the tests and the
benchmarks, and the same as a TOML file for a daemon started as a process.

Tracker and Telegram are the fakes over HTTP, SMTP the local capture, mail a Maildir under
``root`` and the store a SQLite file beside it; one clinic, which the caller describes.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracker_bridge.testing.fake_telegram import FakeTelegram
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

__all__ = ["loopback_config", "toml_text"]


def loopback_config(
    root: Path,
    tracker: FakeTracker,
    smtp: SmtpCapture,
    telegram: FakeTelegram | None,
    *,
    customer: Mapping[str, Any],
    from_address: str,
    bot_token: str = "",
    users: Mapping[int, str] | None = None,
    webhook_port: int | None = None,
    webhook_secret: str = "",
) -> dict[str, Any]:
    """The raw settings (what a TOML file would hold), for ``Settings.model_validate``;
    Telegram only with a ``telegram`` fake, its ``users`` mapped to Tracker logins; Tracker's
    webhooks only with a ``webhook_port`` on loopback."""
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
            "users": dict(users or {}),
        }
    if webhook_port is not None:
        data["webhook_secret"] = webhook_secret
        data["webhook"] = {
            "enabled": True,
            "listen": f"127.0.0.1:{webhook_port}",
            "public_url": f"http://127.0.0.1:{webhook_port}/tracker/webhook",
        }
    return data


def toml_text(data: Mapping[str, Any]) -> str:
    """``data`` as a TOML file: strings, numbers, booleans, lists and small inline tables of
    those, tables of them and arrays of such tables (what a configuration holds)."""
    top = [f"{k} = {_value(v)}" for k, v in data.items() if not _is_table(v)]
    lines = [*top, ""]
    for name, value in data.items():
        if isinstance(value, Mapping):
            lines += [f"[{name}]", *(f"{k} = {_value(v)}" for k, v in value.items()), ""]
        elif _is_table(value):
            for row in value:
                lines += [f"[[{name}]]", *(f"{k} = {_value(v)}" for k, v in row.items()), ""]
    text = "\n".join(lines)
    tomllib.loads(text)  # fail here, not in the daemon, if a value did not survive
    return text


def _is_table(value: object) -> bool:
    return isinstance(value, Mapping) or (
        isinstance(value, list) and bool(value) and isinstance(value[0], Mapping)
    )


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    return str(value)
