"""The working calendar: the production calendar's days and the working-time arithmetic (R6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from tests.shared_corpus import corpus, needs_corpus
from tracker_bridge.regulation.calendar import SpecialDays, WorkCalendar
from tracker_bridge.regulation.production_calendar import russian_fallback

CORPUS = corpus("calendar")  # published day-by-day flags, where the shared corpus is present
FACTS = json.loads(
    (
        Path(__file__).resolve().parent.parent / "data" / "calendar" / "ru_production_calendar.json"
    ).read_text(encoding="utf-8")
)["years"]
MSK = ZoneInfo("Europe/Moscow")
H = timedelta(hours=1)

# The official shortened pre-holiday days (ConsultantPlus via d10xa/holidays-calendar).
OFFICIAL_SHORTENED = {
    2024: [
        date(2024, 2, 22),
        date(2024, 3, 7),
        date(2024, 5, 8),
        date(2024, 6, 11),
        date(2024, 11, 2),
    ],
    2025: [date(2025, 3, 7), date(2025, 4, 30), date(2025, 6, 11), date(2025, 11, 1)],
    2026: [date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)],
    2027: [date(2027, 2, 20), date(2027, 4, 30), date(2027, 6, 11), date(2027, 11, 3)],
}


@cache
def default() -> WorkCalendar:
    return WorkCalendar.default()


@pytest.fixture
def cal() -> WorkCalendar:
    return default()


def msk(y: int, mo: int, d: int, h: int = 0, mi: int = 0, *, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=MSK)


def hours(day: date, opens: int, closes: int) -> tuple[datetime, datetime]:
    return msk(day.year, day.month, day.day, opens), msk(day.year, day.month, day.day, closes)


def days_of(year: int) -> list[date]:
    return [
        date(year, 1, 1) + timedelta(days=i) for i in range(date(year, 12, 31).timetuple().tm_yday)
    ]


def working_by_the_facts(year: int) -> list[int]:
    """Each day of ``year``: 1 when the project's calendar facts make it a working day."""
    facts = FACTS[str(year)]
    off = {date.fromisoformat(d) for d in facts["weekday_days_off"]}
    working_weekend = {date.fromisoformat(d) for d in facts["working_weekend_days"]}
    return [int((d.weekday() < 5 and d not in off) or d in working_weekend) for d in days_of(year)]


