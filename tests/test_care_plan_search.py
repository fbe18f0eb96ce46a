"""The joint care-plan search on a large, free day (pure: plain dataclasses, no database).

Recording an infusion with ``auto_book`` on a clinic of 40 therapists took 27–34 s while it
held the write lock: the three items' windows overlap, so they cannot all sit at their
targets, and each item's 120 candidates were forty therapists at the same three times, so
the search tried forty equal choices at every step until its node budget ran out. It now
takes each item's nearest times with at most two therapists each, and bounds every branch
by the least distance its remaining items could add. The work is counted here in rule
checks, which do not depend on the machine.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from planner.board import Board, SessionKind
from planner.care_plan import plan_jointly
from planner.slots import find_slots
from tests.test_board import NY, at, infusion_at, therapist

KINDS = (
    SessionKind("rehab", timedelta(minutes=45), "physical", "spinogenesis", room_kind="gym"),
    SessionKind("training", timedelta(minutes=60), "cognitive", "peak", room_kind="quiet"),
    SessionKind("therapy", timedelta(minutes=50), "psycho", "plasticity"),
)
DISCIPLINES = (("physical",), ("cognitive",), ("psycho",), ("physical", "cognitive"))


def _free_day() -> Board:
    therapists = [
        therapist(n, DISCIPLINES[n % 4], hours=("07:00", "21:00"), buffer=10, max_per_day=10)
        for n in range(1, 41)
    ]
    rooms = {n: ("gym" if n <= 8 else "quiet") for n in range(1, 17)}
    return Board(
        zone=NY,
        now=at("06:00"),
        infusion=infusion_at(at("07:00")),
        therapists={t.id: t for t in therapists},
        rooms=rooms,
    )


class CountingBoard(Board):
    checks = 0

    def check(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        CountingBoard.checks += 1
        return super().check(*args, **kwargs)


def _nearest_joint_distance(board: Board) -> float:
    """By brute force over every time of every item (one free therapist each suffices on
    this day): the least total distance of a plan placing all three without overlap."""
    per_time = [
        {p.start: p for p in find_slots(board, kind, limit=10_000, per_start=1)} for kind in KINDS
    ]
    best = float("inf")
    for combination in itertools.product(*(list(times.values()) for times in per_time)):
        spans = sorted((p.start, p.end) for p in combination)
        if all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans)):
            best = min(best, sum(p.score for p in combination))
    return best


def test_a_free_day_of_forty_therapists_is_planned_with_little_work() -> None:
    board = _free_day()
    counting = CountingBoard(**{f: getattr(board, f) for f in board.__dataclass_fields__})
    CountingBoard.checks = 0
    plan = plan_jointly(counting, list(KINDS))
    assert sorted(plan.placements) == [0, 1, 2] and plan.unplaced == {}
    spans = sorted((p.start, p.end) for p in plan.placements.values())
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
    assert plan.deviation == _nearest_joint_distance(board)
    # finding the candidates (two per time) and searching them; the old search made
    # millions of checks here before its node budget stopped it
    assert CountingBoard.checks < 20_000, CountingBoard.checks
