"""The mirror as the effects' ``TelegramPort``: Telegram errors become effect errors.

:mod:`tracker_bridge.service.effects` retries a batch on ``TransientEffectError`` and settles an
action
for good on ``PermanentEffectError``; a 403 (:class:`~.errors.ChatUnavailable`) is permanent, so
a kicked bot costs one failed journal entry per action, never a retry loop.
"""

from __future__ import annotations

from collections.abc import Awaitable

from tracker_bridge.regulation.actions import TelegramAlert, TelegramCard
from tracker_bridge.regulation.digest import TelegramDigest
from tracker_bridge.service.effects import PermanentEffectError, TransientEffectError
from tracker_bridge.telegram.errors import TelegramPermanent, TelegramTransient
from tracker_bridge.telegram.mirror import TelegramMirror

__all__ = ["EffectsPort"]


class EffectsPort:
    """``effects.TelegramPort`` over a :class:`TelegramMirror`."""

    def __init__(self, mirror: TelegramMirror) -> None:
        self._mirror = mirror

    async def card(self, a: TelegramCard) -> None:
        await _mapped(self._mirror.card(a))

    async def alert(self, a: TelegramAlert) -> None:
        await _mapped(self._mirror.alert(a))

    async def digest(self, a: TelegramDigest) -> None:
        await _mapped(self._mirror.digest(a))


async def _mapped(call: Awaitable[None]) -> None:
    try:
        await call
    except TelegramTransient as error:
        raise TransientEffectError(str(error)) from error
    except TelegramPermanent as error:
        raise PermanentEffectError(str(error)) from error