class TestProductionCalendar:
    @pytest.mark.parametrize("year", sorted(map(int, FACTS)))
    def test_every_day_is_as_the_decrees_say(self, cal: WorkCalendar, year: int) -> None:
        """R6: each day of 2024–2026 is working as the decrees' days off and transfers say."""
        assert [int(cal.is_working_day(d)) for d in days_of(year)] == working_by_the_facts(year)
        assert sum(working_by_the_facts(year)) == FACTS[str(year)]["working_days"]

    @needs_corpus
    @pytest.mark.parametrize("year", sorted(map(int, FACTS)))
    def test_the_facts_agree_with_the_published_calendar(self, year: int) -> None:
        """The project's own calendar facts say what the corpus's published flags say."""
        flags = json.loads((CORPUS / f"tochka__ru_{year}.json").read_text(encoding="utf-8"))
        assert working_by_the_facts(year) == flags

    @needs_corpus
    @pytest.mark.parametrize("year", [2024, 2025, 2026])
    def test_every_day_matches_the_published_calendar(self, cal: WorkCalendar, year: int) -> None:
        """R6: each day of 2024–2026 is working exactly when the published calendar says so."""
        flags = json.loads((CORPUS / f"tochka__ru_{year}.json").read_text(encoding="utf-8"))
        assert [int(cal.is_working_day(d)) for d in days_of(year)] == flags

    @pytest.mark.parametrize(("year", "count"), [(2024, 248), (2025, 247), (2026, 247)])
    def test_yearly_working_day_counts(self, cal: WorkCalendar, year: int, count: int) -> None:
        """R6: 248, 247 and 247 working days in 2024, 2025 and 2026."""
        assert sum(map(cal.is_working_day, days_of(year))) == count

    def test_2027_transfers_saturday_feb_20_to_monday_feb_22(self, cal: WorkCalendar) -> None:
        """R6: the 2027 decree makes Saturday Feb 20 a working day and Monday Feb 22 a day off."""
        assert cal.is_working_day(date(2027, 2, 20))
        assert not cal.is_working_day(date(2027, 2, 22))

    @pytest.mark.parametrize("year", sorted(OFFICIAL_SHORTENED))
    def test_derived_shortened_days_are_the_official_ones(
        self, cal: WorkCalendar, year: int
    ) -> None:
        """Labour Code art. 95: exactly the official pre-holiday days close at 17:00."""
        short = [
            d for d in days_of(year) if (hours := cal.opening_hours(d)) and hours[1].hour == 17
        ]
        assert short == OFFICIAL_SHORTENED[year]

    @pytest.mark.parametrize(
        "day",
        [date(2024, 12, 28), date(2024, 4, 27), date(2026, 2, 20), date(2026, 3, 6)],
    )
    def test_days_before_transferred_or_observed_days_off_are_full(
        self, cal: WorkCalendar, day: date
    ) -> None:
        """A working day followed by transferred days off (not a holiday) is not shortened."""
        assert cal.opening_hours(day) == hours(day, 10, 18)

    def test_december_31_that_is_a_day_off_is_not_shortened(self, cal: WorkCalendar) -> None:
        """2026-12-31 is a transferred day off: no opening hours at all."""
        assert cal.opening_hours(date(2026, 12, 31)) is None

    def test_a_shortened_working_saturday_opens_10_to_17(self, cal: WorkCalendar) -> None:
        """R6: Saturday 2024-11-02 is worked, one hour shorter."""
        assert cal.opening_hours(date(2024, 11, 2)) == (msk(2024, 11, 2, 10), msk(2024, 11, 2, 17))

    def test_the_fallback_derives_only_the_day_before_a_fixed_holiday(self) -> None:
        """A year without a decree: art. 112 holidays off, the day before them shortened."""
        guess = russian_fallback(2029, weekdays=frozenset(range(5)))
        assert date(2029, 1, 8) in guess.days_off and date(2029, 11, 5) not in guess.days_off
        assert guess.shortened_days == {
            date(2029, 2, 22), date(2029, 3, 7), date(2029, 4, 30), date(2029, 5, 8),
            date(2029, 6, 11), date(2029, 12, 31),
        }  # fmt: skip
        assert guess.working_days == frozenset()


class TestWorkingDays:
    def test_saturday_noon_plus_one_working_day_is_tuesday_opening(self, cal: WorkCalendar) -> None:
        """R17: outside hours counting starts at the next opening (Mon 10:00): +1 is Tue 10:00."""
        assert cal.add_working_days(msk(2025, 3, 15, 12), 1) == msk(2025, 3, 18, 10)

    def test_friday_plus_one_day_skips_the_weekend_and_a_holiday(self, cal: WorkCalendar) -> None:
        """R17: Fri 2026-02-20 17:00 + 1 working day is Tue Feb 24 17:00 (Mon Feb 23: holiday)."""
        assert cal.add_working_days(msk(2026, 2, 20, 17), 1) == msk(2026, 2, 24, 17)

    def test_new_year_holidays_are_skipped(self, cal: WorkCalendar) -> None:
        """R17: 2025-12-30 + 1 working day is 2026-01-12 (Dec 31 to Jan 11 are off)."""
        assert cal.add_working_days(msk(2025, 12, 30, 12), 1) == msk(2026, 1, 12, 12)

    def test_r19_ten_working_days_across_the_may_holidays(self, cal: WorkCalendar) -> None:
        """R19: entering a paused status Mon 2025-04-28 15:00 expires on Fri 2025-05-16 15:00."""
        assert cal.add_working_days(msk(2025, 4, 28, 15), 10) == msk(2025, 5, 16, 15)

    def test_a_late_time_is_clamped_to_a_shortened_days_close(self, cal: WorkCalendar) -> None:
        """Fri 2024-11-01 17:30 + 1 lands on the shortened Saturday Nov 2: at its 17:00 close."""
        assert cal.add_working_days(msk(2024, 11, 1, 17, 30), 1) == msk(2024, 11, 2, 17)

    def test_zero_days_is_the_instant_itself_or_the_next_opening(self, cal: WorkCalendar) -> None:
        """n == 0 keeps a working instant and moves any other one to the next opening."""
        assert cal.add_working_days(msk(2025, 3, 14, 12), 0) == msk(2025, 3, 14, 12)
        assert cal.add_working_days(msk(2025, 3, 14, 18), 0) == msk(2025, 3, 17, 10)

    def test_negative_days_are_refused(self, cal: WorkCalendar) -> None:
        """Counting backwards is not defined: ValueError."""
        with pytest.raises(ValueError, match="negative"):
            cal.add_working_days(msk(2025, 3, 14, 12), -1)

    def test_utc_inputs_give_moscow_results(self, cal: WorkCalendar) -> None:
        """Inputs in any zone work; results are in the calendar's zone."""
        result = cal.add_working_days(datetime(2025, 3, 14, 9, 30, tzinfo=UTC), 1)
        assert result == msk(2025, 3, 17, 12, 30)
        assert result.tzinfo is cal.tz

    def test_microseconds_survive_the_arithmetic(self, cal: WorkCalendar) -> None:
        """Sub-second inputs keep their microseconds exactly."""
        start = datetime(2025, 3, 14, 9, 30, 1, 123456, tzinfo=UTC)
        assert cal.add_working_days(start, 3) == msk(2025, 3, 19, 12, 30, s=1, us=123456)


