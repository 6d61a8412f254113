"""Optional parts of the install: what a command needs beyond the daemon, and how to get it.

``pip install tracker-bridge`` carries what the daemon needs and no more. ``sla-report --png``
needs matplotlib (the ``report`` extra); ``demo`` needs the local SMTP server the fakes use
(aiosmtpd, the ``demo`` extra; ``testing`` carries the same for the fakes in other projects'
tests); a PostgreSQL store (``store_url``) needs psycopg (the ``postgres`` extra). A command
that lacks its extra says which one, before it does any work.
"""

from __future__ import annotations

import importlib.util

__all__ = ["EXTRAS", "MissingExtraError", "require_extra"]

EXTRAS: dict[str, tuple[str, ...]] = {
    "report": ("matplotlib",),
    "demo": ("aiosmtpd",),
    "testing": ("aiosmtpd",),
    "postgres": ("psycopg",),
}


class MissingExtraError(RuntimeError):
    """A command needs an optional dependency that is not installed."""

    def __init__(self, what: str, extra: str, missing: str) -> None:
        super().__init__(
            f"{what} needs the [{extra}] extra ({missing} is not installed): "
            f"pip install 'tracker-bridge[{extra}]' (with the same -c constraints.txt as the "
            "rest of the install)"
        )
        self.extra = extra
        self.missing = missing


def require_extra(extra: str, what: str) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extra`` can be imported."""
    for module in EXTRAS[extra]:
        if _absent(module):
            raise MissingExtraError(what, extra, module)


def _absent(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ValueError:  # a module set to None in sys.modules: deliberately unimportable
        return True
