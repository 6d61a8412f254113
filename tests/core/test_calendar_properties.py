"""Properties of the working-time arithmetic around every holiday and year boundary (R6, R17, R19).

Instants are drawn within a few days of each day off, transferred working day, shortened day and
New Year of 2024–2028, in several time zones; a day-by-day reference implementation built on
``opening_hours`` is the oracle for the table-based arithmetic.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core.test_calendar import OFFICIAL_SHORTENED
from tracker_bridge.regulation.calendar import WorkCalendar

ZERO = timedelta(0)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
ZONES = [None, UTC, timezone(timedelta(hours=5)), timezone(timedelta(hours=-8))]
_known = holidays.country_holidays("RU", years=range(2024, 2029), language="ru")
ANCHORS = sorted(
    set(_known)
    | _known.weekend_workdays
    | {date(y, m, d) for y in range(2024, 2029) for m, d in [(1, 1), (12, 31), (2, 22), (11, 2)]}
)

modest = settings(max_examples=200, deadline=None)
SHORTENED = sorted(d for days in OFFICIAL_SHORTENED.values() for d in days)


@cache
def calendar() -> WorkCalendar:
    return WorkCalendar.default()


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """An aware instant within three days of a special day, in one of several zones."""
    cal = calendar()
    anchor = draw(st.sampled_from(ANCHORS))
    shift = draw(st.integers(-3, 3))
    # any minute of the day, but often near an opening (10:00) or a close (17:00 or 18:00)
    minute = draw(st.one_of(st.integers(0, 1439), st.integers(595, 605), st.integers(1015, 1085)))
    micros = draw(st.sampled_from([0, 0, 0, 1, 999_999]))
    local = datetime(anchor.year, anchor.month, anchor.day, tzinfo=cal.tz) + shift * DAY
    moment = local + timedelta(minutes=minute, microseconds=micros)
    zone = draw(st.sampled_from(ZONES))
    return moment if zone is None else moment.astimezone(zone)


durations = st.integers(0, 60 * 60 * 60).map(lambda s: timedelta(seconds=s))
day_counts = st.integers(0, 25)


def reference_add_days(t: datetime, n: int) -> datetime:
    """Day by day: start at t (or the next opening), then the same offset n working days on."""
    cal = calendar()
    local = t.astimezone(cal.tz)
    day = local.date() - DAY
    while True:  # find the working period holding t, or the next one
        hours = cal.opening_hours(day)
        if hours and local < hours[1]:
            break
        day += DAY
    offset = max(ZERO, local - hours[0])
    while n:
        day += DAY
        n -= cal.is_working_day(day)
    opens, closes = cal.opening_hours(day) or (local, local)
    return min(opens + offset, closes)


def reference_between(a: datetime, b: datetime) -> timedelta:
    """Day by day: the overlap of [a, b) with each day's opening hours."""
    cal = calendar()
    total, day = ZERO, a.astimezone(cal.tz).date() - DAY
    while day <= b.astimezone(cal.tz).date():
        hours = cal.opening_hours(day)
        if hours:
            total += max(ZERO, min(hours[1], b) - max(hours[0], a))
        day += DAY
    return total


@modest
@given(instants(), day_counts)
def test_add_working_days_agrees_with_a_day_by_day_count(t: datetime, n: int) -> None:
    """R17/R19: the table arithmetic equals counting working days one by one."""
    assert calendar().add_working_days(t, n) == reference_add_days(t, n)


@modest
@given(instants(), instants())
def test_working_time_between_agrees_with_a_day_by_day_sum(a: datetime, b: datetime) -> None:
    """R6: working time equals the sum of each day's overlap with opening hours."""
    assert calendar().working_time_between(a, b) == (reference_between(a, b) if a < b else ZERO)


@modest
@given(instants(), instants(), day_counts)
def test_add_working_days_is_monotonic(t1: datetime, t2: datetime, n: int) -> None:
    """A later start never gives an earlier result."""
    t1, t2 = min(t1, t2), max(t1, t2)
    assert calendar().add_working_days(t1, n) <= calendar().add_working_days(t2, n)


@modest
@given(instants(), day_counts, day_counts)
def test_working_days_add_up_unless_clamped(t: datetime, a: int, b: int) -> None:
    """add(add(t, a), b) == add(t, a + b); only a clamp to a shortened day's close breaks it."""
    cal = calendar()
    middle = cal.add_working_days(t, a)
    if cal.is_working_time(middle):
        assert cal.add_working_days(middle, b) == cal.add_working_days(t, a + b)
    else:
        hours = cal.opening_hours(middle.date())
        assert hours is not None and middle == hours[1] and hours[1].hour == 17


