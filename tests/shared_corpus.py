"""The shared conformance corpus: an optional layer on top of the project's own test data.

The corpus (190 real emails with other projects' expectations, the Bot API spec, published
production calendars) lives outside this repository: ``../shared/corpus`` beside the checkout, as
on the developers' machines and in CI, or wherever ``TRACKER_BRIDGE_SHARED`` points. Tests read it
and never edit it.

The project's own tests never need it: its mails, calendar facts and Bot API facts live in
``tests/data``. Tests that hold the code to the corpus carry the ``shared_corpus`` marker
(``needs_corpus``); on a clone with nothing beside it they are deselected and one line of the
test summary says so and how to get them (tests/conftest.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TRACKER_BRIDGE_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
AVAILABLE = CORPUS.is_dir()
HOW_TO_GET = (
    "set TRACKER_BRIDGE_SHARED=/path/to/shared or put the shared/ directory beside the checkout"
)

needs_corpus = pytest.mark.shared_corpus
"""Marks a test that reads the shared corpus: it runs only where the corpus is present."""


def corpus(*parts: str) -> Path:
    """A path inside the corpus (it may not exist: only tests marked ``needs_corpus`` read it)."""
    return CORPUS.joinpath(*parts)
