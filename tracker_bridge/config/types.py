"""Value types shared by the config sections: addresses, hosts, durations, and how to refuse."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    SecretStr,
    ValidationError,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = [
    "Address",
    "Domain",
    "Duration",
    "Host",
    "Loc",
    "Names",
    "NonEmpty",
    "Secret",
    "Section",
    "SortedSet",
    "Url",
    "refuse",
]

Loc = tuple[str | int, ...]

_LABELS = r"[\w-]+(?:\.[\w-]+)*"  # \w: Cyrillic domains (.рф) are domains too
_ADDRESS = re.compile(rf"[^@\s<>,;\"]+@{_LABELS}\.[\w-]+")
_DOMAIN = re.compile(rf"{_LABELS}\.[\w-]+")
_HOST = re.compile(rf"{_LABELS}|\[[0-9a-f:.]+\]")
_DURATION = re.compile(r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?")


class Section(BaseModel):
    """A TOML table: unknown keys are refused (a typo must not silently become a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def refuse(model: str, problems: Iterable[tuple[Loc, str]]) -> None:
    """Raise every ``(location, message)`` problem at once, each located under the caller.

    A ValidationError raised in a validator is merged into the outer one with the locations
    prefixed, so a cross-field check still names the exact key (``customers[1].name``).
    """
    details = [
        InitErrorDetails(
            type=PydanticCustomError("config", "{problem}", {"problem": message}),
            loc=loc,
            input=None,
        )
        for loc, message in problems
    ]
    if details:
        raise ValidationError.from_exception_data(model, details)


def _address(value: str) -> str:
    address = value.strip().lower()
    if not _ADDRESS.fullmatch(address):
        raise ValueError(f"{value!r} is not an email address (expected name@domain)")
    return address


def _domain(value: str) -> str:
    domain = value.strip().lower().removeprefix("@")
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"{value!r} is not a mail domain (expected e.g. clinic.ru)")
    return domain


def _host(value: str) -> str:
    host = value.strip().lower()
    if not _HOST.fullmatch(host):
        raise ValueError(f"{value!r} is not a host name or address")
    return host


def _url(value: str) -> str:
    url = value.strip().rstrip("/")
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https") or not rest:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return url


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _non_empty_secret(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().strip():
        raise ValueError("must not be empty")
    return value


def _sorted(values: frozenset[str]) -> list[str]:
    return sorted(values)


def _duration(value: object) -> object:
    """``"29m"``, ``"1h30m"``, ``"2d"``; other forms (seconds, ``"PT29M"``) go to pydantic."""
    if isinstance(value, str):
        match = _DURATION.fullmatch(value.strip().lower())
        if match and any(match.groups()):
            days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
            return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    return value


Address = Annotated[str, AfterValidator(_address)]
Domain = Annotated[str, AfterValidator(_domain)]
Host = Annotated[str, AfterValidator(_host)]
Url = Annotated[str, AfterValidator(_url)]
NonEmpty = Annotated[str, AfterValidator(_non_empty)]
Secret = Annotated[SecretStr, AfterValidator(_non_empty_secret)]
# Sets are written sorted, so that `tracker-bridge check` prints the same text every time.
SortedSet = PlainSerializer(_sorted, return_type=list[str], when_used="json")
Names = Annotated[frozenset[NonEmpty], SortedSet]
Duration = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_positive)]
