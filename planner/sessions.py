"""Session and infusion statuses, the changes allowed, and when (docs/rules.md, "Statuses").

``booked → checked_in → completed`` and ``booked → cancelled | no_show``; nothing else.
A therapist may check a patient in from ``CHECK_IN_OPENS`` before the start; "completed" and
"no show" only once the session has started. The last status change can be undone for
``UNDO_WINDOW`` (a mis-tap on a phone), and only that one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from planner.errors import Code, PlannerError


class SessionStatus(StrEnum):
    booked = "booked"
    checked_in = "checked_in"
    completed = "completed"
    cancelled = "cancelled"
    no_show = "no_show"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class InfusionStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


ACTIVE = frozenset({SessionStatus.booked, SessionStatus.checked_in})
"""Sessions that hold their therapist, patient and room (the overlap rules count these)."""

HELD = frozenset({*ACTIVE, SessionStatus.completed})
"""Sessions that happened or will happen: a care-plan item with one of these is done."""

ALLOWED: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.booked: frozenset(
        {SessionStatus.checked_in, SessionStatus.cancelled, SessionStatus.no_show}
    ),
    SessionStatus.checked_in: frozenset({SessionStatus.completed}),
    SessionStatus.completed: frozenset(),
    SessionStatus.cancelled: frozenset(),
    SessionStatus.no_show: frozenset(),
}

CHECK_IN_OPENS = timedelta(minutes=30)
UNDO_WINDOW = timedelta(minutes=10)


def check_transition(current: SessionStatus, wanted: SessionStatus) -> None:
    """``booked → checked_in → completed``; ``booked → cancelled | no_show``; nothing else."""
    if wanted not in ALLOWED[current]:
        raise PlannerError(
            Code.invalid_transition,
            f"a {current.label} session cannot become {wanted.label} (allowed: booked → "
            "checked in → completed, booked → cancelled or no show)",
        )


def check_timing(wanted: SessionStatus, start: datetime, now: datetime) -> None:
    """Check-in opens 30 minutes before the start; completed and no-show need the start."""
    if wanted == SessionStatus.checked_in and now < start - CHECK_IN_OPENS:
        raise PlannerError(
            Code.too_early,
            f"check-in opens {int(CHECK_IN_OPENS.total_seconds() // 60)} minutes before the "
            "session starts",
        )
    if wanted in (SessionStatus.completed, SessionStatus.no_show) and now < start:
        raise PlannerError(
            Code.too_early, f"a session can be marked {wanted.label} only once it has started"
        )


def check_undo(
    current: SessionStatus,
    previous: SessionStatus | None,
    changed_at: datetime | None,
    now: datetime,
) -> SessionStatus:
    """The status an undo returns to: the one before the last change, within the window."""
    undoable = current in (SessionStatus.checked_in, SessionStatus.completed, SessionStatus.no_show)
    if previous is None or changed_at is None or not undoable:
        raise PlannerError(
            Code.invalid_transition, f"there is no status change to undo (it is {current.label})"
        )
    if now - changed_at > UNDO_WINDOW:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise PlannerError(
            Code.invalid_transition,
            f"a status change can be undone for {minutes} minutes; this one is older",
        )
    return previous
