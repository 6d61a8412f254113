"""Proof that the Bot API answers: an HTTP transport that reports each successful exchange.

python-telegram-bot polls ``getUpdates`` in its own task and retries failures itself, so the
daemon cannot see a "pass" of the Telegram loop the way it sees its own loops. The transport can:
every answer with a 2xx status is a successful exchange, and one to ``getUpdates`` is a
successful poll (``/healthz``'s ``telegram`` loop); any other is a successful call (the
``telegram`` last-success metric).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram.request import HTTPXRequest

__all__ = ["ContactRequest", "OnContact"]

# told True for a successful getUpdates (a poll), False for any other successful call
OnContact = Callable[[bool], None]


class ContactRequest(HTTPXRequest):
    """PTB's own HTTPX transport, telling ``on_contact`` of every 2xx answer."""

    def __init__(self, on_contact: OnContact, **options: Any) -> None:
        super().__init__(**options)
        self._on_contact = on_contact

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        status, payload = await super().do_request(url, method, *args, **kwargs)
        if 200 <= status < 300:
            self._on_contact(url.rstrip("/").endswith("/getUpdates"))
        return status, payload
