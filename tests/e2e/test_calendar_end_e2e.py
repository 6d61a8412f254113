"""The daemon warns months before the production calendar's data ends (R6, issue 14.4).

Through the whole wiring on the injected clock: the gauge tracker_bridge_calendar_data_days_left,
a note in /healthz (the daemon stays healthy) and the log event calendar.data_ending once a day,
all at the production default warn_days_ahead = 90.
"""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs

from tests.e2e.harness import World, msk, running_world

GAUGE = "tracker_bridge_calendar_data_days_left"


def days_left(world: World) -> float | None:
    return world.bridge.metrics.registry.get_sample_value(GAUGE)


def healthz(world: World) -> dict[str, object]:
    body: dict[str, object] = world.bridge.health.check(world.clock.now()).to_json()
    return body


async def test_r6_four_months_before_the_end_there_is_only_the_gauge(tmp_path: Path) -> None:
    """1 September 2027: 121 days left, no note, no warning."""
    with capture_logs() as logs:
        async with running_world(tmp_path, start="2027-09-01 11:00") as world:
            await world.settle()
            assert days_left(world) == 121
            assert healthz(world)["notes"] == {}
    assert [e for e in logs if e["event"] == "calendar.data_ending"] == []


async def test_r6_within_90_days_a_health_note_and_one_warning_a_day(tmp_path: Path) -> None:
    """15 October 2027: 77 days left; /healthz stays ok with a note; the log warns once that day
    and again the next day, naming the fix."""
    with capture_logs() as logs:
        async with running_world(tmp_path, start="2027-10-15 11:00") as world:
            await world.settle()
            assert days_left(world) == 77
            health = healthz(world)
            assert health["status"] == "ok"
            note = health["notes"]["calendar"]  # type: ignore[index]
            assert note.startswith("production calendar data ends on 2027-12-31, in 77 days")
            assert "calendar.decree_file" in note
            await world.settle()
            warned = [e for e in logs if e["event"] == "calendar.data_ending"]
            assert [(e["days_left"], e["log_level"]) for e in warned] == [(77, "warning")]
            await world.jump(msk("2027-10-16 11:00"))
            assert days_left(world) == 76
    warned = [e for e in logs if e["event"] == "calendar.data_ending"]
    assert [e["days_left"] for e in warned] == [77, 76]
    assert all("upgrade the holidays package" in e["fix"] for e in warned)
