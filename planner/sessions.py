"""Session statuses and the transitions SPEC §4 allows."""

from __future__ import annotations

from planner.errors import PlannerError

ACTIVE = frozenset({"booked", "checked_in"})
ALLOWED: dict[str, frozenset[str]] = {
    "booked": frozenset({"checked_in", "cancelled", "no_show"}),
    "checked_in": frozenset({"completed"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
    "no_show": frozenset(),
}


def check_transition(current: str, wanted: str) -> None:
    """``booked → checked_in → completed``; ``booked → cancelled | no_show``; nothing else."""
    if wanted not in ALLOWED.get(current, frozenset()):
        raise PlannerError(
            "invalid_transition",
            f"a {current} session cannot become {wanted} (allowed: booked → checked_in → "
            "completed, booked → cancelled or no_show)",
        )
