"""The one context-manager half of every part that is closed after use.

Stores, locks, the metrics server and the test doubles all say ``with thing:`` the same way:
:class:`Closing` closes on leaving the block; :class:`Started` also starts on entering it, and a
start that fails half-way still closes what it made; :class:`StartStop` is the same for the
parts whose word for closing is ``stop`` (servers).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

__all__ = ["Closing", "StartStop", "Started"]


class Closing:
    """Subclasses give ``close()``; this gives ``with`` (leaving the block closes)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()


class Started(Closing):
    """Subclasses give ``start()`` and ``close()``; entering the block starts."""

    def start(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self


class StartStop(Started):
    """Subclasses give ``start()`` and ``stop()``: a server's ``close`` is its ``stop``."""

    def stop(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.stop()
