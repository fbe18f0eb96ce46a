"""Pure unit tests of planner/board.py and planner/slots.py: plain dataclasses, no database."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.board import Board, InfusionFacts, Occupation, SessionKind, TherapistState
from planner.errors import PlannerError
from planner.intervals import Interval
from planner.protocol import DEFAULT_PROTOCOL
from planner.slots import GRID, find_slots, first_grid_start, grid_starts

NY = ZoneInfo("America/New_York")
MIN = timedelta(minutes=1)
REHAB = SessionKind("rehab", timedelta(minutes=60), "physio", "peak")
POOL = SessionKind("hydro", timedelta(minutes=60), "physio", "peak", room_kind="pool")


def at(hhmm: str, day: str = "2026-03-10") -> datetime:
    """A New York wall time as a UTC instant."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=NY).astimezone(UTC)


def infusion_at(start: datetime, patient: int = 1, cancelled: bool = False) -> InfusionFacts:
    duration = timedelta(minutes=40)
    return InfusionFacts(
        id=1,
        patient_id=patient,
        cancelled=cancelled,
        start=start,
        end=start + duration,
        windows=DEFAULT_PROTOCOL.windows_for(start, duration),
    )


def therapist(
    ident: int,
    disciplines: tuple[str, ...] = ("physio",),
    hours: tuple[str, str] = ("08:00", "17:00"),
    buffer: int = 0,
    max_per_day: int | None = None,
    time_off: tuple[tuple[int, Interval], ...] = (),
    day: str = "2026-03-10",
) -> TherapistState:
    return TherapistState(
        id=ident,
        disciplines=frozenset(disciplines),
        buffer=timedelta(minutes=buffer),
        max_per_day=max_per_day,
        shifts=(Interval(at(hours[0], day), at(hours[1], day)),),
        time_off=time_off,
    )


def session(
    ident: int,
    start: str,
    minutes: int = 60,
    *,
    therapist_id: int = 1,
    patient_id: int = 2,
    room_id: int | None = None,
) -> Occupation:
    begin = at(start)
    return Occupation(
        "session",
        ident,
        begin,
        begin + timedelta(minutes=minutes),
        therapist_id=therapist_id,
        patient_id=patient_id,
        room_id=room_id,
    )


def board(
    *therapists: TherapistState,
    occupations: Sequence[Occupation] = (),
    rooms: dict[int, str] | None = None,
    now: datetime | None = None,
    infusion: InfusionFacts | None = None,
) -> Board:
    """Pat's (patient 1) infusion 07:00–07:40: peak 10:40–12:40, target 11:40."""
    return Board(
        zone=NY,
        now=now or datetime(2026, 3, 1, 12, tzinfo=UTC),
        infusion=infusion or infusion_at(at("07:00")),
        therapists={t.id: t for t in therapists or (therapist(1),)},
        rooms=rooms or {},
        occupations=list(occupations),
    )


def refusal(b: Board, kind: SessionKind, start: datetime, **kw: Any) -> PlannerError:
    with pytest.raises(PlannerError) as caught:
        b.check(kind, start, **kw)
    return caught.value


# -- Board.check -----------------------------------------------------------------------------


def test_check_places_a_fitting_session() -> None:
    placement = board().check(REHAB, at("11:10"), therapist_id=1)
    assert (placement.start, placement.end) == (at("11:10"), at("12:10"))
    assert placement.therapist_id == 1 and placement.room_id is None
    assert placement.window == "peak" and not placement.outside_window
    assert placement.score == 0.0  # midpoint 11:40 is the target


def test_each_rule_in_order() -> None:
    busy = session(10, "11:00", therapist_id=1, patient_id=2)
    assert refusal(
        board(infusion=infusion_at(at("07:00"), cancelled=True)), REHAB, at("11:10")
    ).code == ("infusion_cancelled")
    assert refusal(board(now=at("11:15")), REHAB, at("11:10")).code == "in_the_past"
    assert refusal(board(), REHAB, at("12:00")).code == "outside_window"
    b = board(therapist(1), therapist(2, ("speech",)), therapist(3, hours=("12:00", "17:00")))
    assert refusal(b, REHAB, at("11:10"), therapist_id=2).code == "discipline_mismatch"
    assert refusal(b, REHAB, at("11:10"), therapist_id=3).code == "therapist_unavailable"
    assert refusal(b, REHAB, at("11:10"), therapist_id=99).code == "unknown_reference"
    error = refusal(board(occupations=[busy]), REHAB, at("11:10"), therapist_id=1)
    assert error.code == "therapist_busy" and [c.id for c in error.conflicts] == [10]
    mine = session(11, "11:30", therapist_id=2, patient_id=1)
    error = refusal(board(occupations=[mine]), REHAB, at("11:10"), therapist_id=1)
    assert error.code == "patient_busy" and [c.id for c in error.conflicts] == [11]
    in_pool = session(12, "11:30", therapist_id=2, patient_id=3, room_id=7)
    error = refusal(
        board(occupations=[in_pool], rooms={7: "pool"}), POOL, at("11:10"), therapist_id=1
    )
    assert error.code == "room_unavailable" and [c.id for c in error.conflicts] == [12]
    elsewhere = session(13, "08:00", therapist_id=1, patient_id=3)
    limited = board(therapist(1, max_per_day=1), occupations=[elsewhere])
    assert refusal(limited, REHAB, at("11:10"), therapist_id=1).code == "daily_limit"


