"""docs/operations.md and docs/cli.md say only what a real run produces (issue 12.2).

The names an on-call engineer is told to look for — metrics, log events, health loops, CLI
commands, settings — are read from the docs and checked against the code:

* metrics and ``/healthz`` are scraped from the real endpoint of a whole daemon that ran a
  day of trouble (tests/operations_run.py: IMAP on a real Dovecot killed and restarted, Tracker,
  SMTP and Telegram failing in every documented way, quarantine, refusal, a breach);
* log events are captured from structlog during that run;
* CLI commands against the real argument parser; settings against the settings model.

Both directions are checked where the code is the source: every metric the daemon exports and
every warning or error the run logged must be documented. Each failure says exactly what to
write, and where: other changes add metrics and events, and this test is what tells them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.operations_run import Produced, produce
from tests.test_config_docs import KEYS
from tracker_bridge.cli import build_parser
from tracker_bridge.testing.postgres import PostgresCluster

ROOT = Path(__file__).parent.parent
OPERATIONS = ROOT / "docs" / "operations.md"
CLI_DOC = ROOT / "docs" / "cli.md"
README = ROOT / "README.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
# the guides an operator reads: the names they give are checked against the run
NAMING_DOCS = [OPERATIONS, CLI_DOC, CONFIGURATION, README]

_ROW = re.compile(r"^\| `([^`]+)` \|(.*)$")
_TICKED = re.compile(r"`([^`\n]+)`")
_COMMAND = re.compile(r"tracker-bridge ([a-z][a-z-]+)")
_DOTTED = re.compile(r"^[a-z_]+(?:\[\])?(?:\.[a-z_]+)+$")
# file names and host names in backticks are neither settings nor events
_FILE_LIKE = re.compile(
    r"\.(md|toml|sqlite3|lock|service|cred|yml|yaml|json|txt|py|eml|conf|org|ru|net|com|uk)$"
)
_FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_METRIC = re.compile(r"\btracker_bridge_[a-z_]+[a-z]")
_SERIES_SUFFIX = re.compile(r"_(bucket|sum|count|created)$")
# dotted Python names in prose (`settings.mail.imap`, `tracker_bridge.config`): not events
_PYTHON_NAMES = {"settings", "tracker_bridge"}


@dataclass(frozen=True)
class Row:
    name: str
    cells: list[str]

    @property
    def ticked(self) -> set[str]:
        """Single words in backticks in the row's Meaning cell (the label values it names)."""
        meaning = self.cells[1] if len(self.cells) > 1 else ""
        return {w for w in _TICKED.findall(meaning) if re.fullmatch(r"[a-z_]+", w)}


def section(text: str, heading: str) -> str:
    """The text under ``heading`` (a ``#`` line), up to the next heading of the same level."""
    lines = text.splitlines()
    level = heading.split(" ", 1)[0]
    start = lines.index(heading) + 1
    end = next(
        (i for i in range(start, len(lines)) if re.match(rf"^#{{1,{len(level)}}} ", lines[i])),
        len(lines),
    )
    return "\n".join(lines[start:end])


def rows(text: str) -> list[Row]:
    """The rows of the markdown tables in ``text`` whose first cell is one name in backticks."""
    out = []
    for line in text.splitlines():
        if match := _ROW.match(line):
            out.append(Row(match[1], [c.strip() for c in match[2].split(" | ")]))
    return out


OPS = OPERATIONS.read_text(encoding="utf-8")
# every metric table of the guide (the general one, and those of optional parts: webhooks)
METRIC_ROWS = [r for r in rows(OPS) if r.name.startswith("tracker_bridge_")]
EVENT_ROWS = rows(section(OPS, "### Events to search for"))
LOOP_ROWS = rows(section(OPS, "## Health check: `/healthz`"))


@pytest.fixture(scope="module", name="run")
def fixture_run(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresCluster) -> Produced:
    return produce(tmp_path_factory.mktemp("operations"), postgres)


def test_the_docs_have_the_tables_this_test_reads() -> None:
    """If a heading moves, this test must move with it, not silently check nothing."""
    assert len(METRIC_ROWS) >= 10
    assert len(EVENT_ROWS) >= 10
    assert {r.name for r in LOOP_ROWS} >= {"intake", "outbox"}


