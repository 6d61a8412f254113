"""Where the shared, read-only test corpus lives.

The corpus (../shared/corpus beside the checkout, as on the developers' machines and in CI) is
data written by others; tests read it and never edit it. ``TRACKER_BRIDGE_SHARED`` points
elsewhere when the checkout lives somewhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TRACKER_BRIDGE_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"


def corpus(*parts: str) -> Path:
    """A path inside the corpus; fails loudly when the corpus is missing."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the shared corpus must sit beside the checkout "
            "(or set TRACKER_BRIDGE_SHARED)"
        )
    return path
