"""R7: the labelled lines of the request template (department, login, card no. …).

A line is "label separator value": the label in any of its customary spellings and cases,
optionally numbered or bulleted or in bold, followed by a colon, dash, tab, table bar (HTML
tables arrive as "label | value" from the converter) or two spaces. A label alone on its line
takes the next line as its value. The first occurrence of each field wins.
"""

from __future__ import annotations

import re

__all__ = ["extract_fields", "mentions_a_label"]

_NUMBER = r"(?:номер|№|n|no\.?)?\s*"
_LABELS: dict[str, str] = {
    "department": r"отделени[ея]|подразделени[ея]|отдел|department",
    "login": r"логин(?:\s+(?:в\s+систем[еу]|пользователя))?|учётн\w*\s+запис\w*|учетн\w*\s+запис\w*"
    r"|login",
    "card_number": _NUMBER + r"(?:амбулаторн\w*|амб\.?)\s*карт\w*(?:\s+пациента)?|"
    r"(?:номер|№)\s*карт\w*(?:\s+пациента)?",
    "history_number": _NUMBER + r"(?:истори\w*\s+болезни(?:\s+пациента)?|и\.?\s?б\.?)",
    "record_name": r"(?:наименование|название)\s+записи|запись",
    # the template's own words: «Наименование кнопки перехода»
    "button_name": r"(?:наименование|название)\s+кнопки(?:\s+перехода)?|кнопка(?:\s+перехода)?",
}
_PREFIX = r"^[ \t]*(?:[|>][ \t]*)*(?:[-*•·]|\d{1,2}[.)])?[ \t]*(?:\*\*|__)?[ \t]*"
_PAREN = r"(?:[ \t]*\([^)\n]{0,40}\))?"
_SEPARATOR = r"(?:\*\*|__)?[ \t]*(?:\*\*|__)?(?:[:：\-–—|\t]|[ \t]{2,}|[ \t](?=[№\d]))"
_LINE = {
    name: re.compile(_PREFIX + rf"(?:{label}){_PAREN}{_SEPARATOR}(.*)$", re.IGNORECASE)
    for name, label in _LABELS.items()
}
_ALONE = {
    name: re.compile(_PREFIX + rf"(?:{label}){_PAREN}[ \t]*(?:\*\*|__)?[ \t]*[:：]?[ \t]*$", re.I)
    for name, label in _LABELS.items()
}
_HINT = re.compile(
    r"отдел|подраздел|depart|логин|login|уч[её]тн|карт|истори|и\.?\s?б|запис|кнопк", re.I
)
_HINT_SPAN = 120
_NUMERIC = frozenset({"card_number", "history_number"})
_MAX_VALUE = 300


def extract_fields(text: str) -> dict[str, str]:
    """The R7 fields found in ``text`` (keys from ``FIELD_NAMES``); absent fields are left out."""
    lines = text.splitlines()
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        if not _HINT.search(line[:_HINT_SPAN]):
            continue  # cheap pre-check: no label word near the start of the line
        for name in _LINE:
            if name in found:
                continue
            value = _value_on(line, name) or _value_below(lines, index, name)
            if value:
                found[name] = value
                break
    return found


def mentions_a_label(text: str) -> bool:
    """Whether any line starts with something like a template label (a cheap pre-check)."""
    return any(_HINT.search(line[:_HINT_SPAN]) for line in text.splitlines())


def _value_on(line: str, name: str) -> str | None:
    match = _LINE[name].match(line)
    return _clean(match.group(1), name) if match else None


def _value_below(lines: list[str], index: int, name: str) -> str | None:
    if not _ALONE[name].match(lines[index]):
        return None
    following = next((line for line in lines[index + 1 : index + 3] if line.strip()), "")
    if any(pattern.match(following) or _ALONE[n].match(following) for n, pattern in _LINE.items()):
        return None
    return _clean(following, name)


def _clean(value: str, name: str) -> str | None:
    value = re.sub(r"(\*\*|__)", "", value).strip().strip("|").strip()
    value = value.strip(" \t:-–—").rstrip(";,.").strip()
    if name in _NUMERIC:
        value = value.lstrip("№N ").strip()
    if not value or len(value) > _MAX_VALUE or set(value) <= set("-|: "):
        return None
    return value
