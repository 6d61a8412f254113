"""The ``tracker-bridge`` command line: :mod:`.entry` parses, a command module works.

One module per command (``run``, ``check``, ``explain``, ``sla_report``, ``quarantine``,
``replay``, ``backup``, ``webhook``, ...), each with a ``main(args) -> int``, imported only when
that command runs; :mod:`.common` holds what several share (the config path, ``now``, a read-only
issue reader, time formatting, progress on stderr).
"""

from tracker_bridge.cli.entry import build_parser, main

__all__ = ["build_parser", "main"]