@modest
@given(st.sampled_from(SHORTENED), st.integers(1, 12), st.integers(0, 59))
def test_a_late_start_is_clamped_to_a_shortened_targets_close(
    short: date, n: int, minute: int
) -> None:
    """17:xx on the n-th working day before a shortened day, + n days, is that day's 17:00."""
    cal = calendar()
    day, left = short, n
    while left:
        day -= DAY
        left -= cal.is_working_day(day)
    start = datetime(day.year, day.month, day.day, 17, minute, tzinfo=cal.tz)
    expected = datetime(short.year, short.month, short.day, 17, tzinfo=cal.tz)
    if cal.is_working_time(start):  # the start day may itself be shortened
        assert cal.add_working_days(start, n) == expected


@modest
@given(instants(), day_counts)
def test_working_day_results_are_aware_and_within_the_rules(t: datetime, n: int) -> None:
    """Results are in the calendar's zone, on a working day, inside its opening hours."""
    cal = calendar()
    result = cal.add_working_days(t, n)
    assert result.tzinfo is cal.tz and result >= t
    hours = cal.opening_hours(result.date())
    assert hours is not None and hours[0] <= result <= hours[1]


@modest
@given(instants(), durations, durations)
def test_working_time_adds_up(t: datetime, d1: timedelta, d2: timedelta) -> None:
    """add_time(add_time(t, d1), d2) == add_time(t, d1 + d2)."""
    cal = calendar()
    assert cal.add_working_time(cal.add_working_time(t, d1), d2) == cal.add_working_time(t, d1 + d2)


@modest
@given(instants(), durations)
def test_add_then_between_round_trips(t: datetime, d: timedelta) -> None:
    """between(t, add_time(t, d)) == d, and the result is the earliest such instant."""
    cal = calendar()
    result = cal.add_working_time(t, d)
    assert result.tzinfo is cal.tz
    assert cal.working_time_between(t, result) == d
    if d:
        assert cal.working_time_between(t, result - US) < d


@modest
@given(instants(), instants())
def test_between_then_add_round_trips(a: datetime, b: datetime) -> None:
    """add_time(a, between(a, b)) is b, or the last closing before b with nothing left between."""
    cal = calendar()
    a, b = min(a, b), max(a, b)
    reached = cal.add_working_time(a, cal.working_time_between(a, b))
    assert reached <= b and cal.working_time_between(reached, b) == ZERO


@modest
@given(instants(), instants(), instants())
def test_between_is_additive_over_a_split_point(a: datetime, c: datetime, b: datetime) -> None:
    """For a <= c <= b: between(a, b) == between(a, c) + between(c, b)."""
    cal = calendar()
    a, c, b = sorted([a, c, b])
    assert cal.working_time_between(a, b) == cal.working_time_between(
        a, c
    ) + cal.working_time_between(c, b)


@modest
@given(instants(), instants())
def test_working_intervals_sum_to_the_working_time(a: datetime, b: datetime) -> None:
    """The periods inside [a, b) are ordered, working, and add up to between(a, b)."""
    cal = calendar()
    periods = list(cal.working_intervals(a, b))
    assert sum((end - start for start, end in periods), ZERO) == cal.working_time_between(a, b)
    assert all(cal.is_working_time(start) and start < end for start, end in periods)
    assert all(p[1] < q[0] for p, q in itertools.pairwise(periods))


@modest
@given(instants())
def test_next_opening_is_the_first_working_instant(t: datetime) -> None:
    """next_opening(t) is working time with no working time between t and it."""
    cal = calendar()
    opening = cal.next_opening(t)
    assert opening.tzinfo is cal.tz and opening >= t
    assert cal.is_working_time(opening)
    assert cal.working_time_between(t, opening) == ZERO
    assert (opening == t) is cal.is_working_time(t)


@given(st.lists(instants(), min_size=0, max_size=12))
def test_working_time_steps_equal_pairwise_betweens(points: list[datetime]) -> None:
    """The batched form gives exactly what working_time_between gives pair by pair."""
    cal = calendar()
    expected = [cal.working_time_between(a, b) for a, b in itertools.pairwise(points)]
    assert cal.working_time_steps(points) == expected
