"""The work behind each ``tracker-bridge`` subcommand; :mod:`tracker_bridge.cli` only parses.

One module per command (``run``, ``check``, ``explain``, ``sla_report``, ``quarantine``,
``replay``), each with a ``main(args) -> int``; :mod:`.common` holds what several share (the
config path, ``now``, a read-only issue reader, time formatting, progress on stderr).
"""