class TestMetrics:
    @pytest.mark.parametrize("doc", NAMING_DOCS, ids=lambda p: p.name)
    def test_every_metric_named_anywhere_in_the_docs_has_its_row(self, doc: Path) -> None:
        """A metric named in prose or an example query is one of the table's (and so proven)."""
        rows = {r.name for r in METRIC_ROWS}
        named = {
            _SERIES_SUFFIX.sub("", n) for n in _METRIC.findall(doc.read_text(encoding="utf-8"))
        }
        stray = sorted(n for n in named if n not in rows and f"{n}_total" not in rows)
        assert not stray, (
            f"{doc.relative_to(ROOT)} names {stray}, which docs/operations.md's ## Metrics "
            "table does not list: add its row (the run then proves it), or fix the name."
        )

    def test_every_documented_metric_is_produced(self, run: Produced) -> None:
        missing = [r.name for r in METRIC_ROWS if r.name not in run.produced_metrics]
        assert not missing, "\n".join(
            f"docs/operations.md (## Metrics) lists `{name}`, but a whole end-to-end run never "
            "gave it a value: feed it in the code, or take its row out of the table."
            for name in missing
        )

    def test_every_documented_label_value_is_produced(self, run: Produced) -> None:
        """The single words in backticks of a metric's Meaning — `created`, `smtp`, `running` —
        are values of its labels (not its label names, not metric names), and each got a
        non-zero sample in the run."""
        missing = []
        for row in METRIC_ROWS:
            label_names = set(_TICKED.findall(row.cells[0]))
            values = set().union(*run.label_values.get(row.name, {}).values())
            for word in sorted(row.ticked - label_names):
                if not word.startswith("tracker_bridge_") and word not in values:
                    missing.append(f"`{row.name}` with a label equal to `{word}`")
        assert not missing, "\n".join(
            f"docs/operations.md (## Metrics) promises {what}, but the end-to-end run "
            "(tests/operations_run.py) never gave it a non-zero value: feed it, make the run "
            "provoke it, or take the word out of the row."
            for what in missing
        )

    def test_every_exported_metric_is_documented(self, run: Produced) -> None:
        documented = {r.name for r in METRIC_ROWS}
        extra = sorted(run.exported_metrics - documented)
        assert not extra, "\n".join(
            f"the daemon exports `{name}`, which docs/operations.md does not list: add a row to "
            f"its ## Metrics table: | `{name}` | type, labels | what it counts | what to do |"
            for name in extra
        )

    def test_health_loops_are_the_documented_ones_and_each_succeeded(self, run: Produced) -> None:
        documented = {r.name for r in LOOP_ROWS}
        served = set(run.healthz["loops"])
        assert served <= documented, (
            f"/healthz serves loops {sorted(served - documented)} that the ## Health check table "
            "of docs/operations.md does not explain: add a row for each."
        )
        assert documented <= served, (
            f"docs/operations.md's ## Health check table names {sorted(documented - served)}, "
            "which /healthz of a daemon with every part enabled never serves: remove the row(s)."
        )
        never = [n for n, loop in run.healthz["loops"].items() if loop["last_success"] is None]
        assert not never, f"loops that never succeeded in the whole run: {never}"


class TestHealthzBody:
    def test_every_healthz_field_the_doc_names_is_served(self, run: Produced) -> None:
        """`notes.calendar`, `loops` …: paths into the /healthz body exist in a real answer."""
        paths = {t for t in _TICKED.findall(OPS) if t.split(".")[0] in HEALTHZ_KEYS and "." in t}
        missing = []
        for path in sorted(paths):
            node: object = run.healthz
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                missing.append(path)
        assert not missing, f"docs/operations.md names /healthz fields never served: {missing}"


