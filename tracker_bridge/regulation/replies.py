"""R15/R19: reading a customer's reply to a request that waits for them.

A change goes to production only after the customer's responsible person confirms *by email*
"that the functionality is checked and no errors were found". So a confirmation must be an
explicit confirmation of the whole change, and this reader is built for precision: when in
doubt, it is not a confirmation. Precision and recall on a labelled set of real-sounding
replies are measured by ``benchmarks/bench_replies.py`` (docs/benchmarks.md).

A reply is read clause by clause (sentences, and the parts around «но», «однако», «кроме»):

* **confirmed** — a confirming phrase (``Policy.confirm_phrases``: «проверено, ошибок нет»,
  «всё работает», …) not negated, and nothing else that says otherwise: no problem, no
  restriction («кроме», «только», «почти»), no question, no deferral;
* **error** — corrections or a problem: a problem phrase (``Policy.error_phrases``), a negated
  verb («не сохраняется», «не печатает») or a missing thing («нет кнопки»), a restriction of a
  confirmation («всё работает, кроме печати»), or a request for a change («добавьте»,
  «исправьте»). Negations about errors themselves («ошибок не обнаружено», «замечаний нет»)
  are what a confirmation says, not a problem;
* **deferred** — the customer will answer later («посмотрю завтра», «проверим на неделе»),
  or is away: the request keeps waiting (R19: not yet an answer);
* **unclear** — anything else (a question, thanks only): not a confirmation; support is told.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from tracker_bridge.regulation.policy import Policy

__all__ = ["Verdict", "classify_test_reply", "classify_waiting_reply", "own_words"]


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    ERROR = "error"
    DEFERRED = "deferred"
    UNCLEAR = "unclear"


# Words about errors themselves: "X не обнаружено" / "X нет" with one of them is good news.
_ABOUT_ERRORS = re.compile(
    r"(?<!\w)(?:ошиб\w*|замечани\w*|проблем\w*|сбо[ея]\w*|баг\w*|недочет\w*|нареканий|"
    r"претензий|вопросов|errors?|issues?|problems?)(?!\w)"
)
# After "не": verbs that, said of errors, mean they are gone ("ошибка больше не возникает").
_GONE = re.compile(
    r"(?:обнаруж|выявл|найд|нашл|нашел|возник|воспроизв|повтор|наблюда|был|осталось|замечен|"
    r"встрети|появля|found|detected)"
)
_NEGATION = re.compile(r"(?<!\w)(?:не|нет|ни|not|no|doesn't|don't|isn't|can't|cannot)(?!\w)")
# Limits on a confirmation: it is not of the whole change.
_RESTRICTION = re.compile(
    r"(?<!\w)(?:кроме|за исключением|только(?! что)|лишь|частично|почти|не всё|не все|"
    r"единственн\w*|одно замечание|правда|p\.?\s?s\.?|except|only|partly|partially|almost|"
    r"but)(?!\w)"
)
# Words that name a problem whatever the phrase list says ("нашла ещё ошибку", "поля съезжают").
_PROBLEM_WORDS = re.compile(
    r"(?<!\w)(?:ошибк\w*|ошибок|ошибочн\w*|проблем\w*|сбо[йяеи]\w*|баг\w*|глюк\w*|"
    r"слета\w*|съезжа\w*|пуст(?:ой|ая|ое|ые)|неактивн\w*|медленн\w*|неверн\w*|неправильн\w*|"
    r"некорректн\w*|сдвига\w*|зависа\w*|вылета\w*|недоступн\w*|bug\w*|broken|empty)(?!\w)"
)
# Negated verbs of a customer who has not checked yet: a deferral, not a problem.
_NOT_YET = re.compile(r"(?:провер|смотр|успе|тестир|посмотр)")
_CONTRAST = re.compile(r"(?<!\w)(?:но|однако|а вот|зато|тем не менее|however)(?!\w)")
# Asking support to change something is a correction.
_REQUEST = re.compile(
    r"(?<!\w)(?:исправ(?:ьте|ить)|поправ(?:ьте|ить)|добав(?:ьте|ить)|измени(?:те|ть)|"
    r"передела(?:йте|ть)|доработа(?:йте|ть)|нужно (?:чтобы|исправ|добав|измени|сделать)|"
    r"надо (?:чтобы|исправ|добав|измени|сделать)|хотелось бы|просим (?:исправ|добав|измени)|"
    r"please fix|please change)"
)
_QUESTION = re.compile(
    r"\?|(?:^|[.!;]\s*)(?:а |и )?(?:как|почему|зачем|когда|где|что делать|можно ли|подскажите|"
    r"уточните|объясните|правильно ли)(?!\w)"
)
_DEFERRAL = re.compile(
    r"(?<!\w)(?:посмотр(?:ю|им)|провер(?:ю|им)|протестиру(?:ю|ем)|отпишу(?:сь)?|отпишемся|"
    r"отвечу|ответим|сообщ(?:у|им) (?:позже|завтра|результат)|вернусь|вернемся|"
    r"ещ[её] не (?:провер|смотр|тестир)|пока не (?:провер|смотр|тестир|успел)|не успел\w*|"
    r"в отпуске|вне офиса|out of office|на больничном|will check|will test|will get back)"
)
_CLAUSES = re.compile(r"[.!;\n]+|(?<=\S),\s+(?=(?:но|однако|кроме|а вот|за исключением)\b)")


def own_words(text: str) -> str:
    """The reply's own lines: quoted lines ("> …") and what follows a quoted-history header
    are not the customer's answer (the mail parser cuts most of it already)."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if re.match(r"^(?:-{3,}|_{5,}|от:|from:|отправлено:|sent:)", stripped, re.I):
            break
        kept.append(line)
    return "\n".join(kept)


