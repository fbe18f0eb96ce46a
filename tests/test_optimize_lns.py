"""The optimizer's large-neighbourhood search and the static candidates it relies on."""

from __future__ import annotations

import itertools

from planner.optimize import heuristic, lns
from tests.optimize_support import (
    instance,
    needs_ortools,
    problem_of,
    run_check,
    shipped,
    solve,
    therapist,
)


def test_a_later_infusion_of_the_same_patient_blocks_earlier_items() -> None:
    day = "2026-03-10"
    inst = instance(
        therapists=[therapist("t1", ["psychotherapy"], day, "07:00", "23:00")],
        infusions=[
            {
                "id": "i1",
                "patient_id": "p1",
                "start": f"{day}T08:00:00-04:00",
                "duration_minutes": 40,
                "care_plan": ["cognitive_therapy"],
            },
            {
                "id": "i2",
                "patient_id": "p1",
                "start": f"{day}T10:40:00-04:00",
                "duration_minutes": 40,
                "care_plan": [],
            },
        ],
    )
    problem = problem_of(inst)
    second = (problem.items[0].window[0], problem.items[0].window[0] + 40)
    # i1 ends 08:40, so its window opens 10:40, exactly when i2 starts (until 11:20)
    assert all(t >= second[1] or t + 50 <= second[0] for t, _ in problem.items[0].cands)


@needs_ortools
def test_lns_never_worsens_and_stays_valid() -> None:
    problem = problem_of(shipped("medium-11"))
    state = heuristic.solve(problem, problem.work.now() + 0.3)
    before = state.key()
    after = lns.search(state, problem.work.now() + 1.5).key()
    assert after >= before
    for k, books in enumerate(state.ther):
        buf = problem.therapists[k].buffer
        books = sorted(books)
        assert all(b[0] >= a[1] + buf for a, b in itertools.pairwise(books))


@needs_ortools
def test_auto_on_a_generated_large_day_is_valid() -> None:
    inst = shipped("large-11")
    plan = solve(inst, time_limit_s=3.0)
    result = run_check(inst, plan)
    assert result["valid"], result["violations"]
    assert result["placed"] == plan["objective"]["placed"]


@needs_ortools
def test_deviation_polish_keeps_the_count_and_never_worsens() -> None:
    problem = problem_of(shipped("medium-12"))
    state = heuristic.solve(problem, problem.work.now() + 0.3)
    lns.search(state, problem.work.now() + 0.6, count=True, polish=0.0)
    placed, dev2 = state.placed, state.dev2
    heuristic.slide(state)
    assert state.placed == placed and state.dev2 <= dev2
    placed, dev2 = state.placed, state.dev2
    polished = heuristic.polish(state, problem.work.now() + 1.0)
    assert polished.key() >= (placed, -dev2)
    assert polished.placed >= placed
    assert polished.dev2 < dev2  # the count-only plan is far off its targets


def test_many_constructions_never_start_worse_and_stay_valid() -> None:
    from planner.optimize.codes import diagnose
    from planner.optimize.instance import read_instance
    from planner.optimize.model import build_problem
    from planner.optimize.plan import build
    from planner.optimize.state import assign_rooms

    inst = shipped("medium-11")
    read = read_instance(inst)
    problem = build_problem(read.day)
    single = heuristic.construct(problem)
    # no time: exactly the most-constrained-first construction
    assert heuristic.construct_many(problem, problem.work.now()).assign == single.assign
    many = heuristic.construct_many(problem, problem.work.now() + 0.3, seed=3)
    assert many.key() >= single.key()
    chosen = {i: a for i, a in enumerate(many.assign) if a is not None}
    unplaced = {i: diagnose(many, i) for i, a in enumerate(many.assign) if a is None}
    plan = build(problem, assign_rooms(problem, chosen), unplaced, "heuristic", 0.0)
    result = run_check(inst, read.plan_json(plan))
    assert result["placed"] == many.placed
