"""Authentication-Results → was the sender's domain authenticated? (issue 17, R15's guard)"""

from __future__ import annotations

import pytest

from tests.mail.build import message
from tracker_bridge.mail.authentication import sender_verified
from tracker_bridge.mail.parse import parse_message

SENDER = "chief@clinic1.example"


@pytest.mark.parametrize(
    ("results", "verified"),
    [
        ("mx.vendor.example; dkim=pass header.d=clinic1.example", True),
        ("mx.vendor.example; spf=pass smtp.mailfrom=chief@clinic1.example", True),
        ("mx.vendor.example; dmarc=pass header.from=clinic1.example", True),
        ("mx.vendor.example; dkim=pass header.d=mail.clinic1.example", True),  # relaxed
        ("mx.vendor.example; dkim=pass header.d=example", False),  # a bare suffix never
        ("mx.vendor.example; dkim=pass header.d=evil.example; spf=softfail", False),
        ("mx.vendor.example; dkim=fail header.d=clinic1.example; spf=none", False),
        ("mx.vendor.example; none", False),
        (None, None),
    ],
)
def test_a_pass_counts_only_for_the_senders_domain(
    results: str | None, verified: bool | None
) -> None:
    assert sender_verified(results, SENDER) is verified


def test_only_the_topmost_header_is_read_the_one_our_server_added() -> None:
    """A sender can write its own Authentication-Results below ours: they are not read."""
    forged = (
        b"Authentication-Results: mx.vendor.example; dkim=fail header.d=clinic1.example\r\n"
        b"Authentication-Results: forged; dmarc=pass header.from=clinic1.example\r\n"
    )
    assert parse_message(forged + message("x", From=SENDER)).sender_verified is False
    assert parse_message(message("x", From=SENDER)).sender_verified is None
