"""The optimizer's typed day (planner.optimize.Day) and the benchmark JSON adapter around it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from planner.board import SessionKind
from planner.intervals import Interval
from planner.optimize import (
    Day,
    DayError,
    DayInfusion,
    DayPatient,
    DayRoom,
    DayTherapist,
    optimize,
)
from planner.optimize.instance import InstanceError, plan_instance, read_instance
from planner.protocol import DEFAULT_PROTOCOL
from tests.optimize_support import at, instance, one_patient, run_check, therapist

NY = ZoneInfo("America/New_York")
DAY = date(2026, 3, 10)


def wall(hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 3, 10, hours, minutes, tzinfo=NY)


REHAB = SessionKind("rehab", timedelta(minutes=45), "physio", "spinogenesis", "gym")
TRAINING = SessionKind("training", timedelta(minutes=60), "cognitive", "peak", "quiet")


def typed_day(**changes: Any) -> Day:
    """Two patients' infusions at 08:00 (UTC instants), database-like ids.

    Windows (the default protocol, anchor at the end, 08:40): rehab 10:40-12:40; training
    11:40-13:40 with its target at 12:40.
    """
    fields: dict[str, Any] = {
        "date": DAY,
        "zone": NY,
        "protocol": DEFAULT_PROTOCOL,
        "session_types": (REHAB, TRAINING),
        "therapists": (
            DayTherapist(17, frozenset({"physio"}), (Interval(wall("07:00"), wall("21:00")),)),
            DayTherapist(
                42,
                frozenset({"cognitive", "physio"}),
                (Interval(wall("07:00"), wall("21:00")),),
                buffer=timedelta(minutes=10),
                daily_limit=3,
            ),
        ),
        "rooms": (DayRoom(5, "gym"), DayRoom(6, "quiet")),
        "infusions": (
            DayInfusion(301, 9, wall("08:00").astimezone(UTC), timedelta(minutes=40), ("rehab",)),
            DayInfusion(
                302, 11, wall("08:00").astimezone(UTC), timedelta(minutes=40), ("rehab", "training")
            ),
        ),
    }
    fields.update(changes)
    return Day(**fields)


def test_a_typed_day_is_planned_with_its_own_ids_and_aware_times() -> None:
    plan = optimize(typed_day(), time_limit_s=0.5, solver="heuristic")
    assert plan.objective.placed == 3 and not plan.unplaced
    by_item = {(s.infusion_id, s.session_type): s for s in plan.sessions}
    assert set(by_item) == {(301, "rehab"), (302, "rehab"), (302, "training")}
    assert by_item[(302, "training")].therapist_id == 42  # the only cognitive therapist
    assert by_item[(302, "training")].room_id == 6
    assert {by_item[(i, "rehab")].room_id for i in (301, 302)} == {5}  # one gym
    for s in plan.sessions:
        assert s.start.tzinfo is not None and s.start.utcoffset() == timedelta(hours=-4)
        assert s.end - s.start == (REHAB if s.session_type == "rehab" else TRAINING).duration
    training = by_item[(302, "training")]
    assert training.start + (training.end - training.start) / 2 == wall("12:40")  # on target


def test_a_typed_day_respects_its_live_state() -> None:
    """Booked time, the patient's other appointments and not_before, all as datetimes."""
    busy = Interval(wall("10:00"), wall("11:50"))
    day = typed_day(
        therapists=(
            DayTherapist(
                17, frozenset({"physio"}), (Interval(wall("07:00"), wall("21:00")),), booked=(busy,)
            ),
        ),
        session_types=(REHAB,),
        infusions=(
            DayInfusion(301, 9, wall("08:00"), timedelta(minutes=40), ("rehab",)),
            DayInfusion(302, 11, wall("08:00"), timedelta(minutes=40), ("rehab",)),
        ),
        patients=(DayPatient(11, (Interval(wall("11:00"), wall("12:40")),)),),
        not_before=wall("09:00"),
    )
    plan = optimize(day, time_limit_s=0.3, solver="heuristic")
    assert [(s.infusion_id, s.start) for s in plan.sessions] == [(301, wall("11:50"))]
    assert [(u.infusion_id, u.code) for u in plan.unplaced] == [(302, "patient_busy")]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"grid_minutes": 0}, "grid_minutes: must be at least 1"),
        ({"not_before": datetime(2026, 3, 10, 9, 0)}, "not_before: 2026-03-10T09:00:00 has no"),
        ({"session_types": (REHAB,)}, "infusions[1]: unknown session type 'training'"),
        (
            {"session_types": (SessionKind("x", timedelta(minutes=5), "p", "nowhere"),)},
            "session_types[0]: unknown window 'nowhere'",
        ),
        (
            {"session_types": (SessionKind("x", timedelta(seconds=90), "p", "peak"),)},
            "session_types[0].duration: 0:01:30 is not a whole number of minutes",
        ),
        (
            {
                "rooms": (
                    DayRoom(
                        5, "gym", (Interval(wall("09:00"), wall("09:30") + timedelta(seconds=1)),)
                    ),
                )
            },
            "rooms[0].booked[0]: 2026-03-10T09:30:01-04:00 is not a whole minute",
        ),
        (
            {"therapists": (DayTherapist(1, frozenset(), (), daily_limit=-1),)},
            "therapists[0].daily_limit: must be at least 0",
        ),
    ],
)
def test_a_day_refuses_what_breaks_its_rules_and_says_where(
    change: dict[str, Any], where: str
) -> None:
    with pytest.raises(DayError) as refused:
        typed_day(**change)
    assert str(refused.value).startswith(where)


