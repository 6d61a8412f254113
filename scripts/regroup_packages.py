"""Group tracker_bridge's flat shell modules into packages that read like docs/architecture.md.

Re-runnable: every move is ``git mv`` of a file that still stands in its old place, every rewrite
a substitution that no longer matches once done, so a second run changes nothing. Run from the
checkout's root on a clean tree, then review ``git diff --stat`` and gate as usual::

    .venv/bin/python scripts/regroup_packages.py

What it does:

1. moves the modules (``MOVES``) and the flat ``testing/fake_telegram_*.py`` files into packages,
   each with an ``__init__.py`` that says what the package is (``PACKAGES``);
2. rewrites every reference in the tracked text files — dotted module names in imports, strings
   and docs, ``from tracker_bridge import X``, and file paths (``tracker_bridge/daemon.py``);
3. sorts the imports it touched (``ruff check --select I --fix``) and formats them.

Names outside checks import stay where they were: ``tracker_bridge.cli`` keeps ``main`` and
``build_parser`` (the console script's target), ``tracker_bridge.testing.fake_telegram`` keeps
``FakeTelegram`` and its records. A flat module this script does not know stops it before it moves
anything: a newcomer must be placed by hand in ``MOVES``.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path.cwd()
PKG = ROOT / "tracker_bridge"

# old dotted module (below tracker_bridge.) -> new one
MOVES: dict[str, str] = {
    # what every part of the shell stands on
    "clock": "foundation.clock",
    "failures": "foundation.failures",
    "retry": "foundation.retry",
    "extras": "foundation.extras",
    # what an operator sees
    "log": "observability.log",
    "metrics": "observability.metrics",
    "health": "observability.health",
    "outages": "observability.outages",
    "calendar_watch": "observability.calendar_watch",
    # the service: mail and issues in, the core's decisions out as effects
    "intake": "service.intake",
    "effects": "service.effects",
    "outbox": "service.outbox",
    "rules_pass": "service.rules_pass",
    "issue_reader": "service.issue_reader",
    "lanes": "service.lanes",
    "stall_guard": "service.stall_guard",
    # the runtime: the loops, their construction, systemd
    "daemon": "runtime.daemon",
    "wiring": "runtime.wiring",
    "systemd": "runtime.systemd",
    # pure vocabulary of the core
    "titles": "regulation.titles",
    # the command line: the parser and one module per command
    "cli": "cli.entry",
}
# whole packages renamed (old dotted prefix -> new)
PACKAGE_MOVES: dict[str, str] = {"commands": "cli"}
# the fake Telegram's flat modules -> a package, as fake_tracker/ already is
FAKE_TELEGRAM = ("api", "faults", "html", "http", "methods", "server", "state", "updates")
TESTING_MOVES: dict[str, str] = {
    "testing.fake_telegram": "testing.fake_telegram.fake",
    **{f"testing.fake_telegram_{m}": f"testing.fake_telegram.{m}" for m in FAKE_TELEGRAM},
}
# dotted names that stay importable as they were (the package re-exports them), so no rewrite
KEEP_DOTTED = {"cli", "testing.fake_telegram"}

STAY_FLAT = {"__init__", "__main__"}

PACKAGES: dict[str, str] = {
    "foundation": '''"""What every part of the shell stands on: the injected clock, one failure
taxonomy, one backoff, and the optional extras of the install."""
''',
    "observability": '''"""What an operator sees: structured logs, Prometheus metrics, ``/healthz``,
the record of outside systems that are down, the production calendar's horizon."""
''',
    "service": '''"""The service: mail and issues in, the core's decisions carried out as effects.

``intake`` turns one email into its outcome, ``rules_pass`` evaluates issues on the regulation,
``effects`` runs each action exactly once, ``outbox`` sends the queued notifications;
``issue_reader`` builds the core's view of an issue, ``lanes`` keeps keyed order,
``stall_guard`` names a message that keeps the event loop busy.
"""
''',
    "runtime": '''"""The runtime: ``wiring`` builds every part from the configuration, ``daemon``
runs and supervises the loops, ``systemd`` talks to the service manager."""
''',
    "cli": '''"""The ``tracker-bridge`` command line: :mod:`.entry` parses, a command module works.

One module per command (``run``, ``check``, ``explain``, ``sla_report``, ``quarantine``,
``replay``, ``backup``, ``webhook``, ...), each with a ``main(args) -> int``, imported only when
that command runs; :mod:`.common` holds what several share (the config path, ``now``, a read-only
issue reader, time formatting, progress on stderr).
"""