class TestWorkingTime:
    def test_add_hours_across_a_weekend(self, cal: WorkCalendar) -> None:
        """R10 (working-hours unit): Fri 16:00 + 4 working hours is Mon 12:00."""
        assert cal.add_working_hours(msk(2025, 3, 14, 16), 4) == msk(2025, 3, 17, 12)

    def test_add_hours_across_a_shortened_day_and_a_holiday(self, cal: WorkCalendar) -> None:
        """Thu 2025-03-06 16:00 + 10 h: 2 h Thu, 7 h on short Fri Mar 7, 1 h on Mon Mar 10."""
        assert cal.add_working_hours(msk(2025, 3, 6, 16), 10) == msk(2025, 3, 10, 11)

    def test_the_earliest_instant_may_be_a_closing_time(self, cal: WorkCalendar) -> None:
        """Mon 16:00 + 2 working hours is Mon 18:00, not Tue 10:00."""
        assert cal.add_working_time(msk(2025, 3, 17, 16), 2 * H) == msk(2025, 3, 17, 18)

    def test_adding_nothing_keeps_the_instant(self, cal: WorkCalendar) -> None:
        """A zero duration returns the same instant, in the calendar's zone."""
        start = datetime(2025, 3, 15, 9, tzinfo=UTC)
        assert cal.add_working_time(start, timedelta(0)) == start

    def test_negative_durations_are_refused(self, cal: WorkCalendar) -> None:
        """Subtracting working time is not defined: ValueError."""
        with pytest.raises(ValueError, match="negative"):
            cal.add_working_time(msk(2025, 3, 14, 12), -H)

    def test_between_on_a_shortened_day_is_seven_hours(self, cal: WorkCalendar) -> None:
        """The whole of Thu 2024-02-22 (pre-holiday) holds 7 working hours."""
        assert cal.working_time_between(msk(2024, 2, 22), msk(2024, 2, 23)) == 7 * H

    def test_between_over_a_week_with_a_holiday(self, cal: WorkCalendar) -> None:
        """R17: the week of 2024-06-10 has 8 + 7 (Jun 11) + 0 (Jun 12) + 8 + 8 hours."""
        assert cal.working_time_between(msk(2024, 6, 10), msk(2024, 6, 15)) == 31 * H

    def test_between_reversed_is_zero(self, cal: WorkCalendar) -> None:
        """b <= a: no working time (so a passed deadline has nothing remaining)."""
        assert cal.working_time_between(msk(2025, 3, 18, 12), msk(2025, 3, 17, 12)) == timedelta(0)

    def test_between_accepts_utc(self, cal: WorkCalendar) -> None:
        """07:00–15:00 UTC is 10:00–18:00 in Moscow: a full working day."""
        a, b = datetime(2025, 3, 17, 7, tzinfo=UTC), datetime(2025, 3, 17, 15, tzinfo=UTC)
        assert cal.working_time_between(a, b) == 8 * H


