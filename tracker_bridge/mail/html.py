"""HTML body → Markdown-ish plain text (html2text), without styles, scripts or tracking pixels.

Bounded for any input (issue 17): the stdlib HTML parser under html2text rescans the rest of the
document for every unterminated declaration, marked section or quote, so markup goes through a
linear pass first (:func:`_neutralise`) that leaves it only well-formed, quote-balanced tags and
escapes every other ``<``; and html2text converts only a prefix of it (:data:`CONVERTED_CHARS`,
or fewer when dense: at most :data:`CONVERTED_MARKS` tags and entities, about a quarter of a second
on this machine); the next :data:`STRIPPED_CHARS` are reduced to their text by a linear tag
strip, and what follows is not read: no support request needs more.
"""

from __future__ import annotations

import html
import itertools
import re

import html2text

__all__ = ["html_to_text"]

# Outlook puts CSS in conditional comments and <style>; html2text would print some of it.
_INVISIBLE = re.compile(
    r"<(style|script|head|title|xml)\b|<!--|<!\[(?:if[^<>]{0,500}|endif\])>", re.IGNORECASE
)
# What html2text may see: tags with a name and no "<" inside, of bounded length. A "<" opening
# anything else (a stray bracket, an unterminated tag) is text; declarations and processing
# instructions go. Each pattern is a C-level substitution: no Python call per bracket.
_NOT_A_TAG = re.compile(r"<(?![!?]|/?[A-Za-z][^<>]{0,4000}>)")
_DECLARATION = re.compile(r"<[!?][^<>]{0,4000}>")
_OPEN_DECLARATION = re.compile(r"<(?=[!?])")
_QUOTED_TAG = re.compile(r"<(/?[A-Za-z][^<>\"']{0,4000}[\"'][^<>]{0,4000})>")
# A "<" that opens no tag stands in the markup as this private-use character, plain text to the
# converter, and is put back as "<" in the text: as the entity "&lt;" each cost the converter a
# call of its own (~25 µs), and a body of stray brackets (the "<![if " bomb, broken markup) spent
# its whole conversion budget on them. A mail that holds the character itself gets the entity.
_STRAY = "\ue000"
CONVERTED_CHARS = 256 * 1024
CONVERTED_MARKS = 5_000  # tags and entities: html2text spends 15–30 µs on each
_MARK = re.compile(r"[<&]")
STRIPPED_CHARS = 512 * 1024  # markup after the converted prefix reduced to text; the rest goes
MARKUP_CHARS = 1024 * 1024  # markup read at all (styles and comments included)
_MAX_BLOCKS = 5_000  # invisible blocks removed one by one; beyond, only their openers go
_TAG = re.compile(r"<[^<>]*>")
_BLANK_RUN = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")
_RULE = re.compile(r"[ \t]*:?-{3,}:?[ \t]*")
_CELL_BAR = re.compile(r"\|(?![^()\s]{0,300}\))")  # a bar, but not one inside a link target
_EMPTY_LINK = re.compile(r"\[[ \t]{0,50}\]\([^)\s]{0,4000}\)")


def html_to_text(markup: str) -> str:
    """Readable text of an HTML mail body; falls back to tag stripping if the converter fails."""
    markup = markup[:MARKUP_CHARS]
    stray = "&lt;" if _STRAY in markup else _STRAY  # the rare mail that has it: the entity
    cleaned = _neutralise(_drop_invisible(markup), stray)
    head, rest = _split_at_tag(cleaned, _conversion_limit(cleaned))
    try:
        text = _converter().handle(head)
    except Exception:  # third-party parser on hostile input: degrade, never raise
        text = _strip_tags(head)
    if rest:
        text += "\n\n" + _strip_tags(rest[:STRIPPED_CHARS])
    return _tidy(text.replace(_STRAY, "<") if stray == _STRAY else text)


def _strip_tags(markup: str) -> str:
    """Linear fallback: the text between the tags."""
    return html.unescape(_TAG.sub(" ", markup))


def _conversion_limit(markup: str) -> int:
    """How much of ``markup`` html2text may take: :data:`CONVERTED_CHARS`, or less when the
    markup is dense with tags and entities (its cost grows with them, not with the bytes)."""
    marks = itertools.islice(_MARK.finditer(markup, 0, CONVERTED_CHARS), CONVERTED_MARKS, None)
    nth = next(marks, None)
    return CONVERTED_CHARS if nth is None else nth.start()


def _split_at_tag(markup: str, limit: int) -> tuple[str, str]:
    """``markup`` cut at the last tag start before ``limit`` (so no tag is cut in two)."""
    if len(markup) <= limit:
        return markup, ""
    cut = markup.rfind("<", limit // 2, limit)
    cut = cut if cut > 0 else limit
    return markup[:cut], markup[cut:]


def _neutralise(markup: str, stray: str = "&lt;") -> str:
    """Markup the stdlib HTML parser reads in one pass: declarations and processing
    instructions dropped, quotes balanced inside tags, every ``<`` that opens no tag replaced
    by ``stray`` (:data:`_STRAY`, put back after the conversion, or the entity)."""
    markup = _NOT_A_TAG.sub(stray, markup)
    markup = _OPEN_DECLARATION.sub(stray, _DECLARATION.sub("", markup))
    return _QUOTED_TAG.sub(_balanced_quotes, markup)


def _balanced_quotes(found: re.Match[str]) -> str:
    """A tag whose quotes do not pair up loses them: the parser would look for the closing
    quote through the rest of the document."""
    inside = found.group(1)
    if inside.count('"') % 2 or inside.count("'") % 2:
        inside = inside.replace('"', "").replace("'", "")
    return f"<{inside}>"


def _drop_invisible(markup: str) -> str:
    """``markup`` without styles, scripts, head and comments, in one linear pass.

    An unterminated block keeps its text (only the opening goes), and an end marker found
    missing once is not searched for again: hostile input cannot make this quadratic.
    """
    kept: list[str] = []
    missing: set[str] = set()
    position = 0
    for _ in range(_MAX_BLOCKS):  # a Python step per block: bounded, the rest in one C pass
        found = _INVISIBLE.search(markup, position)
        if found is None:
            break
        kept.append(markup[position : found.start()])
        position = _block_end(markup, found, missing)
    kept.append(_INVISIBLE.sub("", markup[position:]))
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
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))  # linear, unlike a regex
    # Mail HTML uses tables for layout: drop the empty rows and rules the converter prints for
    # them, and the bar of one-cell rows. "Label| value" rows stay (R7 fields read them).
    text = _EMPTY_LINK.sub("", text)  # images wrapped in links: nothing left to click on
    rows = (
        _table_row(line) if "|" in line or _RULE.fullmatch(line) else line
        for line in text.split("\n")
    )
    text = "\n".join(row for row in rows if row is not None)
    return _BLANK_RUN.sub("\n\n", text).strip()
