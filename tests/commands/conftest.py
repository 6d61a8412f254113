"""A private Dovecot for the command tests that read a real mailbox (one per module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mail.conftest import start_dovecot
from tracker_bridge.testing.dovecot import Dovecot


@pytest.fixture(scope="module", name="dovecot")
def fixture_dovecot() -> Iterator[Dovecot]:
    dc = start_dovecot()
    yield dc
    dc.close()
