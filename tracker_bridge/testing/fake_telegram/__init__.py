"""A fake Telegram Bot API over real HTTP, for tests and the demo.

``state`` (chats, messages, updates), ``server`` (one request: token, faults, limits, log),
``methods``/``updates`` (the API methods), ``html`` (parse_mode=HTML), ``api`` (declared
parameters), ``http`` (body formats), ``faults`` (fail_next, flood control).
"""

from tracker_bridge.testing.fake_telegram.fake import (
    ApiCall,
    CallbackAnswer,
    FakeChat,
    FakeMessage,
    FakeTelegram,
    FakeUser,
)

__all__ = ["ApiCall", "CallbackAnswer", "FakeChat", "FakeMessage", "FakeTelegram", "FakeUser"]
