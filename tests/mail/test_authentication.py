"""Authentication-Results → was the sender's domain authenticated? (issue 17, R15's guard)"""

from __future__ import annotations

import pytest

from tests.mail.build import message
from tracker_bridge.mail.authentication import organisational_domain, sender_verified
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
        ("mx.vendor.example; dmarc=pass header.from=evil.example", False),  # not our From:
        (None, None),
    ],
)
def test_a_pass_counts_only_for_the_senders_domain(
    results: str | None, verified: bool | None
) -> None:
    assert sender_verified(results, SENDER) is verified


@pytest.mark.parametrize(
    ("sender", "passed_for", "verified"),
    [
        # registries that sell names one level down: the last two labels are a public suffix
        ("chief@clinic.co.uk", "other.co.uk", False),
        ("chief@clinic.co.uk", "mail.clinic.co.uk", True),
        ("chief@clinic.spb.ru", "attacker.spb.ru", False),
        ("chief@clinic.spb.ru", "mx.clinic.spb.ru", True),
        ("chief@clinic.msk.ru", "msk.ru", False),
        ("support@clinic.github.io", "evil.github.io", False),  # a private suffix too
        # an ordinary two-label organisational domain still aligns with its subdomains
        ("chief@mail.clinic.ru", "clinic.ru", True),
        ("chief@clinic.ru", "dkim.clinic.ru", True),
        ("chief@clinic.ru", "clinic.com", False),
    ],
)
def test_alignment_follows_the_public_suffix_list(
    sender: str, passed_for: str, verified: bool
) -> None:
    """Relaxed alignment (RFC 7489 §3.1) over organisational domains found with the Public
    Suffix List (§3.2): a DKIM or SPF pass for another customer of the same registry (two
    labels alike: ``co.uk``, ``spb.ru``) vouches for nobody but itself."""
    dkim = f"mx.vendor.example; dkim=pass header.d={passed_for}"
    spf = f"mx.vendor.example; spf=pass smtp.mailfrom=bounce@{passed_for}"
    assert sender_verified(dkim, sender) is verified
    assert sender_verified(spf, sender) is verified


def test_the_suffix_list_is_read_from_the_installed_package_offline() -> None:
    """The list ships with the package (no fetch at run time): it knows registries the old
    two-label guess got wrong."""
    assert organisational_domain("mail.clinic.co.uk") == "clinic.co.uk"
    assert organisational_domain("a.b.spb.ru") == "b.spb.ru"
    assert organisational_domain("co.uk") is None
    assert organisational_domain("MX.Clinic1.Example.") == "clinic1.example"


def test_only_the_topmost_header_is_read_the_one_our_server_added() -> None:
    """A sender can write its own Authentication-Results below ours: they are not read."""
    forged = (
        b"Authentication-Results: mx.vendor.example; dkim=fail header.d=clinic1.example\r\n"
        b"Authentication-Results: forged; dmarc=pass header.from=clinic1.example\r\n"
    )
    assert parse_message(forged + message("x", From=SENDER)).sender_verified is False
    assert parse_message(message("x", From=SENDER)).sender_verified is None
