"""Where the daemon keeps its state, and whether it can: one answer for ``run`` and ``check``.

Under the shipped unit, systemd creates the state directory (``StateDirectory=tracker-bridge``:
``/var/lib/tracker-bridge``, owned by the unit's transient user) at the service's start, and
hands it over in ``$STATE_DIRECTORY``; before the first start it does not exist. So ``check``
(run as root before ``systemctl start``) says who will create it rather than failing, and never
creates it itself (a directory made by root would not be the transient user's). ``run`` outside
systemd creates a missing directory (0700), as SQLite creates a missing database file.

A directory that cannot be created or written is a problem of the host's setup, which a restart
cannot fix: ``run`` reports it in one line naming the path and exits 78 (``EX_CONFIG``), so
systemd does not restart it into the same error.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "SYSTEMD_STATE_DIRECTORY",
    "StateLocationError",
    "maildir_problem",
    "prepare_state_dir",
    "state_dir_report",
]

SYSTEMD_STATE_DIRECTORY = Path("/var/lib/tracker-bridge")


class StateLocationError(Exception):
    """The store's directory cannot be created or written; the message is one line."""


def prepare_state_dir(store_path: Path) -> None:
    """Make sure the daemon can keep its store at ``store_path`` (creating a missing directory)."""
    directory = store_path.parent
    if not directory.exists():
        try:
            directory.mkdir(mode=0o700, parents=True)
        except OSError as exc:
            raise StateLocationError(
                f"the state directory {directory} does not exist and cannot be created "
                f"({exc.strerror}); create it, writable by the user running tracker-bridge, "
                "or point store_path elsewhere"
            ) from exc
    problem = _unwritable(store_path)
    if problem is not None:
        raise StateLocationError(problem)


def state_dir_report(store_path: Path) -> tuple[bool, str, str]:
    """For ``check``: (ok, what, how to fix) about the store's directory, creating nothing."""
    directory = store_path.parent
    if directory.exists():
        problem = _unwritable(store_path)
        if problem is None:
            return True, f"state directory {directory} is writable", ""
        return False, problem, "make it writable by the user running tracker-bridge"
    if directory == SYSTEMD_STATE_DIRECTORY:
        return (
            True,
            (
                f"state directory {directory} does not exist yet: systemd creates it at the first "
                "start (StateDirectory=tracker-bridge in the unit), and the daemon its database"
            ),
            "",
        )
    ancestor = _existing_ancestor(directory)
    if os.access(ancestor, os.W_OK | os.X_OK):
        return (
            True,
            (
                f"state directory {directory} does not exist yet: `tracker-bridge run` creates it "
                "(mode 0700)"
            ),
            "",
        )
    return (
        False,
        (f"state directory {directory} does not exist, and {ancestor} is not writable"),
        "create it, writable by the user running tracker-bridge, or point store_path elsewhere",
    )


def maildir_problem(maildir: Path) -> str | None:
    """Why the daemon could not settle mail in ``maildir`` (None: it can).

    Settling renames a message from ``new/`` or ``cur/`` into a folder's ``cur/``
    (``.Processed``, ``.Quarantine``, created on first use), so the Maildir and everything in
    it must be writable by the daemon. Under the shipped unit (``ProtectSystem=strict``) it is
    read-only until a drop-in names it in ``ReadWritePaths=``.
    """
    places = [maildir, *(maildir / sub for sub in ("new", "cur", "tmp"))]
    places += [d for d in maildir.glob(".*") if d.is_dir()]
    for place in places:
        if place.is_dir() and not os.access(place, os.W_OK | os.X_OK):
            return (
                f"the Maildir {maildir} is not writable ({place}): the daemon moves handled mail "
                "within it; under the shipped unit name it in ReadWritePaths= (docs/operations.md,"
                " 'A Maildir source')"
            )
    return None


def _unwritable(store_path: Path) -> str | None:
    directory = store_path.parent
    if not directory.is_dir():
        return f"the state directory {directory} is not a directory"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"the state directory {directory} is not writable by uid {os.geteuid()}"
    for path in (store_path, store_path.with_name(store_path.name + "-wal")):
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            return f"the store {path} is not readable and writable by uid {os.geteuid()}"
    return None


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