class TestInstants:
    @pytest.mark.parametrize(
        ("moment", "working"),
        [
            (msk(2025, 3, 17, 10), True),
            (msk(2025, 3, 17, 17, 59, s=59), True),
            (msk(2025, 3, 17, 18), False),
            (msk(2025, 3, 17, 9, 59), False),
            (msk(2025, 3, 7, 17, 30), False),  # shortened
            (msk(2025, 3, 15, 12), False),  # Saturday
            (msk(2025, 1, 3, 12), False),  # New Year holidays
            (msk(2024, 11, 2, 12), True),  # working Saturday
        ],
    )
    def test_is_working_time(self, cal: WorkCalendar, moment: datetime, working: bool) -> None:
        """R6: half-open 10:00–18:00 on working days only."""
        assert cal.is_working_time(moment) is working

    def test_next_opening(self, cal: WorkCalendar) -> None:
        """A working instant is its own next opening; a closing time moves to the next morning."""
        assert cal.next_opening(msk(2025, 3, 17, 12)) == msk(2025, 3, 17, 12)
        assert cal.next_opening(msk(2025, 3, 17, 18)) == msk(2025, 3, 18, 10)
        assert cal.next_opening(msk(2025, 12, 30, 19)) == msk(2026, 1, 12, 10)

    def test_working_intervals_split_a_span(self, cal: WorkCalendar) -> None:
        """The working periods inside Fri 15:00 – Tue 12:00, clipped to the span."""
        got = list(cal.working_intervals(msk(2025, 3, 14, 15), msk(2025, 3, 18, 12)))
        assert got == [
            (msk(2025, 3, 14, 15), msk(2025, 3, 14, 18)),
            (msk(2025, 3, 17, 10), msk(2025, 3, 17, 18)),
            (msk(2025, 3, 18, 10), msk(2025, 3, 18, 12)),
        ]

    def test_working_intervals_of_an_empty_or_idle_span(self, cal: WorkCalendar) -> None:
        """Nothing for a reversed span or a span inside a weekend."""
        assert list(cal.working_intervals(msk(2025, 3, 18), msk(2025, 3, 17))) == []
        assert list(cal.working_intervals(msk(2025, 3, 15), msk(2025, 3, 16))) == []


class TestArguments:
    NAIVE = datetime(2025, 3, 17, 12)
    CALLS: ClassVar[dict[str, Callable[[WorkCalendar, datetime], object]]] = {
        "is_working_time": lambda c, t: c.is_working_time(t),
        "next_opening": lambda c, t: c.next_opening(t),
        "add_working_days": lambda c, t: c.add_working_days(t, 1),
        "add_working_hours": lambda c, t: c.add_working_hours(t, 1.5),
        "add_working_time": lambda c, t: c.add_working_time(t, H),
        "between (a)": lambda c, t: c.working_time_between(t, msk(2025, 3, 18)),
        "between (b)": lambda c, t: c.working_time_between(msk(2025, 3, 16), t),
        "working_intervals": lambda c, t: c.working_intervals(t, msk(2025, 3, 18)),
    }

    @pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
    def test_naive_datetimes_are_refused(
        self, cal: WorkCalendar, call: Callable[[WorkCalendar, datetime], object]
    ) -> None:
        """Every instant must be time-zone aware: a naive one raises ValueError at once."""
        with pytest.raises(ValueError, match="aware"):
            call(cal, self.NAIVE)


