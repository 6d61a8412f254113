"""``python -m tracker_bridge`` is the ``tracker-bridge`` command."""

from tracker_bridge.cli import main

raise SystemExit(main())