def test_time_off_is_named() -> None:
    off = Interval(at("11:00"), at("11:30"))
    b = board(therapist(1, time_off=((5, off), (6, Interval(at("15:00"), at("16:00"))))))
    error = refusal(b, REHAB, at("11:10"), therapist_id=1)
    assert error.code == "therapist_unavailable"
    assert [(c.kind, c.id, c.start, c.end) for c in error.conflicts] == [
        ("time_off", 5, off.start, off.end)
    ]


def test_buffers_count_on_both_sides_and_touching_is_fine() -> None:
    other = session(10, "12:00")  # 12:00–13:00
    plain = board(therapist(1), occupations=[other], now=at("00:00"))
    kind = SessionKind("long", timedelta(minutes=60), "physio", "plasticity")  # 09:40–19:40
    assert plain.check(kind, at("11:00"), therapist_id=1)
    assert plain.check(kind, at("13:00"), therapist_id=1)
    padded = board(therapist(1, buffer=10), occupations=[other])
    for start in ("11:00", "11:01", "12:59", "13:00"):
        assert refusal(padded, kind, at(start), therapist_id=1).code == "therapist_busy"
    assert padded.check(kind, at("10:50"), therapist_id=1)
    assert padded.check(kind, at("13:10"), therapist_id=1)


def test_inactive_and_ignored_occupations_do_not_block() -> None:
    done = replace(session(10, "11:00", patient_id=1, room_id=7), active=False)
    b = board(occupations=[done], rooms={7: "pool"})
    assert b.check(POOL, at("11:10"), therapist_id=1).room_id == 7
    own = session(11, "11:00", patient_id=1, room_id=7)
    moving = board(therapist(1, max_per_day=1), occupations=[own], rooms={7: "pool"})
    assert refusal(moving, POOL, at("11:10"), therapist_id=1).code == "therapist_busy"
    assert moving.check(POOL, at("11:10"), therapist_id=1, ignore=11).room_id == 7


def test_the_patient_infusion_blocks() -> None:
    second = Occupation("infusion", 2, at("11:00"), at("11:40"), patient_id=1)
    error = refusal(board(occupations=[second]), REHAB, at("11:10"))
    assert error.code == "patient_busy" and [(c.kind, c.id) for c in error.conflicts] == [
        ("infusion", 2)
    ]
    # another patient's infusion does not
    theirs = Occupation("infusion", 3, at("11:00"), at("11:40"), patient_id=9)
    assert board(occupations=[theirs]).check(REHAB, at("11:10"))


def test_override_books_outside_the_window_and_nothing_else() -> None:
    b = board(therapist(1), therapist(2, ("speech",)))
    placement = b.check(REHAB, at("15:00"), therapist_id=1, override=True)
    assert placement.outside_window and placement.window == "peak"
    inside = b.check(REHAB, at("11:00"), therapist_id=1, override=True)
    assert not inside.outside_window
    assert refusal(b, REHAB, at("15:00"), therapist_id=2, override=True).code == (
        "discipline_mismatch"
    )
    assert refusal(b, REHAB, at("18:00"), therapist_id=1, override=True).code == (
        "therapist_unavailable"
    )


def test_without_a_therapist_the_least_loaded_then_lowest_id() -> None:
    ts = (therapist(3), therapist(1), therapist(2, ("speech",)), therapist(4))
    assert board(*ts).check(REHAB, at("11:10")).therapist_id == 1
    loaded = [session(10, "08:00", therapist_id=1), session(11, "16:00", therapist_id=3)]
    assert board(*ts, occupations=loaded).check(REHAB, at("11:10")).therapist_id == 4
    error = refusal(board(therapist(2, ("speech",))), REHAB, at("11:10"))
    assert error.code == "no_therapist_free" and "practises physio" in error.detail


