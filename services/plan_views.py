"""Read models of plans: a care plan's, a re-plan's, a follow-up series' and a day's.

Like ``services.views`` (whose session and infusion views they hold): typed, every datetime on
the clinic's clock, nothing here knows HTTP or HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.views import InfusionView, SessionView, Unplaced


@dataclass(frozen=True)
class PlannedSession:
    """A session a plan proposes (``id`` None) or booked (with its id)."""

    id: int | None
    infusion_id: int
    patient_id: int
    session_type: str
    therapist_id: int
    room_id: int | None
    start: datetime
    end: datetime
    window: str
    score: float

    @property
    def status(self) -> str:
        return "proposed" if self.id is None else "booked"


@dataclass(frozen=True)
class PlanView:
    sessions: tuple[PlannedSession, ...]
    unplaced: tuple[Unplaced, ...]
    committed: bool


@dataclass(frozen=True)
class Moved:
    session_id: int
    before: datetime
    after: datetime


@dataclass(frozen=True)
class UnplacedSession:
    session_id: int
    code: str
    detail: str = ""


@dataclass(frozen=True)
class ReplanView:
    infusion: InfusionView
    kept: tuple[int, ...]
    moved: tuple[Moved, ...]
    unplaced: tuple[UnplacedSession, ...]


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a follow-up series: its wall time and what became of it."""

    wall: datetime  # the clinic's wall time the rule asked for (naive)
    session: SessionView | None = None  # booked (possibly shifted within the tolerance)
    code: str | None = None  # unplaced: why
    detail: str = ""

    @property
    def shifted_by(self) -> timedelta:
        if self.session is None:
            return timedelta(0)
        return self.session.start.replace(tzinfo=None) - self.wall


@dataclass(frozen=True)
class FollowUpsView:
    occurrences: tuple[Occurrence, ...]

    @property
    def sessions(self) -> tuple[SessionView, ...]:
        return tuple(o.session for o in self.occurrences if o.session is not None)

    @property
    def unplaced(self) -> tuple[Occurrence, ...]:
        return tuple(o for o in self.occurrences if o.session is None)


@dataclass(frozen=True)
class UnplacedItem:
    infusion_id: int
    session_type: str
    code: str
    detail: str = ""


@dataclass(frozen=True)
class DayPlanView:
    sessions: tuple[PlannedSession, ...]
    unplaced: tuple[UnplacedItem, ...]
    objective: dict[str, Any]
    solver: str
    seconds: float
    committed: bool
