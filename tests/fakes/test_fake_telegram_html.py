"""FakeTelegram's parse_mode=HTML parser: text and entities as the Bot API computes them."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker_bridge.testing.fake_telegram.html import EntityParseError, parse_html, trim, utf16_len


def test_each_supported_tag_becomes_its_entity_type() -> None:
    """b/strong, i/em, u/ins, s/strike/del, spoilers, code, pre and blockquote map to entities."""
    cases = {
        "<b>x</b>": "bold",
        "<strong>x</strong>": "bold",
        "<i>x</i>": "italic",
        "<em>x</em>": "italic",
        "<u>x</u>": "underline",
        "<ins>x</ins>": "underline",
        "<s>x</s>": "strikethrough",
        "<strike>x</strike>": "strikethrough",
        "<del>x</del>": "strikethrough",
        "<tg-spoiler>x</tg-spoiler>": "spoiler",
        '<span class="tg-spoiler">x</span>': "spoiler",
        "<code>x</code>": "code",
        "<pre>x</pre>": "pre",
        "<blockquote>x</blockquote>": "blockquote",
        "<blockquote expandable>x</blockquote>": "expandable_blockquote",
    }
    for source, kind in cases.items():
        assert parse_html(source) == ("x", [{"type": kind, "offset": 0, "length": 1}]), source


def test_a_link_becomes_a_text_link_with_its_decoded_url() -> None:
    """<a href> yields text_link; character references in the attribute are decoded."""
    text, entities = parse_html('Open <a href="https://t.example/?a=1&amp;b=2">SUP-1</a>')
    assert text == "Open SUP-1"
    assert entities == [
        {"type": "text_link", "offset": 5, "length": 5, "url": "https://t.example/?a=1&b=2"}
    ]


def test_pre_with_a_language_code_block_is_one_pre_entity() -> None:
    """<pre><code class="language-x"> is a single pre entity carrying the language."""
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert text == "x = 1"
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


def test_offsets_count_utf16_code_units() -> None:
    """An emoji before a tag shifts offsets by two (a surrogate pair), Cyrillic by one."""
    text, entities = parse_html("😀 Заявка <b>принята</b>")
    assert text == "😀 Заявка принята"
    assert entities == [{"type": "bold", "offset": 10, "length": 7}]


def test_nested_tags_list_the_outer_entity_first() -> None:
    """Entities come ordered by offset, the enclosing one first when both start together."""
    _, entities = parse_html("<b><i>x</i>y</b><i>z</i>")
    assert entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 0, "length": 1},
        {"type": "italic", "offset": 2, "length": 1},
    ]


def test_character_references_are_decoded_and_unknown_ones_kept() -> None:
    """&lt; &gt; &amp; &quot; and numeric references decode; &nbsp; or a bare & stay literal."""
    text, entities = parse_html("a &lt; b &gt; c &amp; &quot;d&quot; &#1071;&#x42F; &nbsp; & e")
    assert text == 'a < b > c & "d" ЯЯ &nbsp; & e'
    assert entities == []


def test_empty_elements_give_no_entity() -> None:
    """A tag that encloses no text produces no entity (tdlib drops zero-length ones)."""
    assert parse_html("a<b></b>b") == ("ab", [])


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("Ж<br>", 'Unsupported start tag "br" at byte offset 2'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<a href="x>y', "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_invalid_markup_is_rejected_with_tdlibs_reason(source: str, reason: str) -> None:
    """Unclosed, unknown and mismatched tags fail with the text the Bot API reports."""
    with pytest.raises(EntityParseError) as error:
        parse_html(source)
    assert str(error.value) == reason


@given(st.text())
def test_escaped_text_parses_back_to_itself_without_entities(text: str) -> None:
    """Whatever text the daemon escapes with html.escape arrives unchanged and unformatted."""
    assert parse_html(html.escape(text, quote=False)) == (text, [])


@given(st.text(min_size=1), st.text())
def test_bold_span_covers_exactly_the_escaped_words(inner: str, before: str) -> None:
    """The bold entity starts after the prefix and spans the inner text, in UTF-16 units."""
    source = f"{html.escape(before)}<b>{html.escape(inner)}</b>"
    assert parse_html(source) == (
        before + inner,
        [{"type": "bold", "offset": utf16_len(before), "length": utf16_len(inner)}],
    )


def test_trim_strips_surrounding_whitespace_and_moves_entities() -> None:
    """Leading/trailing spaces and newlines go; entities shift left and are clipped to the text."""
    text, entities = parse_html("\n  <b>SUP-1 </b>готово\n<i>\n</i>")
    assert trim(text, entities) == ("SUP-1 готово", [{"type": "bold", "offset": 0, "length": 6}])


def test_trim_keeps_text_without_surrounding_whitespace() -> None:
    """A message with nothing to strip is returned as it is."""
    entities = [{"type": "bold", "offset": 0, "length": 1}]
    assert trim("x y", entities) == ("x y", entities)