class TestEvents:
    def test_every_documented_event_is_logged(self, run: Produced) -> None:
        missing = [r.name for r in EVENT_ROWS if r.name not in run.events]
        assert not missing, "\n".join(
            f"docs/operations.md (### Events to search for) lists `{name}`, but the end-to-end "
            "run (tests/operations_run.py) never logged it: log it where it happens, make the run "
            "provoke it, or take its row out."
            for name in missing
        )

    def test_every_warning_or_error_logged_is_documented(self, run: Produced) -> None:
        documented = {r.name for r in EVENT_ROWS}
        extra = sorted(
            {e for e, levels in run.events.items() if levels & {"warning", "error", "critical"}}
            - documented
        )
        assert not extra, "\n".join(
            f"the run logged `{name}` at {'/'.join(sorted(run.events[name]))}, which "
            "docs/operations.md does not explain: add a row to its ### Events to search for "
            f"table: | `{name}` | level | what it means | what to do |"
            for name in extra
        )

    def test_events_are_logged_at_their_documented_level(self, run: Produced) -> None:
        wrong = []
        for row in EVENT_ROWS:
            documented = {w.strip() for w in row.cells[0].split(",")}
            logged = run.events.get(row.name, set())
            if logged - documented:
                wrong.append(
                    f"`{row.name}`: logged at {sorted(logged)}, documented {sorted(documented)}"
                )
        assert not wrong, "docs/operations.md's Level column disagrees with the log:\n" + "\n".join(
            wrong
        )

    @pytest.mark.parametrize("doc", NAMING_DOCS, ids=lambda p: p.name)
    def test_every_event_named_anywhere_in_the_docs_is_in_the_table(self, doc: Path) -> None:
        """A `word.word` in backticks that is neither a setting nor a file is an event: it must
        have its row in operations.md's table (and so be proven by the run) — whichever guide
        names it (cli.md, configuration.md and the README too)."""
        documented = {r.name for r in EVENT_ROWS}
        named = {
            token
            for token in _TICKED.findall(doc.read_text(encoding="utf-8"))
            if _DOTTED.match(token)
            and not _FILE_LIKE.search(token)
            and token not in KEYS
            and not _is_section(token)
            and token.split(".")[0] not in HEALTHZ_KEYS | _PYTHON_NAMES
        }
        stray = sorted(named - documented)
        assert not stray, (
            f"{doc.relative_to(ROOT)} names {stray} in backticks; each is neither a setting "
            "(tests/test_config_docs.py's keys) nor in docs/operations.md's ### Events to search "
            "for table: add a row for an event (and make tests/operations_run.py provoke it), or "
            "fix the setting's name."
        )


class TestCommandsAndSettings:
    def commands(self) -> set[str]:
        parser = build_parser()
        actions = [a for a in parser._actions if a.dest == "command"]
        return set(actions[0].choices) if actions else set()

    @pytest.mark.parametrize("doc", [OPERATIONS, CLI_DOC, README], ids=lambda p: p.name)
    def test_every_command_a_doc_names_exists(self, doc: Path) -> None:
        """``tracker-bridge NAME`` in code (blocks and inline) names a real subcommand."""
        text = doc.read_text(encoding="utf-8")
        code = "\n".join([*_FENCED.findall(text), *_TICKED.findall(_FENCED.sub("", text))])
        unknown = sorted(set(_COMMAND.findall(code)) - self.commands())
        assert not unknown, f"{doc.name} names `tracker-bridge {unknown}`, which the CLI lacks"

    def test_every_command_has_its_section_in_cli_md(self) -> None:
        text = CLI_DOC.read_text(encoding="utf-8")
        headings = re.findall(r"^## (.*)$", text, re.MULTILINE)
        headed = {
            word for h in headings for code in _TICKED.findall(h) for word in code.split()[:1]
        }
        missing = sorted(self.commands() - headed)
        assert not missing, (
            f"docs/cli.md has no section for {missing}: add '## `NAME …` — what it does' with "
            "its usage, options and exit codes."
        )

    def test_every_setting_a_doc_names_exists(self) -> None:
        """A dotted name in backticks under a top-level key (`tracker.concurrency`) that is not
        a documented event is a setting, and must exist."""
        events = {r.name for r in EVENT_ROWS}
        for doc in (OPERATIONS, CLI_DOC):
            text = doc.read_text(encoding="utf-8")
            named = {
                t
                for t in _TICKED.findall(text)
                if _DOTTED.match(t) and t.split(".")[0].rstrip("[]") in TOP_LEVEL
            }
            unknown = sorted(n for n in named - events if n not in KEYS and not _is_section(n))
            assert not unknown, (
                f"{doc.name} names settings that do not exist: {unknown} (see "
                "docs/configuration.md for the real keys; an event needs its row in "
                "operations.md's ### Events to search for)"
            )


HEALTHZ_KEYS = {"status", "stale", "loops", "notes"}  # the /healthz body's top level
TOP_LEVEL = {key.split(".")[0].rstrip("[]") for key in KEYS}


def _is_section(name: str) -> bool:
    return any(key.startswith(name + ".") for key in KEYS)
