"""Telegram's ``parse_mode=HTML``: markup → plain text + ``MessageEntity`` dicts.

Follows tdlib's ``parse_html`` (what the Bot API runs): the supported tags, the four named
character references plus numeric ones, and its error texts. Offsets and lengths are in UTF-16
code units, as in the Bot API; error positions are UTF-8 byte offsets, as tdlib reports them.
A bare ``&`` that starts no known reference stays literal, like in tdlib.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EntityParseError", "parse_html", "trim", "utf16_len"]

_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MAX_REF_LEN = 10
_SPACES = " \t\r\n\v\x00"  # what tdlib's is_space trims around a message


class EntityParseError(ValueError):
    """The markup is not valid Telegram HTML; ``str(error)`` is tdlib's reason."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: how the Bot API counts offsets and message length."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    start: int  # UTF-16 offset in the output
    attrs: dict[str, str]
    seq: int  # opening order: the outer of two equal spans comes first


@dataclass
class _Parser:
    source: str
    pos: int = 0
    out: list[str] = field(default_factory=list)
    out_len: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    opened: int = 0

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "&":
                self._reference()
            elif char == "<":
                self._tag()
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            tag = self.stack[-1].tag
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        # Outer entities first when they start together: the order the Bot API returns.
        ordered = sorted(self.entities, key=lambda e: (e[1]["offset"], -e[1]["length"], e[0]))
        return "".join(self.out), [entity for _, entity in ordered]

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.out_len += utf16_len(text)

    def _byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def _reference(self) -> None:
        end = self.source.find(";", self.pos + 1, self.pos + 2 + _MAX_REF_LEN)
        decoded = _decode_reference(self.source[self.pos + 1 : end]) if end > 0 else None
        if decoded is None:
            self._emit("&")
            self.pos += 1
        else:
            self._emit(decoded)
            self.pos = end + 1

    def _tag(self) -> None:
        begin = self.pos
        if self.source.startswith("</", begin):
            self._end_tag(begin)
        else:
            self._start_tag(begin)

    def _start_tag(self, begin: int) -> None:
        index = begin + 1
        while index < len(self.source) and not self.source[index].isspace():
            if self.source[index] == ">":
                break
            index += 1
        if index >= len(self.source):
            raise EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        tag = self.source[begin + 1 : index].lower()
        if tag not in _TAG_TYPES:
            where = self._byte_offset(begin)
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {where}')
        attrs, self.pos = _attributes(self.source, index, lambda: self._byte_offset(begin))
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            where = self._byte_offset(begin)
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {where}'
            )
        self.opened += 1
        self.stack.append(_Open(tag, self.out_len, attrs, self.opened))

    def _end_tag(self, begin: int) -> None:
        close = self.source.find(">", begin)
        if close < 0:
            raise EntityParseError(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        tag = self.source[begin + 2 : close].strip().lower()
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        top = self.stack[-1].tag
        if tag != top:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{top}>", found "</{tag}>"'
            )
        self._close(self.stack.pop())
        self.pos = close + 1

    def _close(self, opened: _Open) -> None:
        length = self.out_len - opened.start
        if opened.tag == "code" and self._merge_language_into_pre(opened):
            return
        entity = _entity(opened, length)
        if length > 0 and entity is not None:
            self.entities.append((opened.seq, entity))

    def _merge_language_into_pre(self, code: _Open) -> bool:
        # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
        language = code.attrs.get("class", "").removeprefix("language-")
        parent = self.stack[-1] if self.stack else None
        if not language or parent is None or parent.tag != "pre" or parent.start != code.start:
            return False
        parent.attrs["language"] = language
        return True


def _entity(opened: _Open, length: int) -> dict[str, Any] | None:
    kind = _TAG_TYPES[opened.tag]
    entity: dict[str, Any] = {"type": kind, "offset": opened.start, "length": length}
    if opened.tag == "blockquote" and "expandable" in opened.attrs:
        entity["type"] = "expandable_blockquote"
    if kind == "text_link":
        if not opened.attrs.get("href"):
            return None
        entity["url"] = opened.attrs["href"]
    if kind == "pre" and opened.attrs.get("language"):
        entity["language"] = opened.attrs["language"]
    if kind == "custom_emoji":
        entity["custom_emoji_id"] = opened.attrs.get("emoji-id", "")
    return entity


def _attributes(source: str, index: int, where: Callable[[], int]) -> tuple[dict[str, str], int]:
    """Parse ``name="value"`` pairs up to ``>``; returns them and the index after ``>``."""
    attrs: dict[str, str] = {}
    while True:
        while index < len(source) and source[index].isspace():
            index += 1
        if index >= len(source):
            raise EntityParseError(f"Unclosed start tag at byte offset {where()}")
        if source[index] == ">":
            return attrs, index + 1
        name_end = index
        while name_end < len(source) and source[name_end] not in "= \t\r\n>":
            name_end += 1
        name = source[index:name_end].lower()
        value, index = _attribute_value(source, name_end, where)
        attrs[name] = value


def _attribute_value(source: str, index: int, where: Callable[[], int]) -> tuple[str, int]:
    if index >= len(source) or source[index] != "=":
        return "", index  # a bare attribute, like <blockquote expandable>
    index += 1
    if index < len(source) and source[index] in "\"'":
        quote = source[index]
        end = source.find(quote, index + 1)
        if end < 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {where()}")
        return _decode_text(source[index + 1 : end]), end + 1
    end = index
    while end < len(source) and not source[end].isspace() and source[end] != ">":
        end += 1
    return _decode_text(source[index:end]), end


def _decode_text(text: str) -> str:
    parts: list[str] = []
    index = 0
    while (amp := text.find("&", index)) >= 0:
        end = text.find(";", amp + 1, amp + 2 + _MAX_REF_LEN)
        decoded = _decode_reference(text[amp + 1 : end]) if end > 0 else None
        parts += [text[index:amp], decoded if decoded is not None else "&"]
        index = amp + 1 if decoded is None else end + 1
    return "".join([*parts, text[index:]])


def _decode_reference(name: str) -> str | None:
    if name in _NAMED_REFS:
        return _NAMED_REFS[name]
    digits, base = (name[2:], 16) if name[:2] in ("#x", "#X") else (name[1:], 10)
    if not name.startswith("#") or not digits:
        return None
    try:
        code = int(digits, base)
    except ValueError:
        return None
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else None


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """``(text, entities)`` for ``source``; raises :class:`EntityParseError` like the Bot API."""
    return _Parser(source).run()


def trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace as Telegram does, shifting and clipping the entities."""
    stripped = text.strip(_SPACES)
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip(_SPACES))])
    end = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append(entity | {"offset": start, "length": stop - start})
    return stripped, kept
