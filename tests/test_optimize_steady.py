"""Steady plans (planner/optimize/work.py): the optimizer's clock counts work, not seconds,
so the same day gives the same plan however busy the machine is."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from planner.optimize import optimize
from planner.optimize.instance import read_instance
from planner.optimize.work import Work
from tests.optimize_support import needs_ortools, shipped


@contextmanager
def busy_machine() -> Iterator[None]:
    """Another thread spinning on the interpreter beside the optimizer: every stage gets
    about half the wall time it would have alone."""
    stop = threading.Event()

    def spin() -> None:
        n = 0
        while not stop.is_set():
            n += 1

    worker = threading.Thread(target=spin, daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join()


def _plan(name: str, seconds: float, solver: str) -> tuple[object, ...]:
    day = read_instance(shipped(name)).day
    plan = optimize(day, time_limit_s=seconds, solver=solver)  # type: ignore[arg-type]
    return (plan.objective, tuple(plan.sessions), tuple(plan.unplaced))


def test_the_heuristic_gives_the_same_plan_on_a_busy_machine() -> None:
    quiet = _plan("medium-11", 0.8, "heuristic")
    with busy_machine():
        busy = _plan("medium-11", 0.8, "heuristic")
    assert busy == quiet


@needs_ortools
def test_auto_gives_the_same_plan_on_a_busy_machine() -> None:
    quiet = _plan("medium-12", 2.0, "auto")
    with busy_machine():
        busy = _plan("medium-12", 2.0, "auto")
    assert busy == quiet


def test_the_work_clock_counts_work_not_seconds() -> None:
    work = Work()
    work.start(1.0)
    time.sleep(0.05)
    assert work.now() == 0.0
    work.units += 1000
    assert 0.0 < work.now() < 0.05
    assert not work.cut_short


def test_the_guard_ends_a_run_that_takes_far_longer_than_its_budget() -> None:
    work = Work()
    work.start(0.0)  # the guard: at least GUARD_MIN_S of wall time
    assert work.now() == 0.0 and not work.cut_short
    work._guard = time.monotonic() - 1  # as if that time had passed
    assert work.now() == float("inf") and work.cut_short
