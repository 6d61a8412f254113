"""calendar.decree_file: a decree newer than the holidays package extends the calendar (14.4).

The format (docs/operations.md, "The production calendar beyond its data") is checked as strictly
as the configuration: every problem is named, and a year with a problem is not used.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from tests.commands.world import run_cli, write_config
from tracker_bridge.config.decree_file import load_decrees
from tracker_bridge.config.regulation import CalendarSettings
from tracker_bridge.mail.maildir_source import ensure_maildir
from tracker_bridge.regulation.calendar import WorkCalendar
from tracker_bridge.testing.fake_tracker import FakeTracker
from tracker_bridge.testing.smtp import SmtpCapture

# A made-up 2028 decree in the real ones' shape: the fixed holidays that fall on weekdays, two
# days off moved from weekends (Mon 2028-01-10, Mon 2028-11-06), a worked Saturday, and the
# pre-holiday days it names (2028-06-09 stands for one the law would not derive).
DECREE_2028 = """\
[2028]
decree = "Постановление Правительства РФ (пример для тестов)"
days_off = [
  2028-01-03, 2028-01-04, 2028-01-05, 2028-01-06, 2028-01-07, 2028-01-10,
  2028-02-23, 2028-03-08, 2028-05-01, 2028-05-09, 2028-06-12, 2028-11-06,
]
working_days = [2028-12-30]
shortened_days = [2028-02-22, 2028-03-07, 2028-06-09]
"""


def decree_file(tmp_path: Path, text: str = DECREE_2028) -> Path:
    path = tmp_path / "decrees.toml"
    path.write_text(text, encoding="utf-8")
    return path


def calendar_with(path: Path) -> WorkCalendar:
    return CalendarSettings(decree_file=path).to_calendar()


def test_r6_a_decreed_year_is_authoritative_with_exactly_its_rules(tmp_path: Path) -> None:
    """2028 from the file: covered, its transfer and shortened days as written, nothing derived."""
    cal = calendar_with(decree_file(tmp_path))
    assert cal.covers(date(2028, 6, 1)) and cal.data_ends == date(2028, 12, 31)
    assert not cal.is_working_day(date(2028, 1, 10))  # a transferred day off
    assert cal.is_working_day(date(2028, 12, 30))  # a worked Saturday
    assert not cal.is_working_day(date(2028, 11, 6))
    assert cal.is_working_day(date(2028, 11, 3))  # the fallback would shorten it; the file does not
    assert cal.opening_hours(date(2028, 11, 3))[1].hour == 18  # type: ignore[index]
    assert cal.opening_hours(date(2028, 6, 9))[1].hour == 17  # type: ignore[index]
    assert cal.is_working_day(date(2027, 2, 20))  # the package's years are untouched


def test_without_the_file_2028_is_a_guess(tmp_path: Path) -> None:
    """The same dates from the fallback: Jan 10 worked, no transfers, data ends in 2027."""
    cal = WorkCalendar.default()
    assert not cal.covers(date(2028, 6, 1)) and cal.is_working_day(date(2028, 1, 10))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[2028]\ndays_off = []\n", "[2028] decree: name the decree"),
        (
            DECREE_2028.replace("2028-02-23,", "2028-02-23, 2027-12-30,"),
            "2027-12-30 is not in 2028",
        ),
        (DECREE_2028.replace("2028-02-23,", "2028-02-26,"), "days_off: 2028-02-26 is a Saturday"),
        (
            DECREE_2028.replace("2028-02-23,", ""),
            "2028-02-23 (Wednesday) is a holiday of the Labour",
        ),
        (DECREE_2028.replace("[2028-12-30]", "[2028-12-29]"), "2028-12-29 is a Friday, worked"),
        (DECREE_2028.replace("2028-06-09]", "2028-06-12]"), "shortened_days: 2028-06-12 is not a"),
        (DECREE_2028 + "colour = 1\n", "[2028] colour: unknown key"),
        (DECREE_2028.replace("days_off = [", 'days_off = ["2028-01-02", '), "a list of dates"),
        (
            DECREE_2028.replace("[2028]", "[2029]").replace("2028-", "2029-"),
            "2028 missing after 2027",
        ),
        (DECREE_2028.replace("[2028]", "[1999]"), "[1999]: a table per year from 2024"),
        ("", "no year in the file"),
        ("[2028\n", "is not valid TOML"),
    ],
)
def test_each_problem_of_the_file_is_named(tmp_path: Path, text: str, problem: str) -> None:
    """Wrong dates, keys, types, gaps and syntax: a ValueError naming the problem."""
    with pytest.raises(ValueError, match=re.escape(problem)):
        load_decrees(decree_file(tmp_path, text))


def test_a_missing_file_is_a_config_error_exit_78(tmp_path: Path) -> None:
    """`check` refuses a configuration whose decree file cannot be read, naming the key."""
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp, extra="")
        text = config.read_text(encoding="utf-8")
        config.write_text(text + f'\n[calendar]\ndecree_file = "{tmp_path / "absent.toml"}"\n')
        result = run_cli("check", "--config", str(config))
    assert result.code == 78
    assert "calendar.decree_file" in result.err and "absent.toml" in result.err


def test_check_warns_within_90_days_and_a_decree_file_ends_the_warning(tmp_path: Path) -> None:
    """On 2027-11-01 check shows ⚠ and its fix, exit 0; with the decree file, ✓ to 2028-12-31."""
    ensure_maildir(tmp_path / "Maildir")
    with FakeTracker() as tracker, SmtpCapture() as smtp:
        config = write_config(tmp_path, tracker, smtp)
        warned = run_cli("check", "--config", str(config), "--now", "2027-11-01T12:00+03:00")
        path = decree_file(tmp_path)
        config.write_text(
            config.read_text(encoding="utf-8") + f'\n[calendar]\ndecree_file = "{path}"\n'
        )
        extended = run_cli("check", "--config", str(config), "--now", "2027-11-01T12:00+03:00")
    assert warned.code == 0, warned.out
    assert (
        "Calendar\n  ⚠ production calendar data ends on 2027-12-31, in 60 days: working days "
        "after it will be a guess — upgrade the holidays package"
    ) in warned.out
    assert warned.out.endswith("All checks passed.\n1 warning(s): see ⚠ above.\n")
    assert extended.code == 0, extended.out
    assert "  ✓ production calendar: decrees up to 2028-12-31 (426 days ahead)" in extended.out
    assert extended.out.endswith("All checks passed.\n")
