"""The settings model, docs/configuration.md and the example file describe the same keys."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import pytest
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from tracker_bridge.config import Settings

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs" / "configuration.md"
EXAMPLE = ROOT / "config" / "tracker-bridge.example.toml"

# A table header, set or commented out: "[tracker]", "[[customers]]", "# [regulation.x]".
_HEADER = re.compile(r"^(?:# )?(\[\[?)([\w.]+)\]\]?\s*$")
# An assignment, set or shown as a default ("# key = value", exactly so in the example).
_ASSIGNMENT = re.compile(r"^(# )?(\w+) = (.*)$")
_DOC_ROW = re.compile(r"^\| `([^`]+)` \|")


def _sections(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The nested model of a field, and whether it is a list of them (``customers``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    args = get_args(annotation)
    repeated = get_origin(annotation) is tuple and args and isinstance(args[0], type)
    if repeated and issubclass(args[0], BaseModel):
        return args[0], True
    return None


def model_keys(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    """Every leaf key as its documented path (``customers[].queue``), with its field."""
    for name, field in model.model_fields.items():
        inner = _sections(field.annotation)
        if inner is None:
            yield prefix + name, field
        else:
            section, repeated = inner
            yield from model_keys(section, f"{prefix}{name}{'[]' if repeated else ''}.")


KEYS = dict(model_keys(Settings))


def example_lines() -> Iterator[tuple[str, str, bool, str]]:
    """``(table, key, commented, value)`` for each assignment line of the example file."""
    table = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if header := _HEADER.match(line):
            table = header[2] + ("[]" if header[1] == "[[" else "")
        elif assignment := _ASSIGNMENT.match(line):
            yield table, assignment[2], bool(assignment[1]), assignment[3]


def example_keys() -> set[str]:
    headers = {
        match[2] + ("[]" if match[1] == "[[" else "")
        for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
        if (match := _HEADER.match(line))
    }
    assigned = {f"{table}.{key}" if table else key for table, key, _, _ in example_lines()}
    return headers | assigned


def commented_defaults() -> Iterator[tuple[str, str]]:
    """``(key, TOML value)`` of each commented-out assignment, multi-line arrays joined."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    table = ""
    for index, line in enumerate(lines):
        if header := _HEADER.match(line):
            table = header[2] + ("[]" if header[1] == "[[" else "")
        elif (assignment := _ASSIGNMENT.match(line)) and assignment[1]:
            value, following = assignment[3], index + 1
            while value.startswith("[") and not value.rstrip().endswith("]"):
                value += " " + lines[following].removeprefix("#").strip()
                following += 1
            yield (f"{table}.{assignment[2]}" if table else assignment[2]), value


def test_the_model_has_keys_to_check() -> None:
    """The walk reaches nested tables and the customers list (guards the tests below)."""
    assert {"tracker_token", "tracker.fields.login", "customers[].queue", "calendar.opens"} <= set(
        KEYS
    )


@pytest.mark.parametrize("key", sorted(KEYS))
def test_every_key_is_documented(key: str) -> None:
    """Each settings key has a row in docs/configuration.md."""
    rows = {
        m[1]
        for line in DOCS.read_text(encoding="utf-8").splitlines()
        if (m := _DOC_ROW.match(line))
    }
    assert key in rows


@pytest.mark.parametrize("key", sorted(KEYS))
def test_every_key_is_in_the_example_file(key: str) -> None:
    """Each settings key appears in the example file, set or commented out."""
    assert key in example_keys()


def test_docs_describe_no_key_that_does_not_exist() -> None:
    """Every key row of docs/configuration.md is a key of the model (no stale docs)."""
    text = DOCS.read_text(encoding="utf-8")
    rows = [m[1] for line in text.splitlines() if (m := _DOC_ROW.match(line))]
    assert [row for row in rows if row not in KEYS] == []


def test_example_sets_no_key_that_does_not_exist() -> None:
    """Every assignment in the example is a model key or an entry of a table-valued key."""
    unknown = [
        f"{table}.{key}" if table else key
        for table, key, _, _ in example_lines()
        if table not in KEYS and (f"{table}.{key}" if table else key) not in KEYS
    ]
    assert unknown == []


def _default(key: str) -> Any:
    return KEYS[key].get_default(call_default_factory=True)


# Keys without a default (None) are shown with an illustration instead, so they are left out.
@pytest.mark.parametrize(
    ("key", "value"),
    [
        (key, value)
        for key, value in commented_defaults()
        if key in KEYS and _default(key) is not None
    ],
)
def test_example_comments_show_the_real_defaults(key: str, value: str) -> None:
    """A commented-out "# key = value" in the example is that key's true default."""
    field, default = KEYS[key], _default(key)
    annotation = (
        Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    )
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)  # type: ignore[arg-type]
    assert adapter.validate_python(tomllib.loads(f"v = {value}")["v"]) == default
