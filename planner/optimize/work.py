"""The optimizer's clock: work done, not seconds, so the same day gives the same plan.

Every stage of the optimizer used to compare the wall clock with its deadline, so a busy
machine (or a slower one) got a different, often worse, plan than a quiet one: a clinic
got whichever run it got. Now each stage compares :meth:`Work.now` instead, which only
grows with what the optimizer did:

- the heuristic's elementary steps (a feasibility check, a placement, a removal, a
  candidate therapist looked at: ``State`` counts them in ``units``), and
- CP-SAT's own deterministic time: each solve is limited by ``max_deterministic_time``
  and runs on one worker (a parallel portfolio is not deterministic; interleaved, it
  overshot its limits several times over and stepped the LNS more slowly), plus what
  building its model costs (``SOLVE_UNITS``, ``VARIABLE_UNITS``).

Both are converted to seconds of *this project's reference machine* (2 cores, measured in
``bench/RESULTS.md``): a budget of 9 s is at most about 9 s there when it is quiet, and
longer when it is busy, but the plan is the same. Seeds are fixed everywhere. A wall-clock
guard (``GUARD_FACTOR`` times the budget, at least ``GUARD_MIN_S`` more) still stops a
runaway on a machine many times slower (``Work.cut_short``); only such a plan may differ
from run to run.
"""

from __future__ import annotations

import time

# calibrated on the reference machine, quiet (bench/RESULTS.md, "Steady plans")
UNITS_PER_SECOND = 200_000.0  # heuristic steps a second
DTIME_PER_SECOND = 0.15  # CP-SAT deterministic time a second (one worker)
# what a CP-SAT solve costs besides its search: building the model in Python, presolve
SOLVE_UNITS = 1200  # per solve
VARIABLE_UNITS = 2  # per variable of its model
GUARD_FACTOR = 3.0
GUARD_MIN_S = 5.0


class Work:
    """Work done so far, in seconds of the reference machine; and the wall-clock guard."""

    __slots__ = ("_guard", "cp_seconds", "units")

    def __init__(self) -> None:
        self.units = 0
        self.cp_seconds = 0.0  # CP-SAT's deterministic time, converted (``DTIME_PER_SECOND``)
        self._guard = float("inf")

    def start(self, budget_s: float) -> None:
        """Begin a run of ``budget_s`` seconds of work: the guard is set from now."""
        guard = max(GUARD_FACTOR * budget_s, budget_s + GUARD_MIN_S)
        self._guard = time.monotonic() + guard

    def now(self) -> float:
        """Seconds of work done (what the stages compare with their deadlines)."""
        if time.monotonic() >= self._guard:
            return float("inf")  # every deadline has passed: the guard stops the run
        return self.units / UNITS_PER_SECOND + self.cp_seconds

    @property
    def cut_short(self) -> bool:
        """Whether the wall-clock guard ended the run (the plan may then vary)."""
        return time.monotonic() >= self._guard

    def wall_left(self) -> float:
        """Wall-clock seconds before the guard (a CP-SAT solve's safety limit)."""
        return max(0.05, self._guard - time.monotonic())
