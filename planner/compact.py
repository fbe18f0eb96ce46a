"""A compact day for the patient (docs/rules.md, "Compact days"): when the clinic caps the
longest wait between a patient's consecutive on-site items of a day, a care plan is placed
only where it keeps each of its days within the cap (or no worse than the day already was).

On-site items: infusions and the recovery after them, on-site sessions, and, on the day of an
infusion, telehealth sessions too (the patient does not travel that day: a telehealth session
is taken from the clinic). On other days a telehealth session is not a visit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from itertools import pairwise

from planner.board import Board, Occupation
from planner.intervals import Interval, merge
from planner.localtime import local_date


def longest_wait(items: Iterable[Interval]) -> timedelta:
    """The longest gap between consecutive items (overlapping ones merged); 0 for fewer
    than two."""
    pieces = merge(items)
    gaps = [b.start - a.end for a, b in pairwise(pieces)]
    return max(gaps, default=timedelta(0))


def keeps_days_compact(board: Board) -> bool:
    """Whether the plan on the board (its sessions held tentatively, negative ids) keeps every
    day it touches within the cap, or no worse than that day was without it."""
    cap = board.max_wait
    if cap is None:
        return True
    zone = board.zone
    mine = [o for o in board.occupying_patient(board.infusion.patient_id) if o.active]
    planned_days = {local_date(o.start, zone) for o in mine if _tentative(o)}
    for day in planned_days:
        today = [o for o in mine if local_date(o.start, zone) == day]
        infusion_day = any(o.kind == "infusion" for o in today)
        on_site = [o for o in today if infusion_day or not o.telehealth]
        after = longest_wait(o.span for o in on_site)
        if after <= cap:
            continue
        before = longest_wait(o.span for o in on_site if not _tentative(o))
        if after > before:
            return False
    return True


def _tentative(o: Occupation) -> bool:
    return o.kind == "session" and o.id < 0


def wait_on(board: Board, day: date) -> str:
    """The cap in words, for a care-plan item it kept out."""
    cap = board.max_wait or timedelta(0)
    return (
        f"placing it would leave the patient waiting longer than {int(cap.total_seconds() // 60)}"
        f" minutes between items on {day:%a %d %b}"
    )