def classify_test_reply(text: str, policy: Policy) -> Verdict:
    """R15: whether a reply to "awaiting testing" confirms the whole change, brings
    corrections, defers, or is unclear."""
    normalized = _normalize(own_words(text))
    if not normalized:
        return Verdict.UNCLEAR
    question = bool(_QUESTION.search(normalized))
    named, negated = _problem(normalized, policy)
    if named or _REQUEST.search(normalized) or (_RESTRICTION.search(normalized) and not question):
        return Verdict.ERROR  # corrections: a named problem, a change asked for, a limitation
    if negated and not question:
        return Verdict.ERROR  # "данные не отображаются", "кнопки нет"
    return _without_problems(normalized, policy, question=question)


def _without_problems(text: str, policy: Policy, *, question: bool) -> Verdict:
    """A reply that names no problem: a confirmation only if nothing else qualifies it."""
    deferral = bool(_DEFERRAL.search(text))
    if question:
        return Verdict.UNCLEAR
    if _confirms(text, policy) and not deferral and not _CONTRAST.search(text):
        return Verdict.CONFIRMED
    return Verdict.DEFERRED if deferral else Verdict.UNCLEAR


def classify_waiting_reply(text: str) -> Verdict:
    """R19: a reply to "info requested" is an answer unless it only defers (then DEFERRED)."""
    normalized = _normalize(own_words(text))
    short = bool(normalized) and len(normalized) <= 200  # a long answer is an answer
    if short and _DEFERRAL.search(normalized) and not _QUESTION.search(normalized):
        return Verdict.DEFERRED
    return Verdict.UNCLEAR


def _normalize(text: str) -> str:
    lowered = text.lower().replace("ё", "е")
    lowered = re.sub(r"[«»\"“”]", "", lowered)
    return re.sub(r"[ \t]+", " ", lowered).strip()


def _confirms(text: str, policy: Policy) -> bool:
    pattern = _compile(policy.confirm_phrases)
    for match in pattern.finditer(text):
        before = text[max(0, match.start() - 25) : match.start()]
        if not re.search(r"(?<!\w)(?:не|not|ни)\s+(?:\w+\s+)?$", before):
            return True
    return False


def _problem(text: str, policy: Policy) -> tuple[bool, bool]:
    """Whether a clause names a problem (an error phrase or word not about errors being gone),
    and whether one negates something («не сохраняется», «нет кнопки»)."""
    errors = _compile(policy.error_phrases)
    named = negated = False
    for part in _CLAUSES.split(text):
        clause = part.strip(" ,-–—:")
        if not clause:
            continue
        negated = negated or _bad_negation(clause)
        for pattern in (errors, _PROBLEM_WORDS):
            for match in pattern.finditer(clause):
                if not _about_errors_gone(clause, match.start(), match.end()):
                    named = True
    return named, negated


def _about_errors_gone(clause: str, start: int, end: int) -> bool:
    """An error phrase inside good news: "ошибок нет", "ошибка больше не возникает"."""
    rest = clause[end:]
    head = clause[:start]
    if re.match(r"^\s*(?:\w+\s+)?(?:решен|устранен|исправлен|ушл|пропал|fixed|solved)", rest):
        return True  # "проблема решена", "ошибка исправлена"
    gone_after = re.match(r"^\s*(?:\w+\s+){0,2}?(?:нет|не\s+\w+|не было)(?!\w)", rest)
    if gone_after and (
        re.match(r"^\s*(?:\w+\s+){0,2}?нет(?!\w)", rest)
        or _GONE.search(rest[: gone_after.end() + 1])
    ):
        return True
    # "не обнаружено ошибок", "нет ошибок", "без ошибок"
    return bool(re.search(r"(?:(?:не\s+\w+|нет|без|no)\s+(?:\w+\s+)?)$", head)) and bool(
        re.search(r"(?:нет|без|no|обнаруж|выявл|найд|нашл|замечен)\S*\s+(?:\w+\s+)?$", head)
    )


def _bad_negation(clause: str) -> bool:
    """A negation that is a problem: «не сохраняется», «нет кнопки», «не работает» — not a
    negation about errors themselves («ошибок не обнаружено», «замечаний нет»)."""
    for match in _NEGATION.finditer(clause):
        word = match.group(0)
        after = clause[match.end() :].split()
        nxt = after[0] if after else ""
        if word in ("ни",):
            continue  # "ни одной ошибки" is handled by the error phrases' context
        if _ABOUT_ERRORS.search(clause) and (word == "нет" or _GONE.match(nxt) or not nxt):
            continue  # about the errors: "ошибок нет", "ошибок не обнаружено"
        if word == "no" and _ABOUT_ERRORS.match(nxt):
            continue  # "no errors"
        if nxt in ("только", "за", "могли", "сложно", "трудно") or nxt.startswith("забуд"):
            continue  # "не только", "не за что", polite forms: not a problem by themselves
        if _NOT_YET.match(nxt) or (after[1:2] and _NOT_YET.match(after[1])):
            continue  # "ещё не проверяли", "пока не успели": not checked yet, a deferral
        return True
    return False


@lru_cache(maxsize=32)
def _compile(phrases: tuple[str, ...]) -> re.Pattern[str]:
    # Whole words only ("error" must not match "errors" in "no errors").
    alternatives = "|".join(
        re.escape(_normalize(p)).replace(r"\ ", r"[\s,.;:!-]+") for p in phrases if p.strip()
    )
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