class TestBeyondTheData:
    def test_covers_only_the_authoritative_years(self, cal: WorkCalendar) -> None:
        """covers() is False outside 2024–2027, so the shell can warn."""
        assert cal.covers(date(2024, 1, 1)) and cal.covers(date(2027, 12, 31))
        assert not cal.covers(date(2023, 12, 31)) and not cal.covers(date(2028, 1, 1))

    def test_a_later_year_falls_back_to_fixed_holidays(self) -> None:
        """2030: New Year holidays off, Jan 9 working (no decree known), Dec 31 shortened."""
        cal = WorkCalendar.default()
        assert not cal.is_working_day(date(2030, 1, 8))
        assert cal.is_working_day(date(2030, 1, 9))
        assert cal.opening_hours(date(2030, 12, 31)) == (
            msk(2030, 12, 31, 10),
            msk(2030, 12, 31, 17),
        )

    def test_counting_runs_across_the_end_of_the_data(self) -> None:
        """R17: from the last days of 2027 into the fallback year 2028 without a crash."""
        start = msk(2027, 12, 30, 12)
        assert WorkCalendar.default().add_working_days(start, 1) == msk(2028, 1, 10, 12)
        assert WorkCalendar.default().add_working_time(start, 7 * H) == msk(2028, 1, 10, 11)

    def test_far_years_in_both_directions(self) -> None:
        """1990 and 2100 are answered (tables grow both ways), and agree with a fresh calendar."""
        cal = WorkCalendar.default()
        assert cal.add_working_days(msk(2100, 3, 5, 12), 1) == msk(2100, 3, 9, 12)
        assert cal.is_working_time(msk(1995, 3, 6, 12))
        span = cal.working_time_between(msk(1995, 3, 6), msk(2100, 3, 6))
        assert span == WorkCalendar.default().working_time_between(msk(1995, 3, 6), msk(2100, 3, 6))

    def test_without_authoritative_years_every_year_is_a_guess(self) -> None:
        """years=range(0): nothing is covered, the fallback still knows New Year."""
        cal = WorkCalendar.default(years=range(0))
        assert not cal.covers(date(2025, 1, 9))
        assert not cal.is_working_day(date(2025, 1, 8)) and cal.is_working_day(date(2025, 1, 9))

    def test_the_end_of_datetime_is_an_overflow(self) -> None:
        """Beyond year 9999 there is nothing to count: OverflowError, not a hang."""
        cal = WorkCalendar(timezone="UTC", covered_years=range(9999, 10000))
        assert cal.add_working_days(datetime(9999, 12, 29, 12, tzinfo=UTC), 1) == datetime(
            9999, 12, 30, 12, tzinfo=UTC
        )
        with pytest.raises(OverflowError):
            cal.add_working_days(datetime(9999, 12, 29, 12, tzinfo=UTC), 5)


class TestOverrides:
    def test_extra_days_off_and_working_days_from_config(self) -> None:
        """A decree newer than the package: Tue 2025-12-30 off, Sat 2025-12-27 worked."""
        cal = WorkCalendar.default(
            extra_days_off=[date(2025, 12, 30)], extra_working_days=[date(2025, 12, 27)]
        )
        assert not cal.is_working_day(date(2025, 12, 30))
        assert cal.is_working_day(date(2025, 12, 27))
        assert cal.add_working_days(msk(2025, 12, 26, 12), 1) == msk(2025, 12, 27, 12)

    def test_a_date_cannot_be_both_off_and_working(self) -> None:
        """Contradicting overrides are a config error."""
        with pytest.raises(ValueError, match="both"):
            WorkCalendar.default(
                extra_days_off=[date(2025, 3, 3)], extra_working_days=[date(2025, 3, 3)]
            )

    def test_explicit_shortened_days_replace_the_derived_ones(self) -> None:
        """shortened_days given: only those close early."""
        cal = WorkCalendar.default(shortened_days=[date(2025, 3, 6)])
        assert cal.opening_hours(date(2025, 3, 6)) == (msk(2025, 3, 6, 10), msk(2025, 3, 6, 17))
        assert cal.opening_hours(date(2025, 3, 7)) == (msk(2025, 3, 7, 10), msk(2025, 3, 7, 18))

    def test_unshortened_days_remove_a_derived_one(self) -> None:
        """unshortened_days makes a derived pre-holiday day a full day again."""
        cal = WorkCalendar.default(unshortened_days=[date(2025, 4, 30)])
        assert cal.opening_hours(date(2025, 4, 30)) == (msk(2025, 4, 30, 10), msk(2025, 4, 30, 18))
        assert cal.opening_hours(date(2025, 3, 7)) == (msk(2025, 3, 7, 10), msk(2025, 3, 7, 17))

    def test_a_shortened_day_off_is_a_config_error(self) -> None:
        """A day off cannot close early."""
        with pytest.raises(ValueError, match="shortened"):
            WorkCalendar.default(shortened_days=[date(2025, 1, 1)])

    def test_config_overrides_beat_the_fallback(self) -> None:
        """An extra day in an uncovered year wins over the guess for that year."""
        cal = WorkCalendar.default(
            extra_working_days=[date(2030, 1, 2)], extra_days_off=[date(2030, 2, 22)]
        )
        assert cal.is_working_day(date(2030, 1, 2))
        assert cal.opening_hours(date(2030, 2, 22)) is None

    def test_other_hours_and_weekdays(self) -> None:
        """A six-day week 09:00–17:00 moves the opening and counts Saturdays."""
        cal = WorkCalendar.default(opens=time(9), closes=time(17), weekdays=range(6))
        assert cal.next_opening(msk(2025, 3, 14, 17)) == msk(2025, 3, 15, 9)


