"""Addresses, Message-IDs and dates, including the malformed ones clients produce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tracker_bridge.mail.envelope import addresses, message_ids, parse_date, synthetic_message_id


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Ivan <Ivan@Clinic1.Example>", [("Ivan", "ivan@clinic1.example")]),
        ('"Петров, Иван" <p@x.ru>, q@x.ru', [("Петров, Иван", "p@x.ru"), ("", "q@x.ru")]),
        ("=?utf-8?B?0JjQstCw0L0=?= <i@x.ru>", [("Иван", "i@x.ru")]),
        ("alice@example.com <bob@example.com>", [("alice@example.com", "bob@example.com")]),
        ("<power quadrant@example.com>", [("", "powerquadrant@example.com")]),
        ("Test test@example.com", [("Test", "test@example.com")]),
        ('"Empty" <>, "LTD" <ly@example.com>', [("LTD", "ly@example.com")]),
        ("undisclosed-recipients:;", []),
        ("", []),
    ],
)
def test_address_lists(header: str, expected: list[tuple[str, str]]) -> None:
    """Names decode, addresses are lower-cased, broken forms are repaired, empty ones dropped."""
    assert addresses([header]) == expected


@pytest.mark.parametrize(
    ("header", "ids"),
    [
        ("<a@b>", ["a@b"]),
        ("  < a@b >  ", ["a@b"]),
        ("<a@b> <c@d>\r\n <e@f>", ["a@b", "c@d", "e@f"]),
        ("a@b (comment)", ["a@b"]),
        ("", []),
        (None, []),
    ],
)
def test_message_ids(header: str | None, ids: list[str]) -> None:
    """Ids lose their angle brackets; bare ids are accepted."""
    assert message_ids(header) == ids


def test_synthetic_id_is_stable_and_distinct() -> None:
    """The same bytes give the same synthetic id; other bytes another one."""
    assert synthetic_message_id(b"x") == synthetic_message_id(b"x")
    assert synthetic_message_id(b"x") != synthetic_message_id(b"y")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "Wed, 01 Jan 2025 10:00:00 +0300",
            datetime(2025, 1, 1, 10, tzinfo=timezone(timedelta(hours=3))),
        ),
        ("1 Jan 2025 07:00:00 GMT", datetime(2025, 1, 1, 7, tzinfo=UTC)),
        (
            "Wed, 1 Jan 2025 10:00:00 +0300 (MSK)",
            datetime(2025, 1, 1, 10, tzinfo=timezone(timedelta(hours=3))),
        ),
        ("Wed, 1 Jan 2025 07:00:00 -0000", datetime(2025, 1, 1, 7, tzinfo=UTC)),
    ],
)
def test_dates_are_aware(header: str, expected: datetime) -> None:
    """Dates keep their offset; "-0000" and zone names count as UTC."""
    parsed, note = parse_date(header)
    assert note is None
    assert parsed == expected and parsed is not None and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("header", "note"),
    [("yesterday", "unparseable Date"), ("Mon, 30 Jun 3609 15:33:50 +0600", "unparseable Date"),
     (None, "missing Date"), ("  ", "missing Date")],
)  # fmt: skip
def test_bad_dates_are_defects(header: str | None, note: str) -> None:
    """Nonsense or missing dates give None and a defect, never an exception."""
    assert parse_date(header) == (None, note)


def test_synthetic_id_ignores_relay_trace_headers() -> None:
    """One id-less mail delivered to two mailboxes gets one synthetic id (no duplicate issue)."""
    body = (
        b"From: a@b\r\nTo: c@d\r\nSubject: x\r\nDate: Wed, 1 Jan 2025 10:00:00 +0300\r\n\r\nhi\r\n"
    )
    first = b"Received: from mx1\r\nDelivered-To: one@clinic\r\n" + body
    second = b"Return-Path: <a@b>\r\nReceived: from mx2\r\nDelivered-To: two@clinic\r\n" + body
    assert synthetic_message_id(first) == synthetic_message_id(second)
    assert synthetic_message_id(first) != synthetic_message_id(first.replace(b"hi", b"ho"))
    assert synthetic_message_id(first) != synthetic_message_id(first.replace(b"x\r\n", b"y\r\n"))


def test_synthetic_ids_of_headerless_junk_differ() -> None:
    """Bytes without a header block are hashed whole, so two junk inputs never collide."""
    assert synthetic_message_id(b"junk one") != synthetic_message_id(b"junk two")


def test_comments_beside_a_name_are_dropped_but_quoted_parentheses_kept() -> None:
    """ "MAILER-DAEMON (Mail Delivery System) <x>" names MAILER-DAEMON; quoted text stays whole."""
    assert addresses(["MAILER-DAEMON (Mail Delivery System) <postmaster@example.com>"]) == [
        ("MAILER-DAEMON", "postmaster@example.com")
    ]
    assert addresses(['"Иванова (регистратура)" <i@clinic1.example>']) == [
        ("Иванова (регистратура)", "i@clinic1.example")
    ]
    assert addresses(["marc@example.com (Marc Smith)"]) == [("Marc Smith", "marc@example.com")]
