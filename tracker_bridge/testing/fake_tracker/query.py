"""A parser for the subset of Tracker's query language the bridge sends (docs
user/query-filter.md; TRACKER-API.md §4; the list is in docs/tracker.md).

Supported: ``Field: v1, "v 2"``, comparisons ``> >= < <=``, ranges ``a..b``, AND (a space or
``AND``), ``OR``, parentheses, and ``"Sort by": F ASC, G DESC`` at the end. Anything else
(functions such as ``now()``, negation) is a 400, so a query the bridge starts to send that the
fake does not know fails loudly instead of matching wrongly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker_bridge.testing.fake_tracker.state import ApiError

__all__ = ["And", "Condition", "Or", "Query", "Term", "parse_query"]

_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>>=|<=|\.\.|[><:,()])|(?P<word>[^\s"><:,()]+))"""
)
_COMPARISONS = frozenset({">", ">=", "<", "<="})


@dataclass(frozen=True, slots=True)
class Term:
    """One value of a condition: ``op`` is =, >, >=, <, <= or .. (then ``upper`` is set)."""

    op: str
    value: str
    upper: str | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]


Node = Condition | And | Or


@dataclass(frozen=True, slots=True)
class Query:
    where: Node | None
    sort: tuple[tuple[str, bool], ...]  # (field, ascending)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ApiError(400, f"Ошибка в запросе: не удалось разобрать {text[position:]!r}")
        position = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "word" and ".." in value:
            low, _, high = value.partition("..")
            out += [("word", low), ("op", ".."), ("word", high)]
        elif kind == "str":
            out.append(("str", value[1:-1].replace('\\"', '"')))
        else:
            out.append((kind, value))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.items = _tokens(text)
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.items[index] if index < len(self.items) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        kind, got = self.take()
        if got != value or kind not in ("op", "word"):
            raise ApiError(400, f"Ошибка в запросе: ожидалось {value!r}, получено {got!r}")

    def is_sort(self) -> bool:
        kind, value = self.peek()
        return kind in ("str", "word") and value.casefold() == "sort by" and self.peek(1)[1] == ":"

    def query(self) -> Query:
        where = None if self.is_sort() or self.peek()[0] == "end" else self.disjunction()
        sort = self.sort() if self.is_sort() else ()
        if self.peek()[0] != "end":
            raise ApiError(400, f"Ошибка в запросе: лишнее {self.peek()[1]!r}")
        return Query(where, sort)

    def disjunction(self) -> Node:
        parts = [self.conjunction()]
        while self.peek() == ("word", "OR") or self.peek()[1].casefold() == "or":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.atom()]
        while True:
            kind, value = self.peek()
            if kind == "word" and value.casefold() == "and":
                self.take()
            elif kind == "end" or value == ")" or value.casefold() == "or" or self.is_sort():
                break
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def atom(self) -> Node:
        if self.peek() == ("op", "("):
            self.take()
            node = self.disjunction()
            self.expect(")")
            return node
        kind, name = self.take()
        if kind not in ("word", "str"):
            raise ApiError(400, f"Ошибка в запросе: ожидалось имя поля, получено {name!r}")
        self.expect(":")
        terms = [self.term()]
        while self.peek() == ("op", ","):
            self.take()
            terms.append(self.term())
        return Condition(name, tuple(terms))

    def term(self) -> Term:
        kind, value = self.peek()
        op = "="
        if kind == "op" and value in _COMPARISONS:
            op = value
            self.take()
        low = self.literal()
        if self.peek() == ("op", ".."):
            self.take()
            return Term("..", low, self.literal())
        return Term(op, low)

    def literal(self) -> str:
        kind, value = self.take()
        if kind not in ("word", "str") or self.peek() == ("op", "("):
            raise ApiError(400, f"Ошибка в запросе: ожидалось значение, получено {value!r}")
        return value

    def sort(self) -> tuple[tuple[str, bool], ...]:
        self.take()
        self.expect(":")
        keys = [self.sort_key()]
        while self.peek() == ("op", ","):
            self.take()
            keys.append(self.sort_key())
        return tuple(keys)

    def sort_key(self) -> tuple[str, bool]:
        kind, name = self.take()
        if kind not in ("word", "str"):
            raise ApiError(400, f"Ошибка в запросе: ожидалось поле сортировки, получено {name!r}")
        direction = self.peek()[1].casefold()
        if direction in ("asc", "desc"):
            self.take()
        return name, direction != "desc"


def parse_query(text: str) -> Query:
    """Parse a query; 400 with Tracker's error body on anything outside the subset."""
    return _Parser(text).query()
