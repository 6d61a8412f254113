"""HTML body → Markdown-ish plain text (html2text), without styles, scripts or tracking pixels."""

from __future__ import annotations

import html
import re

import html2text

__all__ = ["html_to_text"]

# Outlook puts CSS in conditional comments and <style>; html2text would print some of it.
_INVISIBLE = re.compile(r"<(style|script|head|title|xml)\b|<!--|<!\[(?:if[^>]*|endif\])>", re.I)
_TAG = re.compile(r"<[^<>]*>")
_BLANK_RUN = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")
_TRAILING = re.compile(r"[ \t]+\n")
_RULE = re.compile(r"[ \t]*:?-{3,}:?[ \t]*")
_CELL_BAR = re.compile(r"\|(?![^()\s]*\))")  # a bar, but not one inside a link target
_EMPTY_LINK = re.compile(r"\[\s*\]\([^)\s]*\)")


def html_to_text(markup: str) -> str:
    """Readable text of an HTML mail body; falls back to tag stripping if the converter fails."""
    cleaned = _drop_invisible(markup)
    try:
        text = _converter().handle(cleaned)
    except Exception:  # third-party parser on hostile input: degrade, never raise
        text = html.unescape(_TAG.sub(" ", cleaned))
    return _tidy(text)


def _drop_invisible(markup: str) -> str:
    """``markup`` without styles, scripts, head and comments, in one linear pass.

    An unterminated block keeps its text (only the opening goes), and an end marker found
    missing once is not searched for again: hostile input cannot make this quadratic.
    """
    kept: list[str] = []
    missing: set[str] = set()
    position = 0
    while (found := _INVISIBLE.search(markup, position)) is not None:
        kept.append(markup[position : found.start()])
        position = _block_end(markup, found, missing)
    kept.append(markup[position:])
    return "".join(kept)


def _block_end(markup: str, found: re.Match[str], missing: set[str]) -> int:
    """Where the invisible block opened by ``found`` ends (just after it if it never does)."""
    if found.group(1):
        marker = re.compile(rf"</{found.group(1)}\s*>", re.IGNORECASE)
    elif found.group(0) == "<!--":
        marker = re.compile("-->")
    else:
        return found.end()  # <![if …]> / <![endif]>: the marker alone
    if marker.pattern in missing:
        return found.end()
    closing = marker.search(markup, found.end())
    if closing is None:
        missing.add(marker.pattern)
        return found.end()
    return closing.end()


def _converter() -> html2text.HTML2Text:
    converter = html2text.HTML2Text()
    converter.body_width = 0  # no hard wrapping: Tracker renders Markdown itself
    converter.ignore_images = True
    converter.ignore_emphasis = False
    converter.unicode_snob = True
    converter.single_line_break = False
    converter.protect_links = False
    converter.skip_internal_links = True
    return converter


def _table_row(line: str) -> str | None:
    """A converted table row without empty cells; None for a rule or empty row."""
    cells = [cell.strip() for cell in _CELL_BAR.split(line)]
    if all(not cell or _RULE.fullmatch(cell) for cell in cells):
        return None
    return " | ".join(cell for cell in cells if cell)


def _tidy(text: str) -> str:
    text = text.replace("\xa0", " ").replace("\u200b", "")
    text = _TRAILING.sub("\n", text)
    # Mail HTML uses tables for layout: drop the empty rows and rules the converter prints for
    # them, and the bar of one-cell rows. "Label| value" rows stay (R7 fields read them).
    text = _EMPTY_LINK.sub("", text)  # images wrapped in links: nothing left to click on
    rows = (
        _table_row(line) if "|" in line or _RULE.fullmatch(line) else line
        for line in text.split("\n")
    )
    text = "\n".join(row for row in rows if row is not None)
    return _BLANK_RUN.sub("\n\n", text).strip()
