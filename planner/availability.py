"""A therapist's working and free time on a local day: one rule for the API and the pages.

Working time is the shifts minus time off, clipped to the clinic's local day. Free time is
the working time not taken by an active session (booked or checked in); buffers are not cut
out, so a gap shorter than the buffer still shows as free (docs/rules.md, "A therapist's day").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from planner.facts import TherapistState
from planner.intervals import Interval, clip, subtract
from planner.localtime import day_bounds
from planner.sessions import ACTIVE, SessionStatus


def working_on(therapist: TherapistState, day: date, zone: ZoneInfo) -> list[Interval]:
    """Shifts minus time off, inside the local ``day``."""
    first, last = day_bounds(day, zone)
    return clip(therapist.working(), Interval(first, last))


def free_time(
    working: Iterable[Interval], sessions: Iterable[tuple[Interval, SessionStatus]]
) -> list[Interval]:
    """The working time no active session takes."""
    return subtract(working, (piece for piece, status in sessions if status in ACTIVE))
