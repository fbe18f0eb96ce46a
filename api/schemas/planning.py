"""Planning: one infusion's care plan, follow-up series, and the whole day."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.base import DateText, Key, Public, RequestBody, WhenText, day, rfc3339, when
from api.schemas.sessions import SessionPublic
from services import limits
from services.commands import (
    BookDayPlan,
    BookFollowUps,
    PlanCarePlan,
    PlanDay,
    ProposedSession,
)
from services.plan_views import DayPlanView, FollowUpsView, Occurrence, PlannedSession, PlanView


class PlanRequest(RequestBody):
    session_types: list[Key] | None = Field(
        default=None,
        max_length=limits.CARE_PLAN_MAX,
        description="default: the infusion's care plan",
    )
    commit: bool = False

    def command(self) -> PlanCarePlan:
        types = None if self.session_types is None else tuple(self.session_types)
        return PlanCarePlan(types, self.commit)


class UnplacedType(Public):
    session_type: str
    code: str
    detail: str


class PlannedSessionPublic(Public):
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

    @classmethod
    def of(cls, planned: PlannedSession) -> PlannedSessionPublic:
        return cls(
            id=planned.id,
            infusion_id=planned.infusion_id,
            patient_id=planned.patient_id,
            session_type=planned.session_type,
            therapist_id=planned.therapist_id,
            room_id=planned.room_id,
            start=rfc3339(planned.start),
            end=rfc3339(planned.end),
            window=planned.window,
            score=planned.score,
            status=planned.status,
        )


class PlanPublic(Public):
    sessions: list[PlannedSessionPublic]
    unplaced: list[UnplacedType]
    committed: bool

    @classmethod
    def of(cls, plan: PlanView) -> PlanPublic:
        return cls(
            sessions=[PlannedSessionPublic.of(s) for s in plan.sessions],
            unplaced=[
                UnplacedType(session_type=u.session_type, code=u.code, detail=u.detail)
                for u in plan.unplaced
            ],
            committed=plan.committed,
        )


class FollowUpRequest(RequestBody):
    session_type: Key
    rrule: str = Field(
        min_length=1, max_length=limits.FOLLOW_UP_RRULE_MAX, examples=["FREQ=WEEKLY;COUNT=4"]
    )
    start: WhenText = Field(examples=["2026-03-11T10:00"])
    therapist_id: int | None = None
    tolerance_minutes: int = Field(
        default=0,
        ge=0,
        le=limits.TOLERANCE_MINUTES[1],
        description="may move an occurrence this far that day",
    )

    def command(self) -> BookFollowUps:
        return BookFollowUps(
            session_type=self.session_type,
            rrule=self.rrule,
            start=when(self.start, "start"),
            therapist_id=self.therapist_id,
            tolerance_minutes=self.tolerance_minutes,
        )


class UnplacedOccurrence(Public):
    occurrence: str
    code: str
    detail: str = ""


class OccurrencePublic(Public):
    """One occurrence of the series: booked (with its session, maybe shifted) or not, and why."""

    occurrence: str
    session_id: int | None
    start: str | None
    shifted_minutes: int
    code: str | None
    detail: str = ""

    @classmethod
    def of(cls, occurrence: Occurrence) -> OccurrencePublic:
        session = occurrence.session
        return cls(
            occurrence=occurrence.wall.isoformat(),
            session_id=session.id if session else None,
            start=rfc3339(session.start) if session else None,
            shifted_minutes=int(occurrence.shifted_by.total_seconds() // 60),
            code=occurrence.code,
            detail=occurrence.detail,
        )


class FollowUpsPublic(Public):
    sessions: list[SessionPublic]
    unplaced: list[UnplacedOccurrence]
    occurrences: list[OccurrencePublic]

    @classmethod
    def of(cls, view: FollowUpsView) -> FollowUpsPublic:
        return cls(
            sessions=[SessionPublic.of(s) for s in view.sessions],
            unplaced=[
                UnplacedOccurrence(
                    occurrence=o.wall.isoformat(), code=o.code or "", detail=o.detail
                )
                for o in view.unplaced
            ],
            occurrences=[OccurrencePublic.of(o) for o in view.occurrences],
        )


class DayPlanRequest(RequestBody):
    date: DateText = Field(examples=["2026-03-10"])
    commit: bool = False
    time_limit_seconds: float = Field(default=5.0, gt=0, le=limits.PLAN_SECONDS_MAX)

    def command(self) -> PlanDay:
        return PlanDay(day(self.date), self.commit, self.time_limit_seconds)


class ProposedSessionBody(RequestBody):
    """A session of a previewed day plan, as ``POST /api/plan/day`` (commit false) answered."""

    infusion_id: int
    session_type: Key
    therapist_id: int
    room_id: int | None = None
    start: WhenText = Field(examples=["2026-03-10T11:50:00-04:00"])

    def command(self) -> ProposedSession:
        return ProposedSession(
            self.infusion_id,
            self.session_type,
            self.therapist_id,
            self.room_id,
            when(self.start, "start"),
        )


class BookDayPlanRequest(RequestBody):
    """Book exactly the previewed plan: every session re-checked, all booked or none (409)."""

    date: DateText = Field(examples=["2026-03-10"])
    sessions: list[ProposedSessionBody] = Field(min_length=1, max_length=limits.DAY_PLAN_MAX)

    def command(self) -> BookDayPlan:
        return BookDayPlan(day(self.date), tuple(s.command() for s in self.sessions))


class UnplacedItem(Public):
    infusion_id: int
    session_type: str
    code: str
    detail: str = ""


class DayPlanPublic(Public):
    sessions: list[PlannedSessionPublic]
    unplaced: list[UnplacedItem]
    objective: dict[str, Any]
    solver: str
    seconds: float
    committed: bool

    @classmethod
    def of(cls, plan: DayPlanView) -> DayPlanPublic:
        return cls(
            sessions=[PlannedSessionPublic.of(s) for s in plan.sessions],
            unplaced=[
                UnplacedItem(
                    infusion_id=u.infusion_id,
                    session_type=u.session_type,
                    code=u.code,
                    detail=u.detail,
                )
                for u in plan.unplaced
            ],
            objective=plan.objective,
            solver=plan.solver,
            seconds=plan.seconds,
            committed=plan.committed,
        )
