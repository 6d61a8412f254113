"""HTML bodies become readable Markdown-ish text without styles, scripts or comments."""

from __future__ import annotations

import re

from tracker_bridge.mail.html import html_to_text


def test_styles_scripts_head_and_comments_are_dropped() -> None:
    """Only visible text remains; Outlook's CSS and conditional comments do not leak."""
    markup = (
        "<html><head><title>t</title><style>p {color:red}</style></head><body>"
        "<!--[if gte mso 9]><xml>junk</xml><![endif]--><script>alert(1)</script>"
        "<p>Добрый день!</p><p>Не <b>печатается</b> выписка.</p></body></html>"
    )
    text = html_to_text(markup)
    assert text == "Добрый день!\n\nНе **печатается** выписка."


def test_links_tables_and_entities() -> None:
    """Links keep their target, table cells are separated by bars, entities are decoded."""
    markup = (
        '<p>См. <a href="https://tracker.example/SUP-42">заявку</a> &laquo;SUP-42&raquo;&nbsp;!</p>'
        "<table><tr><td>Логин</td><td>ivanova</td></tr></table>"
    )
    text = html_to_text(markup)
    assert "[заявку](https://tracker.example/SUP-42)" in text
    assert "«SUP-42» !" in text
    assert re.search(r"^Логин\s*\|\s*ivanova$", text, re.MULTILINE)


def test_long_lines_are_not_wrapped() -> None:
    """A long paragraph stays one line (Tracker wraps Markdown itself)."""
    words = " ".join(["слово"] * 100)
    assert html_to_text(f"<p>{words}</p>") == words


def test_broken_markup_does_not_raise() -> None:
    """Unclosed and stray tags still give text."""
    assert "text" in html_to_text("<div><p>text<table><td>x</div></b></i><")


def test_layout_tables_leave_no_bars_or_rules() -> None:
    """Empty cells, rule rows and one-cell layout rows do not leave "|" and "---" noise."""
    markup = (
        "<table><tr><td></td><td></td></tr></table>"
        "<table><tr><td><table><tr><td>Текст письма</td></tr></table></td></tr></table>"
        "<table><tr><td>Логин</td><td></td><td>ivanova</td></tr></table>"
    )
    assert html_to_text(markup) == "Текст письма\nЛогин | ivanova"


def test_image_links_without_text_are_dropped() -> None:
    """A linked image leaves no empty "[](url)" behind; a bar inside a URL is kept."""
    markup = '<p><a href="https://x.example/a"><img src="cid:1"></a> <a href="https://x.example/?a|b">ok</a></p>'
    assert html_to_text(markup) == "[ok](https://x.example/?a|b)"


def test_stray_brackets_come_out_as_brackets() -> None:
    """A "<" that opens no tag is text: it reads as "<" whatever surrounds it, and a mail that
    holds the stand-in character itself (U+E000) keeps it."""
    assert html_to_text("<p>a < b, <![if x и 3<4</p>") == "a < b, <![if x и 3<4"
    assert html_to_text("<p>\ue000 и a < b</p>") == "\ue000 и a < b"


def test_stray_brackets_do_not_spend_the_conversion_budget() -> None:
    """Issue 17.1, the fuzz p99: stray brackets (the "<![if " bomb, broken markup) are plain
    text to the converter, not one entity each, so the markup after thousands of them is still
    converted (formatting kept) — and cheaply."""
    markup = "<p>" + "x < y " * 6_000 + "</p><p><b>Итог</b>: не печатается</p>"
    text = html_to_text(markup)
    assert text.endswith("x < y\n\n**Итог** : не печатается")  # before: "…x < y    Итог : …"
