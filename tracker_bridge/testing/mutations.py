"""The mutations a hostile sender or a broken mail server applies to mail (issue 17).

Used by the fuzz benchmark (``benchmarks/bench_fuzz.py``) over the project's own test mails
(tests/data/mail). The mutations are the ones the outside fuzz run used: bit flips, truncation,
duplicated and deleted lines, wide multiparts, broken boundaries, NUL bytes, encoded words, deep
nesting, long lines, raw 8-bit headers, charset labels swapped and HTML openers repeated.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

__all__ = ["BOMBS", "MUTATIONS", "mutate", "mutate_named"]

Mutation = Callable[[random.Random, bytes], bytes]


def _size(rng: random.Random, small: int, large: int, huge: int) -> int:
    """A repeat count: mostly small, sometimes large, rarely huge (the bombs)."""
    return rng.choices((small, large, huge), weights=(90, 8, 2))[0]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _flip_bytes(rng: random.Random, data: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        if buffer:
            buffer[rng.randrange(len(buffer))] = rng.randrange(256)
    return bytes(buffer)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randint(0, len(data))]


def _duplicate_header(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    if not lines:
        return data
    index = rng.randrange(min(len(lines), 30))
    return b"".join([*lines[:index], *[lines[index]] * _size(rng, 2, 50, 2000), *lines[index:]])


def _delete_line(rng: random.Random, data: bytes) -> bytes:
    lines = _lines(data)
    if lines:
        del lines[rng.randrange(len(lines))]
    return b"".join(lines)


def _wide_multipart(rng: random.Random, data: bytes) -> bytes:
    parts = b"".join(
        b"--W\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i
        for i in range(_size(rng, 50, 500, 5000))
    )
    head = b"From: a@clinic1.example\r\nMessage-ID: <w@x>\r\n"
    return head + b'Content-Type: multipart/mixed; boundary="W"\r\n\r\n' + parts + data[:2000]


def _break_boundary(rng: random.Random, data: bytes) -> bytes:
    index = data.find(b"boundary=")
    if index < 0:
        return data
    return data[:index] + b"boundary=" + bytes([rng.randrange(33, 127)]) + data[index + 9 :]


def _nul_bytes(rng: random.Random, data: bytes) -> bytes:
    at = rng.randint(0, len(data))
    return data[:at] + b"\x00" * _size(rng, 1, 100, 10_000) + data[at:]


def _encoded_words(rng: random.Random, data: bytes) -> bytes:
    label = rng.choice((b"utf-8", b"koi8-r", b"utf-7", b"bogus", b"zlib", b"utf-16"))
    kind = rng.choice((b"B", b"Q"))
    word = b"=?" + label + b"?" + kind + b"?" + bytes(rng.randrange(33, 127) for _ in range(30))
    return b"Subject: " + (word + b"?= ") * _size(rng, 1, 100, 3000) + b"\r\n" + data


def _nesting(rng: random.Random, data: bytes) -> bytes:
    depth = _size(rng, 10, 100, 1000)
    opening = b"".join(
        b'--B%d\r\nContent-Type: multipart/mixed; boundary="B%d"\r\n\r\n' % (i, i + 1)
        for i in range(depth)
    )
    head = b'From: a@clinic1.example\r\nContent-Type: multipart/mixed; boundary="B0"\r\n\r\n'
    return head + opening + data[-2000:]


def _long_line(rng: random.Random, data: bytes) -> bytes:
    at = rng.randint(0, len(data))
    chunk = rng.choice((b"a", b"\xd0\x96", b"=", b" ", b"<", b"|", b"> ", b":"))
    return data[:at] + chunk * _size(rng, 100, 1000, 100_000) + data[at:]


def _html_openers(rng: random.Random, data: bytes) -> bytes:
    opener = rng.choice((b"<![if ", b"<!--", b"<a href='", b"<", b"&#", b"<style>", b"<td>|"))
    body = opener * _size(rng, 100, 10_000, 100_000)
    return (
        b"From: a@clinic1.example\r\nMessage-ID: <h@x>\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n" + body + data[-500:]
    )


def _raw_8bit_header(rng: random.Random, data: bytes) -> bytes:
    name = rng.choice((b"From", b"To", b"Cc", b"Subject", b"Message-ID", b"Reply-To"))
    value = bytes(rng.randrange(128, 256) for _ in range(rng.randint(1, 40)))
    return name + b": a" + value + b"@clinic1.example\r\n" + data


def _swap_charset(rng: random.Random, data: bytes) -> bytes:
    label = rng.choice((b"koi8-r", b"utf-7", b"utf-16", b"iso-2022-jp", b"bogus", b"zlib", b""))
    return data.replace(b"charset=", b"charset=" + label + b"x", rng.randint(1, 3))


MUTATIONS: tuple[Mutation, ...] = (
    _flip_bytes,
    _truncate,
    _duplicate_header,
    _delete_line,
    _wide_multipart,
    _break_boundary,
    _nul_bytes,
    _encoded_words,
    _nesting,
    _long_line,
    _html_openers,
    _raw_8bit_header,
    _swap_charset,
)


# Beyond what the outside fuzz run listed: inputs built to be expensive (repeated HTML openers,
# long runs, deep nesting). The benchmark reports the mix with and without them.
BOMBS: frozenset[Mutation] = frozenset({_nesting, _long_line, _html_openers})


def mutate(rng: random.Random, seeds: Sequence[bytes]) -> bytes:
    """One seed after one to three random mutations."""
    return mutate_named(rng, seeds)[0]


def mutate_named(rng: random.Random, seeds: Sequence[bytes]) -> tuple[bytes, tuple[Mutation, ...]]:
    """One seed after one to three random mutations, and which they were."""
    data = rng.choice(seeds)
    applied: list[Mutation] = []
    for _ in range(rng.randint(1, 3)):
        mutation = rng.choice(MUTATIONS)
        applied.append(mutation)
        data = mutation(rng, data)
    return data, tuple(applied)