# --- the JSON adapter ---------------------------------------------------------------------------


def named_day() -> dict[str, Any]:
    """A benchmark-format day whose ids are names; the same infusion listed twice."""
    inst = one_patient(care=["physical_rehabilitation", "cognitive_training"])
    inst["therapists"] = [
        therapist("alice", ["physical"], "2026-03-10"),
        therapist("bob", ["cognitive"], "2026-03-10"),
    ]
    inst["rooms"] = [{"id": "gym-A", "kind": "gym"}, {"id": "quiet-B", "kind": "quiet_room"}]
    inst["infusions"][0]["id"] = "inf-7"
    inst["infusions"].append(dict(inst["infusions"][0]))
    return inst


def test_the_adapter_numbers_the_ids_and_writes_the_plan_back_with_them() -> None:
    read = read_instance(named_day())
    assert read.therapist_ids == ("alice", "bob") and read.room_ids == ("gym-A", "quiet-B")
    assert read.infusion_ids == ("inf-7",)  # listed twice, one infusion
    assert [t.id for t in read.day.therapists] == [0, 1]
    assert {i.id for i in read.day.infusions} == {0}
    plan = plan_instance(named_day(), time_limit_s=0.3, solver="heuristic")
    assert sorted(
        (s["infusion_id"], s["therapist_id"], s["room_id"]) for s in plan["sessions"]
    ) == [
        ("inf-7", "alice", "gym-A"),
        ("inf-7", "bob", "quiet-B"),
    ]
    assert plan["objective"]["requested"] == 2  # each item once
    run_check(named_day(), plan)


def test_times_without_offset_are_the_zones_wall_time() -> None:
    inst = named_day()
    inst["infusions"][0]["start"] = "2026-03-10T08:00:00"
    read = read_instance(inst)
    assert read.day.infusions[0].start == wall("08:00")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("protocol", "windows", 0, "end_offset"), "P1M", "protocol.windows[0]: 'P1M' is not an"),
        (
            ("protocol", "windows", 0, "end_offset"),
            "PT2H30S",
            "protocol.windows[0]: 2:00:30 is not a whole number of minutes",
        ),
        (("protocol", "anchor"), "middle", "protocol.anchor: expected 'start' or 'end'"),
        (("infusions", 0, "start"), "08:00", "infusions[0].start: '08:00' is not an RFC 3339"),
        (("infusions", 0, "start"), 800, "infusions[0].start: expected an RFC 3339 datetime"),
        (
            ("therapists", 1, "working", 0),
            ["2026-03-10T09:00:00-04:00"],
            "therapists[1].working[0]: expected [start, end]",
        ),
        (
            ("therapists", 0, "max_sessions_per_day"),
            "3",
            "therapists[0].max_sessions_per_day: expected an integer",
        ),
        (("rooms", 0), "gym", "rooms[0]: expected an object"),
        (("infusions", 0, "care_plan"), ["nope"], "infusions[0]: unknown session type 'nope'"),
        (("timezone",), "Mars/Olympus", "instance: unknown time zone 'Mars/Olympus'"),
    ],
)
def test_instance_errors_say_where(path: tuple[Any, ...], value: Any, message: str) -> None:
    inst = named_day()
    target: Any = inst
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(InstanceError) as refused:
        read_instance(inst)
    assert str(refused.value).startswith(message), str(refused.value)


def test_a_wall_time_the_clocks_repeat_is_refused() -> None:
    inst = instance("2026-11-01", therapists=[therapist("t1", ["physical"], "2026-11-01")])
    inst["not_before"] = "2026-11-01T01:30:00"  # happens twice in New York that night
    with pytest.raises(InstanceError, match=r"^not_before: .*happens twice"):
        read_instance(inst)
    inst["not_before"] = at("2026-11-01", "01:30")  # with its offset: fine
    assert read_instance(inst).day.not_before is not None
