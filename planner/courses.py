"""Courses of infusions (docs/rules.md, "Courses"): the dates a course's RRULE gives, the
times tried for each visit, and which tried visit is best.

Pure: ``services.courses`` tries each time with the booking rules themselves (the infusion
recorded and its care plan planned, then undone) and keeps the best ``VisitTrial``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from planner.errors import ValidationFailed
from planner.recurrence import parse_rule, series

MAX_VISITS = 60  # a course of infusions is weeks to months, not years of daily visits
MAX_TOLERANCE = timedelta(hours=4)
STEP = timedelta(minutes=15)  # infusions start on the quarter hour
# Times a course may try beyond each visit's preferred one (each is an infusion recorded and
# its care plan planned, then undone: some 30 ms): a long course over a full clinic stays
# within seconds, and holds the write lock no longer.
MAX_TRIALS = 150


def course_dates(rrule: str, first: datetime) -> list[datetime]:
    """The course's wall times (naive, the clinic's clock): ``first`` and the RRULE's later
    dates at the same wall time. The rule must end by itself (COUNT or UNTIL)."""
    if not parse_rule(rrule).bounded:
        raise ValidationFailed("rrule: a course needs COUNT or UNTIL (how many infusions)")
    dates = series(rrule, first, first, limit=MAX_VISITS + 1)
    if len(dates) > MAX_VISITS:
        raise ValidationFailed(f"rrule: a course has at most {MAX_VISITS} infusions")
    return dates


def shifts(tolerance: timedelta) -> list[timedelta]:
    """The times tried for a visit, nearest its preferred time first: 0, +15, -15, +30 …"""
    if tolerance < timedelta(0) or tolerance > MAX_TOLERANCE:
        raise ValidationFailed("tolerance_minutes must be between 0 and 240")
    found = [timedelta(0)]
    step = STEP
    while step <= tolerance:
        found += [step, -step]
        step += STEP
    return found


@dataclass(frozen=True)
class VisitTrial:
    """One time tried for a visit: how much of its care plan the rules let it place."""

    shift: timedelta
    placed: int
    deviation_minutes: float  # the placed sessions' distance from their windows' targets

    def rank(self) -> tuple[int, timedelta, bool, float]:
        """Lower is better: more placed, then nearer the preferred time (later before
        earlier at the same distance), then nearer the windows' targets."""
        return (-self.placed, abs(self.shift), self.shift < timedelta(0), self.deviation_minutes)


def best_trial(trials: list[VisitTrial]) -> VisitTrial | None:
    return min(trials, key=VisitTrial.rank, default=None)
