from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.base import Key, Public, Request
from api.schemas.infusions import InfusionPublic, SessionPublic


class PlanRequest(Request):
    session_types: list[Key] | None = Field(
        default=None, max_length=20, description="default: the infusion's care plan"
    )
    commit: bool = False


class UnplacedType(Public):
    session_type: str
    code: str
    detail: str


class PlannedSession(Public):
    """A session the plan proposes (``id`` is null until it is committed)."""

    id: int | None = None
    infusion_id: int
    patient_id: int
    session_type: str
    therapist_id: int
    room_id: int | None
    start: str
    end: str
    window: str
    score: float
    status: str = "proposed"


class PlanPublic(Public):
    sessions: list[PlannedSession]
    unplaced: list[UnplacedType]
    committed: bool


class InfusionPatch(Request):
    start: str | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)


class Moved(Public):
    session_id: int
    from_: str = Field(serialization_alias="from")
    to: str


class UnplacedSession(Public):
    session_id: int
    code: str
    detail: str = ""


class Replan(Public):
    kept: list[int]
    moved: list[Moved]
    unplaced: list[UnplacedSession]


class InfusionReplanned(InfusionPublic):
    replan: Replan


class FollowUpRequest(Request):
    session_type: Key
    rrule: str = Field(min_length=1, max_length=300, examples=["FREQ=WEEKLY;COUNT=4"])
    start: str = Field(examples=["2026-03-11T10:00"])
    therapist_id: int | None = None
    tolerance_minutes: int = Field(
        default=0, ge=0, le=12 * 60, description="may move an occurrence this far that day"
    )


class UnplacedOccurrence(Public):
    occurrence: str
    code: str
    detail: str = ""


class FollowUpsPublic(Public):
    sessions: list[SessionPublic]
    unplaced: list[UnplacedOccurrence]


class DayPlanRequest(Request):
    date: str = Field(examples=["2026-03-10"])
    commit: bool = False
    time_limit_seconds: float = Field(default=5.0, gt=0, le=30)


class UnplacedItem(Public):
    infusion_id: int
    session_type: str
    code: str


class DayPlanPublic(Public):
    sessions: list[PlannedSession]
    unplaced: list[UnplacedItem]
    objective: dict[str, Any]
    solver: str
    seconds: float
    committed: bool