from tracker_bridge.cli.entry import build_parser, main

__all__ = ["build_parser", "main"]
''',
}

TEXT_SUFFIXES = {".py", ".toml", ".md", ".txt", ".cfg", ".ini", ".service", ".j2", ".json", ""}
SKIP_PREFIXES = (
    ".unlanded/",
    "tests/data/",
    "scripts/regroup_packages.py",
    "tracker_bridge/foundation/moved.py",
    "tests/test_moved_paths.py",
)


def git(*args: str) -> str:
    command = ["git", *args]  # fixed program, arguments from this script
    return subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout  # noqa: S603


def all_moves() -> dict[str, str]:
    return {**MOVES, **TESTING_MOVES}


def check_flat_modules() -> None:
    known = STAY_FLAT | set(MOVES)
    flat = {p.stem for p in PKG.glob("*.py")} - known
    if flat:
        sys.exit(f"regroup: flat modules with no place in MOVES: {sorted(flat)}")


def move_file(old: Path, new: Path) -> None:
    if not old.exists() or new.exists():
        return
    new.parent.mkdir(parents=True, exist_ok=True)
    git("mv", str(old.relative_to(ROOT)), str(new.relative_to(ROOT)))
    print(f"moved {old.relative_to(ROOT)} -> {new.relative_to(ROOT)}")


def move_files() -> None:
    # the fake Telegram: its face module first moves into the package it becomes
    face = PKG / "testing" / "fake_telegram.py"
    if face.exists():
        tmp = PKG / "testing" / "_fake_telegram_face.py"
        git("mv", str(face.relative_to(ROOT)), str(tmp.relative_to(ROOT)))
        move_file(tmp, PKG / "testing" / "fake_telegram" / "fake.py")
    for m in FAKE_TELEGRAM:
        move_file(
            PKG / "testing" / f"fake_telegram_{m}.py", PKG / "testing/fake_telegram" / f"{m}.py"
        )
    # the commands' package becomes the CLI's (its own __init__ is replaced below)
    commands = PKG / "commands"
    if commands.exists():
        cli_py = PKG / "cli.py"
        if cli_py.exists():
            tmp = PKG / "_cli_entry.py"
            git("mv", str(cli_py.relative_to(ROOT)), str(tmp.relative_to(ROOT)))
        git("mv", str(commands.relative_to(ROOT)), str((PKG / "cli").relative_to(ROOT)))
        print("moved tracker_bridge/commands -> tracker_bridge/cli")
        if (PKG / "_cli_entry.py").exists():
            move_file(PKG / "_cli_entry.py", PKG / "cli" / "entry.py")
    for old, new in MOVES.items():
        if old == "cli":
            continue
        move_file(PKG / f"{old}.py", PKG / Path(*new.split(".")).with_suffix(".py"))


def write_package_faces() -> None:
    for name, text in PACKAGES.items():
        init = PKG / name / "__init__.py"
        if not init.exists() or init.read_text() != text:
            init.write_text(text)
            git("add", str(init.relative_to(ROOT)))
    face = PKG / "testing" / "fake_telegram" / "__init__.py"
    if not face.exists():
        face.write_text(FAKE_TELEGRAM_FACE)
        git("add", str(face.relative_to(ROOT)))


FAKE_TELEGRAM_FACE = '''"""A fake Telegram Bot API over real HTTP, for tests and the demo.

``state`` (chats, messages, updates), ``server`` (one request: token, faults, limits, log),
``methods``/``updates`` (the API methods), ``html`` (parse_mode=HTML), ``api`` (declared
parameters), ``http`` (body formats), ``faults`` (fail_next, flood control).
"""

from tracker_bridge.testing.fake_telegram.fake import (
    ApiCall,
    CallbackAnswer,
    FakeChat,
    FakeMessage,
    FakeTelegram,
    FakeUser,
)

