"""The comment marker: found again, invisible in Markdown, safe for any Message-ID."""

from __future__ import annotations

from tracker_bridge.tracker.markers import find_marker, marker_id, strip_marker, with_marker


def test_marker_round_trip() -> None:
    """The marker written for a source id is found again with its kind."""
    text = with_marker("Ответ клиента", "<abc@clinic.ru>", "customer")
    assert find_marker(text) == ("customer", marker_id("<abc@clinic.ru>"))
    assert strip_marker(text) == "Ответ клиента"


def test_marker_is_a_trailing_html_comment_without_the_raw_id() -> None:
    """A Message-ID with '--' and '>' cannot end the HTML comment early: only a hash goes in."""
    text = with_marker("x", "<a--b>c@d>", "bridge")
    tail = text.splitlines()[-1]
    assert tail.startswith("<!-- tracker-bridge:bridge:")
    assert tail.endswith(" -->")
    assert tail.count("--") == 2
    assert "a--b" not in text


def test_text_without_a_marker_has_none() -> None:
    """A support comment, even one quoting HTML comments, has no marker."""
    assert find_marker("Добрый день <!-- not ours --> ok") is None
    assert strip_marker("plain") == "plain"


def test_marker_ids_differ_per_source() -> None:
    """Two mails give two markers; the same mail always the same one."""
    assert marker_id("<1@x>") != marker_id("<2@x>")
    assert marker_id("<1@x>") == marker_id("<1@x>")
