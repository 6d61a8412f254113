"""The shared mail corpus and its expectation files (read-only; see tests/shared_corpus.py).

Only tests marked ``needs_corpus`` read it; listing it where it is absent gives nothing.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from typing import Any

import yaml

from tests.shared_corpus import AVAILABLE, corpus

MAIL = corpus("mail")
EXPECTED = corpus("mail_expected")
URL = re.compile(r"(https?://|www\.|mailto:)[^\s<>()\]]+")


def mail_names() -> list[str]:
    """Every message file name in the corpus, sorted (none where the corpus is absent)."""
    if not AVAILABLE:
        return []
    return sorted(p.name for p in MAIL.iterdir() if p.is_file())


@cache
def raw(name: str) -> bytes:
    """The bytes of one corpus message."""
    return (MAIL / name).read_bytes()


class _IgnoreRubyTags(yaml.SafeLoader):
    """SafeLoader that reads ``!ruby/hash:…`` and other local tags as plain YAML."""


def _untagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_IgnoreRubyTags.add_multi_constructor("!", _untagged)


def zammad_names(key: str | None = None) -> list[str]:
    """Zammad messages with an expectation file (mailNNN), optionally only those with ``key``."""
    stems = sorted(p.stem for p in EXPECTED.glob("zammad__*.yml"))
    return [s for s in stems if key is None or key in zammad_expected(s)]


@cache
def zammad_expected(stem: str) -> dict[str, Any]:
    """The parsed Zammad expectation file ``stem``.yml."""
    with (EXPECTED / f"{stem}.yml").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_IgnoreRubyTags)
    return loaded


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def visible_text(markup: str) -> str:
    """The text nodes of an HTML fragment (for comparing Zammad's HTML bodies with ours)."""
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    return " ".join(parser.chunks)


def shingles(text: str) -> set[str]:
    """5-character shingles of the letters and digits of ``text``, links and URLs left out.

    Tokenisation differs between HTML renderers (is "</td><td>" a space?), so bodies are
    compared as sets of short letter runs, which is blind to whitespace and punctuation.
    """
    text = URL.sub(" ", re.sub(r"\]\([^)]*\)", "]", text)).lower()
    letters = "".join(ch for ch in text if ch.isalnum())
    return {letters[i : i + 5] for i in range(max(1, len(letters) - 4))} if letters else set()