class TestSyntheticCalendar:
    def make(self) -> WorkCalendar:
        return WorkCalendar(
            timezone="UTC",
            opens=time(9),
            closes=time(17),
            weekdays=(0, 1, 2, 3),
            days_off=[date(2030, 1, 1)],
            working_days=[date(2030, 1, 5)],
            shortened_days=[date(2030, 1, 3)],
            shortened_by=timedelta(hours=2),
        )

    def test_explicit_rules_describe_the_whole_calendar(self) -> None:
        """Days off, working days and shortened days apply as given; Fridays are off."""
        cal = self.make()
        week = [cal.is_working_day(date(2030, 1, d)) for d in range(1, 8)]
        assert week == [False, True, True, False, True, False, True]
        assert cal.opening_hours(date(2030, 1, 3)) == (
            datetime(2030, 1, 3, 9, tzinfo=UTC),
            datetime(2030, 1, 3, 15, tzinfo=UTC),
        )
        assert cal.covers(date(1, 1, 1)) and cal.covers(date(9999, 1, 1))

    def test_arithmetic_on_the_synthetic_calendar(self) -> None:
        """Wed 12:00 + 1 day is Thu 12:00, + 2 the working Saturday; 10 h end on short Thursday."""
        cal = self.make()
        start = datetime(2030, 1, 2, 12, tzinfo=UTC)
        assert cal.add_working_days(start, 1) == datetime(2030, 1, 3, 12, tzinfo=UTC)
        assert cal.add_working_days(start, 2) == datetime(2030, 1, 5, 12, tzinfo=UTC)
        assert cal.add_working_time(start, 10 * H) == datetime(2030, 1, 3, 14, tzinfo=UTC)
        assert cal.add_working_time(start, 12 * H) == datetime(2030, 1, 5, 10, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"weekdays": ()}, "weekdays"),
            ({"weekdays": (0, 7)}, "weekdays"),
            ({"opens": time(18), "closes": time(10)}, "opens"),
            ({"closes": time(10, 30)}, "opens"),
            ({"days_off": [date(2030, 1, 7)], "working_days": [date(2030, 1, 7)]}, "both"),
            ({"shortened_days": [date(2030, 1, 5)]}, "shortened"),
        ],
    )
    def test_impossible_rules_are_refused(self, kwargs: dict[str, object], match: str) -> None:
        """Rules that cannot describe a working week raise ValueError."""
        with pytest.raises(ValueError, match=match):
            WorkCalendar(**kwargs)  # type: ignore[arg-type]

    def test_a_custom_fallback_fills_uncovered_years(self) -> None:
        """fallback() rules apply only to years outside covered_years."""

        def guess(year: int) -> SpecialDays:
            return SpecialDays(days_off=frozenset({date(year, 6, 3)}))

        cal = WorkCalendar(covered_years=range(2025, 2026), fallback=guess)
        assert cal.is_working_day(date(2025, 6, 3))  # a Tuesday in a covered year
        assert not cal.is_working_day(date(2026, 6, 3))  # a Wednesday the guess takes off

    def test_a_zone_with_daylight_saving_keeps_wall_clock_hours(self) -> None:
        """Berlin switches to summer time on Sun 2025-03-30: Friday noon + 1 is Monday noon."""
        cal = WorkCalendar(timezone="Europe/Berlin")
        berlin = ZoneInfo("Europe/Berlin")
        friday = datetime(2025, 3, 28, 12, tzinfo=berlin)
        monday = cal.add_working_days(friday, 1)
        assert monday == datetime(2025, 3, 31, 12, tzinfo=berlin)
        assert monday.astimezone(UTC) - friday.astimezone(UTC) == timedelta(days=3, hours=-1)
        span = cal.working_time_between(friday, datetime(2025, 3, 31, 18, tzinfo=berlin))
        assert span == 14 * H

    def test_repr_names_the_zone_and_hours(self) -> None:
        """The repr is enough to recognise the calendar in a log line."""
        assert repr(self.make()) == (
            "WorkCalendar(UTC, 09:00-17:00, weekdays=[0, 1, 2, 3], covered_years=range(1, 10000))"
        )
