"""The context-manager half every private server of the tests shares (Dovecot, PostgreSQL).

``with Server(...) as s`` starts it; a start that fails half-way still cleans up what it made,
and leaving the block closes it (stop and remove its temp dir).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

__all__ = ["StartedServer"]


class StartedServer:
    """Subclasses give ``start()`` and ``close()``; this gives ``with``."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()
