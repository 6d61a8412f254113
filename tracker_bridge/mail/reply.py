"""The new part of a reply: quoted history and the signature cut off (R8, R15 read this).

Cut points, earliest wins: an attribution line ("On … wrote:", "10.01.2025, 10:00, "Name"
<addr>:", "Среда, 1 января 2025, 10:00 +03:00 от …:", "… пишет:"), an Outlook separator
("-----Original Message-----", "-----Исходное сообщение-----") or header block ("From:/От:"
followed by "Sent:/Отправлено:/Date:/Дата:"), or a trailing block of "> " lines. After a cut the
signature goes too ("-- ", "С уважением,", "Best regards", "Sent from my iPhone" …). Nothing
quoted: the text is returned unchanged. Forwarded messages are content, not quotes: kept.
"""

from __future__ import annotations

import re

__all__ = ["reply_part"]

_SEPARATOR = re.compile(  # Outlook: -----Original Message----- / -----Исходное сообщение-----
    r"^[ \t>*_]*-{3,}[ \t]*(original|исходное|ursprüngliche|reply message|ответное)"
    r"[^-\n]{0,30}-{3,}",
    re.IGNORECASE,
)
_WROTE = re.compile(  # something before the verb: a bare "wrote:" is the wrapped end
    r"\S.*\s(wrote|пишет|написал\w*|schrieb|a écrit|escribió|ha scritto)[ \t]*:[ \t*_]*$",
    re.IGNORECASE,
)
_VERB_INSIDE = re.compile(  # "Am 07.05.2012 08:10, schrieb Martin Edenhofer:" (German order)
    r"^(am|on|le|el)\s.*\s(schrieb|wrote|a écrit|escribió)\s.*:[ \t*_]*$", re.IGNORECASE
)
_ADDRESSED = re.compile(r"(<[^<>@\s]+@[^<>\s]+>|\S+@\S+\.\w+)[ \t]*:[ \t*_]*$")
_TIME = re.compile(r"\d{1,2}:\d{2}")
_HEADER_FROM = re.compile(r"^[ \t>*_]*(from|от|von|de)[ \t]*[*_]*:", re.IGNORECASE)
_HEADER_WHEN = re.compile(
    r"^[ \t>*_]*(sent|date|отправлено|дата|gesendet|datum|envoyé)[ \t]*[*_]*:", re.IGNORECASE
)
_SIGNATURE = re.compile(
    r"^[ \t*_]*(--[ \t]*$|—[ \t]*$|с уважением|с наилучшими пожеланиями|всего доброго|"
    r"best regards|kind regards|regards,|mit freundlichen grüßen|sent from my|"
    r"отправлено с (моего )?(iphone|ipad|android)|отправлено из мобильной|"
    r"отправлено из (приложения )?(яндекс|mail\.ru)|get outlook for)",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"(-{2,}|^)[ \t]*(forwarded message|пересылаемое сообщение|переадресованное сообщение|"
    r"начало переадресованного сообщения|weitergeleitete nachricht|begin forwarded message)",
    re.IGNORECASE,
)
_OPENER = re.compile(r"^(on|am|le|el|il)\s", re.IGNORECASE)
_HEADER_WINDOW = 4


def reply_part(text: str) -> str:
    """``text`` without quoted history and signature; unchanged when nothing is quoted."""
    lines = text.splitlines()
    cut = _quote_start(lines)
    if cut is None:
        return text
    kept = lines[:cut] + _answer_below(lines, cut)
    signature = next((i for i, line in enumerate(kept) if i and _SIGNATURE.match(line)), None)
    if signature is not None and any(line.strip() for line in kept[:signature]):
        kept = kept[:signature]
    reply = "\n".join(kept).strip()
    return reply or text


def _answer_below(lines: list[str], cut: int) -> list[str]:
    """Bottom-posting: attribution, "> " quote, then the answer. The answer is the new part."""
    index = cut + 1
    while index < len(lines) and (
        not lines[index].strip() or lines[index].lstrip().startswith(">")
    ):
        index += 1
    quoted = any(line.lstrip().startswith(">") for line in lines[cut + 1 : index])
    rest = lines[index:]
    if not quoted or not any(line.strip() for line in rest) or _quote_start(rest) == 0:
        return []
    return rest


def _quote_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if _FORWARD.search(line):
            return None  # a forward is the content of the mail, not history
        if _SEPARATOR.match(line) or _attribution(lines, index) or _header_block(lines, index):
            return index
    return _trailing_quote(lines)


def _attribution(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if not line or line.startswith(">"):
        return False
    if _attributes(line):
        return True
    if index + 1 >= len(lines) or not (_TIME.search(line) or _OPENER.match(line)):
        return False
    following = lines[index + 1].strip()  # an attribution wrapped over two lines
    return not _attributes(following) and _attributes(f"{line} {following}")


def _attributes(line: str) -> bool:
    if len(line) > 300 or not line.rstrip(" \t*_").endswith(":"):
        return False  # every attribution ends with a colon: skip the regexes for other lines
    if _WROTE.search(line) or _VERB_INSIDE.match(line):
        return True
    return bool(_ADDRESSED.search(line) and _TIME.search(line))


def _header_block(lines: list[str], index: int) -> bool:
    """A quoted header block: From: and Sent: within a few lines, in either order."""
    window = lines[index + 1 : index + 1 + _HEADER_WINDOW]
    if _HEADER_FROM.match(lines[index]):
        return any(_HEADER_WHEN.match(line) for line in window)
    if _HEADER_WHEN.match(lines[index]):
        return any(_HEADER_FROM.match(line) for line in window)
    return False


def _trailing_quote(lines: list[str]) -> int | None:
    """Index of the first line of a final block of "> " lines (blank lines allowed inside)."""
    start = None
    for index in range(len(lines) - 1, -1, -1):
        stripped = lines[index].strip()
        if stripped.startswith(">"):
            start = index
        elif stripped:
            break
    return start