def test_rooms_in_id_order_and_none_without_a_kind() -> None:
    rooms = {9: "pool", 4: "gym", 5: "pool", 6: "pool"}
    taken = session(10, "11:00", therapist_id=2, patient_id=3, room_id=5)
    b = board(therapist(1), occupations=[taken], rooms=rooms)
    assert b.check(POOL, at("11:10"), therapist_id=1).room_id == 6
    assert b.check(REHAB, at("11:10"), therapist_id=1).room_id is None
    assert b.check(POOL, at("11:10"), therapist_id=1, room_id=9).room_id == 9
    assert refusal(b, POOL, at("11:10"), therapist_id=1, room_id=5).code == "room_unavailable"
    assert refusal(b, POOL, at("11:10"), therapist_id=1, room_id=4).code == "room_unavailable"
    assert refusal(b, POOL, at("11:10"), therapist_id=1, room_id=8).code == "unknown_reference"
    assert refusal(board(rooms={4: "gym"}), POOL, at("11:10")).code == "room_unavailable"


# -- the grid and slot search -----------------------------------------------------------------


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"])
def test_grid_starts_are_on_the_local_five_minute_clock(zone: str) -> None:
    tz = ZoneInfo(zone)
    lo = datetime(2026, 3, 8, 4, 3, tzinfo=UTC)
    starts = list(grid_starts(lo, lo + timedelta(hours=30), tz))
    assert starts[0] >= lo and starts[0] - lo < GRID
    assert all(s.astimezone(tz).minute % 5 == 0 and s.astimezone(tz).second == 0 for s in starts)
    assert all(b - a == GRID for a, b in itertools.pairwise(starts))
    assert first_grid_start(starts[3], tz) == starts[3]


@pytest.mark.parametrize(
    ("lo", "first"),
    [
        ("2026-11-01T05:32", "2026-11-01T05:35"),  # 01:32 EDT, the first pass of 01:xx
        ("2026-11-01T06:32", "2026-11-01T06:35"),  # 01:32 EST, the second pass
        ("2026-11-01T06:00", "2026-11-01T06:00"),
        ("2026-03-08T06:58", "2026-03-08T07:00"),  # 01:58 EST → 03:00 EDT
    ],
)
def test_the_first_grid_start_is_never_before_the_instant(lo: str, first: str) -> None:
    instant = datetime.fromisoformat(lo).replace(tzinfo=UTC)
    assert first_grid_start(instant, NY) == datetime.fromisoformat(first).replace(tzinfo=UTC)
    starts = list(grid_starts(instant, instant + timedelta(hours=2), NY))
    assert starts[0] >= instant and len(starts) == len(set(starts))


def test_no_duplicate_slots_on_the_fall_back_night() -> None:
    """A free piece that opens in the repeated hour must not replay the hour before."""
    night = infusion_at(datetime(2026, 11, 1, 1, 0, tzinfo=UTC))  # plasticity 03:40Z–13:40Z
    shift = Interval(datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 1, 8, tzinfo=UTC))
    nia = TherapistState(1, frozenset({"physio"}), timedelta(0), None, (shift,))
    busy = Occupation(  # 01:20–01:32 EST, the second 01:xx
        "session",
        9,
        datetime(2026, 11, 1, 6, 20, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 32, tzinfo=UTC),
        therapist_id=1,
        patient_id=5,
    )
    b = Board(NY, datetime(2026, 10, 1, tzinfo=UTC), night, {1: nia}, {}, [busy])
    kind = SessionKind("walk", timedelta(minutes=30), "physio", "plasticity")
    starts = [p.start for p in find_slots(b, kind, limit=1000)]
    assert len(starts) == len(set(starts))
    # 04:00Z … 05:50Z before the busy time, 06:35Z … 07:30Z after it
    assert sorted(starts) == [shift.start + i * GRID for i in range(23)] + [
        datetime(2026, 11, 1, 6, 35, tzinfo=UTC) + i * GRID for i in range(12)
    ]


def test_slots_rank_by_target_then_earliest_then_load_then_id() -> None:
    ts = (therapist(2), therapist(1), therapist(3))
    busy_elsewhere = [session(10, "16:00", therapist_id=1, patient_id=5)]  # 1 has one that day
    slots = find_slots(board(*ts, occupations=busy_elsewhere), REHAB, limit=8)
    order = [(s.start, s.therapist_id, s.score) for s in slots]
    assert order[:3] == [(at("11:10"), 2, 0.0), (at("11:10"), 3, 0.0), (at("11:10"), 1, 0.0)]
    assert order[3:6] == [(at("11:05"), 2, 5.0), (at("11:05"), 3, 5.0), (at("11:05"), 1, 5.0)]
    assert order[6][:2] == (at("11:15"), 2) and order[6][2] == 5.0