__all__ = ["ApiCall", "CallbackAnswer", "FakeChat", "FakeMessage", "FakeTelegram", "FakeUser"]
'''


def rewrites() -> list[tuple[re.Pattern[str], str]]:
    rules: list[tuple[re.Pattern[str], str]] = []
    moves = all_moves()
    # longest first, so testing.fake_telegram_api is taken before testing.fake_telegram
    for old in sorted(moves, key=len, reverse=True):
        new = moves[old]
        old_path = "tracker_bridge/" + old.replace(".", "/") + ".py"
        new_path = "tracker_bridge/" + new.replace(".", "/") + ".py"
        rules.append((re.compile(re.escape(old_path)), new_path))
        if old in KEEP_DOTTED:
            continue
        rules.append(
            (
                re.compile(r"\btracker_bridge\." + re.escape(old) + r"(?![\w])"),
                "tracker_bridge." + new,
            )
        )
        # from tracker_bridge import clock  ->  from tracker_bridge.foundation import clock
        if "." not in old:
            parent, _, leaf = new.rpartition(".")
            rules.append(
                (
                    re.compile(r"(?m)^(\s*)from tracker_bridge import " + re.escape(old) + r"\s*$"),
                    rf"\1from tracker_bridge.{parent} import {leaf}",
                )
            )
    for old, new in PACKAGE_MOVES.items():
        rules.append((re.compile(r"\btracker_bridge/" + old + "/"), f"tracker_bridge/{new}/"))
        rules.append(
            (re.compile(r"\btracker_bridge\." + old + r"(?![\w])"), "tracker_bridge." + new)
        )
    return rules


def text_files() -> list[Path]:
    files = []
    for name in git("ls-files").splitlines():
        if name.startswith(SKIP_PREFIXES):
            continue
        path = ROOT / name
        if path.suffix not in TEXT_SUFFIXES or not path.is_file():
            continue
        files.append(path)
    return files


def rewrite_references() -> list[Path]:
    rules = rewrites()
    changed = []
    for path in text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        new = text
        for pattern, repl in rules:
            new = pattern.sub(repl, new)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def tidy(changed: list[Path]) -> None:
    py = [str(p.relative_to(ROOT)) for p in changed if p.suffix == ".py"]
    py += [str(p.relative_to(ROOT)) for p in PKG.rglob("__init__.py")]
    ruff = Path(sys.executable).parent / "ruff"  # the venv's, run as .venv/bin/python
    if py and ruff.exists():
        sort = [str(ruff), "check", "-q", "--select", "I", "--fix", *py]
        subprocess.run(sort, cwd=ROOT, check=False)  # noqa: S603 - the venv's ruff on our files
        subprocess.run([str(ruff), "format", "-q", *py], cwd=ROOT, check=False)  # noqa: S603


# --- the docs: the shell's table in docs/architecture.md, grouped as the tree now is ------------
SHELL_GROUPS: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "The service (`tracker_bridge/service/`)",
        "Mail and issues in, the core's decisions carried out as effects, each exactly once.",
        ("intake", "effects", "outbox", "rules_pass", "issue_reader", "lanes", "stall_guard"),
    ),
    (
        "The runtime (`tracker_bridge/runtime/`)",
        "Builds the parts, runs and supervises the loops, talks to systemd.",
        ("daemon", "wiring", "systemd"),
    ),
    (
        "What an operator sees (`tracker_bridge/observability/`)",
        "Logs, metrics, `/healthz`, outages, the calendar's horizon.",
        ("log", "metrics", "health", "outages", "calendar_watch"),
    ),
    (
        "What every part stands on (`tracker_bridge/foundation/`)",
        "The injected clock, one failure taxonomy, one backoff, the optional extras.",
        ("clock", "failures", "retry", "extras"),
    ),
    (
        "The command line (`tracker_bridge/cli/`)",
        "`entry.py` parses; one module per command does the work, imported only when it runs.",
        ("cli", "commands"),
    ),
]
# rows for the modules the old table described only together with others of another package
OWN_ROWS: dict[str, str] = {
    "stall_guard": (
        "a thread that sees which message keeps the event loop busy too long, so the poison-mail"
        " breaker can quarantine it after a kill (issue 17.2)"
    ),
    "systemd": "sd_notify READY/STATUS/STOPPING and the watchdog (the unit is `Type=notify`)",
    "log": "structlog: JSON lines for journald, a console on a terminal, secrets redacted",
    "metrics": "Prometheus metrics and the `/metrics` + `/healthz` endpoint on loopback",
    "health": "is every loop still doing its job: the state behind `/healthz`",
    "outages": (
        "which outside systems are down, since when and why: one record the daemon, the"
        " metrics, `/healthz` and the operators' alert share"
    ),
    "clock": "time for the shell: the system clock, and the manual one tests and the demo drive",
    "failures": (
        "one error taxonomy for every adapter: what a failure means for the work that met it"
        " (wait it out, an operator must fix it, or final)"
    ),
    "retry": "the one backoff: `RetryPolicy` and its formula, on tenacity",
}
GROUPED_MARK = "### The service (`tracker_bridge/service/`)"


def _row_modules(row: str) -> list[str]:
    """The flat module names a table row of the old shell table is about."""
    first = row.split("|")[1]
    return [
        name.removesuffix(".py").rstrip("/")
        for name in re.findall(r"`([^`]+)`", first)
        if "/" not in name.removesuffix("/") and (name.endswith(".py") or name.endswith("/"))
    ]


def _renamed(row: str) -> str:
    """The row with its module cells named as the tree now is (``service/intake.py``)."""
    first, rest = row.split("|")[1], "|".join(row.split("|")[2:])

    def new(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "cli.py":
            return "`cli/entry.py`"
        if name == "commands/":
            return "`cli/`"
        stem = name.removesuffix(".py")
        if name.endswith(".py") and stem in MOVES:
            return "`" + MOVES[stem].split(".")[0] + "/" + name + "`"
        return match.group(0)

    return "|" + re.sub(r"`([^`]+)`", new, first) + "|" + rest


# The diagram at the top of docs/architecture.md: names of moved modules, columns kept.
DIAGRAM = (
    ("      via retry.py; reconciles before      ", "      the one backoff; reconciles before   "),
    ("                  intake.py (gather)  ", "          service/intake.py (gather)  "),
    ("                       rules_pass.py ─►", "               service/rules_pass.py ─►"),
    ("                  effects.py — journal", "          service/effects.py — journal"),
    ("tracker/gateway      outbox.py (queued", "tracker/gateway      service/outbox.py (queued"),
)


def rewrite_diagram() -> None:
    path = ROOT / "docs" / "architecture.md"
    text = path.read_text(encoding="utf-8")
    for old, new in DIAGRAM:
        if old in text:
            text = text.replace(old, new, 1)
        elif new not in text:
            print(f"regroup: the diagram line {old.strip()!r} is gone: check it by hand")
    path.write_text(text, encoding="utf-8")


def rewrite_architecture_doc() -> None:
    path = ROOT / "docs" / "architecture.md"
    text = path.read_text(encoding="utf-8")
    if GROUPED_MARK in text:
        return
    head, sep, rest = text.partition("## The shell\n")
    if not sep:
        sys.exit("regroup: docs/architecture.md has no '## The shell' section")
    section, sep2, tail = rest.partition("\n## ")
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    grouped: dict[str, list[str]] = {title: [] for title, _, _ in SHELL_GROUPS}
    others: list[str] = []
    described: set[str] = set()
    for row in rows:
        names = _row_modules(row)
        homes = {t for t, _, members in SHELL_GROUPS for n in names if n in members}
        if len(homes) > 1:
            continue  # a row over several packages: each module gets its own (OWN_ROWS)
        if homes:
            grouped[homes.pop()].append(_renamed(row))
            described.update(names)
        else:
            others.append(_renamed(row))
    for name, job in OWN_ROWS.items():
        if name not in described:
            title = next(t for t, _, members in SHELL_GROUPS if name in members)
            grouped[title].append(f"| `{MOVES[name].replace('.', '/')}.py` | {job} |")
    out = [
        "The shell's packages, from the top of the tree down: the command line, the runtime, the"
        " service, what an operator sees, what every part stands on; then the adapters (`mail/`,"
        " `tracker/`, `telegram/`, `webhook/`, `store/`, `config/`).",
        "",
    ]
    for title, blurb, _ in SHELL_GROUPS:
        out += [f"### {title}", "", blurb, "", "| module | job |", "|---|---|", *grouped[title], ""]
    out += ["### The adapters, configuration and demo", "", "| module | job |", "|---|---|"]
    out += [*others, ""]
    path.write_text(head + sep + "\n" + "\n".join(out) + sep2 + tail, encoding="utf-8")
    print("rewrote the shell's table in docs/architecture.md")


README_PACKAGES: tuple[tuple[str, str], ...] = (
    (
        "service",
        "the service: the intake (one email → one issue or comment), the rules pass, the "
        "effects (each action exactly once, journaled), the outbox, the issue reader",
    ),
    (
        "runtime",
        "the runtime: `wiring` builds every part from the config, `daemon` runs and "
        "supervises the loops, `systemd` readiness, status and watchdog",
    ),
    (
        "observability",
        "structlog logging, Prometheus metrics and `/healthz`, the outage record, the "
        "calendar's horizon",
    ),
    (
        "foundation",
        "what every part stands on: the injected clock, the failure taxonomy, the one "
        "backoff, the optional extras",
    ),
    (
        "cli",
        "the `tracker-bridge` command: the parser and one module per command",
    ),
)
README_ROWS = "".join(f"| `tracker_bridge/{p}/` | {job} |\n" for p, job in README_PACKAGES)


def rewrite_readme() -> None:
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    if "`tracker_bridge/service/`" in text:
        return
    anchor = "| `tracker_bridge/testing/` |"
    if anchor not in text:
        sys.exit("regroup: README.md's package table has no testing row to put the new rows before")
    text = text.replace(anchor, README_ROWS + anchor, 1)
    text = text.replace(
        "faithful fakes over real HTTP — `FakeTracker`, `FakeTelegram` —",
        "faithful fakes over real HTTP — `FakeTracker` (`fake_tracker/`), `FakeTelegram`"
        " (`fake_telegram/`) —",
        1,
    )
    path.write_text(text, encoding="utf-8")
    print("added the new packages to README.md's table")


# --- the old import paths keep working ----------------------------------------------------------
OLD_PATHS = PKG / "foundation" / "moved.py"
OLD_PATHS_HEAD = '''"""Old import paths of the modules moved into packages (issue 16) keep working.

``import tracker_bridge.clock`` gives :mod:`tracker_bridge.foundation.clock` itself (the same
module object, not a copy), so code outside this repository written against the flat layout
runs unchanged. The project's own code uses the new paths; a test imports every old one.
Installed by ``tracker_bridge/__init__.py``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

__all__ = ["MOVED", "install"]

# old module path -> where it lives now; a moved package's submodules follow it (PACKAGES)
'''
OLD_PATHS_TAIL = '''

def new_name(old: str) -> str | None:
    """Where the module once named ``old`` lives now (``None``: it did not move)."""
    if old in MOVED:
        return MOVED[old]
    if old in PACKAGES:
        return PACKAGES[old]
    for before, after in PACKAGES.items():
        if old.startswith(before + "."):
            return after + old[len(before) :]
    return None


class _Moved(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path and hands out the module at its new one."""

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if new_name(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = new_name(spec.name)
        assert new is not None
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """Already executed under its new name."""


def install() -> None:
    if not any(isinstance(finder, _Moved) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Moved())
'''


def write_old_paths() -> None:
    moved = {f"tracker_bridge.{old}": f"tracker_bridge.{new}" for old, new in all_moves().items()}
    for keep in KEEP_DOTTED:
        moved.pop(f"tracker_bridge.{keep}", None)  # still there: a package re-exporting its names
    packages = {
        f"tracker_bridge.{old}": f"tracker_bridge.{new}" for old, new in PACKAGE_MOVES.items()
    }
    lines = ["MOVED: dict[str, str] = {"]
    lines += [f'    "{old}": "{new}",' for old, new in sorted(moved.items())]
    lines += ["}", "PACKAGES: dict[str, str] = {"]
    lines += [f'    "{old}": "{new}",' for old, new in sorted(packages.items())]
    lines += ["}"]
    OLD_PATHS.write_text(OLD_PATHS_HEAD + "\n".join(lines) + "\n" + OLD_PATHS_TAIL)
    git("add", str(OLD_PATHS.relative_to(ROOT)))
    init = PKG / "__init__.py"
    text = init.read_text(encoding="utf-8")
    hook = "from tracker_bridge.foundation import moved as _moved\n\n_moved.install()\n"
    if hook not in text:
        init.write_text(text.rstrip("\n") + "\n\n" + hook, encoding="utf-8")


OLD_PATHS_TEST = ROOT / "tests" / "test_moved_paths.py"
OLD_PATHS_TEST_TEXT = '''"""Import paths from before issue 16's packages still work.

They give the very modules they name now (tracker_bridge.foundation.moved): code outside the
repository needs no change.
"""

from __future__ import annotations

import importlib

import pytest

from tracker_bridge.foundation.moved import MOVED, PACKAGES, new_name

OLD = sorted({*MOVED, *PACKAGES, "tracker_bridge.commands.run", "tracker_bridge.commands.common"})


@pytest.mark.parametrize("old", OLD)
def test_an_old_path_is_the_module_at_its_new_one(old: str) -> None:
    new = new_name(old)
    assert new is not None
    assert importlib.import_module(old) is importlib.import_module(new)


def test_the_names_outside_code_takes_from_old_paths_are_there() -> None:
    """A FakeTracker on a ManualClock, the bridge's wiring, the CLI, the fake Telegram's parts."""
    from tracker_bridge.clock import ManualClock
    from tracker_bridge.commands.run import main as run
    from tracker_bridge.foundation.clock import ManualClock as moved_clock
    from tracker_bridge.testing.fake_telegram_state import World
    from tracker_bridge.wiring import Bridge, open_bridge

    assert ManualClock is moved_clock
    assert callable(run) and callable(open_bridge) and Bridge and World
'''


def write_old_paths_test() -> None:
    if not OLD_PATHS_TEST.exists():
        OLD_PATHS_TEST.write_text(OLD_PATHS_TEST_TEXT, encoding="utf-8")
        git("add", str(OLD_PATHS_TEST.relative_to(ROOT)))


def remove_left_directories() -> None:
    """A moved package's directory left with nothing but byte-code caches would still import as
    an empty namespace package: gone."""
    for old in PACKAGE_MOVES:
        directory = PKG / old
        if directory.is_dir() and all(p.name == "__pycache__" for p in directory.iterdir()):
            shutil.rmtree(directory)


LIMIT = 100  # ruff's line-length


def wrap_long_lines(path: Path) -> list[int]:
    """Lines the longer module names pushed over the limit: comments and docstrings are wrapped at
    the last space that fits (code is ruff format's); the numbers of lines still too long."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    prose = _prose_lines(text)
    out: list[str] = []
    left: list[int] = []
    for number, line in enumerate(lines, start=1):
        body = line.rstrip("\n")
        kind = prose.get(number)
        if body.lstrip().startswith("import ") and ", " in body:
            kind = "imports"  # one import line of several modules (code in a test's string)
        while len(body) > LIMIT and kind is not None:
            indent = len(body) - len(body.lstrip())
            if kind == "imports":
                cut = body.rfind(", ", 0, LIMIT) + 1
                lead = " " * indent + "import "
            else:
                cut = body.rfind(" ", 0, LIMIT + 1)
                lead = " " * indent + ("# " if kind == "comment" else "")
            if cut <= indent:
                break
            out.append(body[:cut].rstrip(" ,") + "\n")
            body = lead + body[cut + 1 :].lstrip()
        if len(body) > LIMIT and "tracker_bridge" in body:
            left.append(number)
        out.append(body + ("\n" if line.endswith("\n") else ""))
    new = "".join(out)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return left


def _prose_lines(text: str) -> dict[int, str]:
    """Line number -> "comment" or "docstring" for the lines that hold only prose."""
    kinds: dict[int, str] = {}
    previous = tokenize.NEWLINE
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT and token.line.lstrip().startswith("#"):
            kinds.setdefault(token.start[0], "comment")
        elif token.type == tokenize.STRING and previous in (
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.NL,
        ):
            for number in range(token.start[0], token.end[0] + 1):
                kinds[number] = "docstring"
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token.type
    return kinds


def main() -> int:
    check_flat_modules()
    rewrite_diagram()
    rewrite_architecture_doc()  # reads the old names: before any rewrite
    rewrite_readme()
    move_files()
    write_package_faces()
    changed = rewrite_references()
    write_old_paths()
    write_old_paths_test()
    remove_left_directories()
    changed += [OLD_PATHS, OLD_PATHS_TEST]
    tidy(changed)
    long_lines = {p: wrap_long_lines(p) for p in changed if p.suffix == ".py"}
    tidy(changed)
    for path, numbers in long_lines.items():
        for number in numbers:
            print(f"still over {LIMIT} columns: {path.relative_to(ROOT)}:{number}")
    print(f"rewrote references in {len(changed)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