def test_slots_without_a_target_earliest_first() -> None:
    kind = SessionKind("early", timedelta(minutes=30), "physio", "spinogenesis")  # 09:40–11:40
    slots = find_slots(board(therapist(1)), kind, limit=3)
    assert [(s.start, s.score) for s in slots] == [
        (at("09:40"), 0.0),
        (at("09:45"), 5.0),
        (at("09:50"), 10.0),
    ]


def test_slots_respect_the_past_buffers_rooms_and_the_filter() -> None:
    now = at("11:02")
    b = board(therapist(1, buffer=15), therapist(2), now=now)
    slots = find_slots(b, REHAB, limit=100)
    assert slots and all(s.start >= at("11:05") for s in slots)
    assert all(s.therapist_id == 2 for s in find_slots(b, REHAB, therapist_id=2, limit=100))
    assert len(find_slots(b, REHAB, limit=4)) == 4
    # 12:00–12:30 with a 15-minute buffer keeps 11:45–12:45 clear: only 10:40 and 10:45 are left
    theirs = session(10, "12:00", 30, therapist_id=1, patient_id=5)
    padded = board(therapist(1, buffer=15), occupations=[theirs])
    assert [s.start for s in find_slots(padded, REHAB, limit=100)] == [at("10:45"), at("10:40")]
    # the only pool is taken all window long; with a second pool, that one
    pool_taken = session(11, "10:40", 120, therapist_id=9, patient_id=5, room_id=1)
    assert find_slots(board(occupations=[pool_taken], rooms={1: "pool"}), POOL) == []
    two_pools = board(occupations=[pool_taken], rooms={1: "pool", 2: "pool"})
    assert [s.room_id for s in find_slots(two_pools, POOL, limit=3)] == [2, 2, 2]


def test_slots_of_a_cancelled_infusion_are_refused() -> None:
    b = board(infusion=infusion_at(at("07:00"), cancelled=True))
    with pytest.raises(PlannerError) as caught:
        find_slots(b, REHAB)
    assert caught.value.code == "infusion_cancelled"


# -- slot search and the rules agree ------------------------------------------------------------

minutes = st.integers(min_value=0, max_value=48).map(lambda n: n * 5)


@st.composite
def boards(draw: st.DrawFn) -> tuple[Board, SessionKind]:
    kind = SessionKind(
        "k",
        timedelta(minutes=draw(st.sampled_from([30, 45, 60]))),
        "physio",
        draw(st.sampled_from(["peak", "spinogenesis"])),
        room_kind=draw(st.sampled_from([None, "pool"])),
    )
    therapists = []
    for ident in range(1, draw(st.integers(1, 3)) + 1):
        start = 8 + draw(st.integers(0, 3))
        off_at = at("09:00") + timedelta(minutes=draw(minutes))
        therapists.append(
            therapist(
                ident,
                ("physio",) if draw(st.booleans()) or ident == 1 else ("speech",),
                (f"{start:02d}:{draw(st.sampled_from([0, 7, 30])):02d}", "15:00"),
                buffer=draw(st.sampled_from([0, 5, 10, 15])),
                max_per_day=draw(st.sampled_from([None, 1, 2])),
                time_off=((1, Interval(off_at, off_at + timedelta(minutes=45))),)
                if draw(st.booleans())
                else (),
            )
        )
    rooms = {r: "pool" for r in range(1, draw(st.integers(0, 2)) + 1)}
    occupations = []
    for ident in range(1, draw(st.integers(0, 6)) + 1):
        begin = at("09:00") + timedelta(minutes=draw(minutes))
        occupations.append(
            Occupation(
                "session",
                ident,
                begin,
                begin + timedelta(minutes=draw(st.sampled_from([20, 30, 60]))),
                therapist_id=draw(st.integers(1, 3)),
                patient_id=draw(st.integers(1, 3)),
                room_id=draw(st.sampled_from([None, *rooms])),
                active=draw(st.booleans()) or draw(st.booleans()),
            )
        )
    now = at("09:00") + timedelta(minutes=draw(st.integers(0, 200)))
    return board(*therapists, occupations=occupations, rooms=rooms, now=now), kind


@settings(max_examples=60, deadline=None)
@given(boards())
def test_slot_search_finds_exactly_the_bookable_grid_starts(
    case: tuple[Board, SessionKind],
) -> None:
    b, kind = case
    window = b.infusion.window(kind.window)
    assert window is not None
    expected = []
    for start in grid_starts(window.start, window.end, NY):
        for ident in sorted(b.therapists):
            try:
                placement = b.check(kind, start, therapist_id=ident)
            except PlannerError:
                continue
            key = (placement.score, placement.start, b.day_load(ident, start), ident)
            expected.append((key, placement))
    expected.sort(key=lambda pair: pair[0])
    found = find_slots(b, kind, limit=10_000)
    assert found == [placement for _, placement in expected]
