"""A course of infusions: what is asked (``CourseCreate``) and what was placed."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Key, Public, RequestBody, WhenText, rfc3339, when
from api.schemas.infusions import UnplacedCarePlanItem
from services import limits
from services.commands import PlanCourse
from services.courses import CourseView, VisitView
from services.plan_views import PlannedSession


class CourseCreate(RequestBody):
    rrule: str = Field(
        min_length=1,
        max_length=300,
        description="the infusions' dates, in wall time from start; COUNT or UNTIL required",
        examples=["FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6"],
    )
    start: WhenText = Field(
        description="the first infusion's start; later ones keep its wall time",
        examples=["2026-03-09T09:00"],
    )
    duration_minutes: int = Field(default=40, ge=1, le=limits.INFUSION_MINUTES[1])
    care_plan: list[Key] = Field(default_factory=list, max_length=limits.CARE_PLAN_MAX)
    tolerance_minutes: int = Field(
        default=0, ge=0, le=240, description="how far an infusion may move to place more"
    )
    commit: bool = Field(default=False, description="false: a preview; nothing is stored")

    def command(self) -> PlanCourse:
        return PlanCourse(
            rrule=self.rrule,
            start=when(self.start, "start"),
            duration_minutes=self.duration_minutes,
            care_plan=tuple(self.care_plan),
            tolerance_minutes=self.tolerance_minutes,
            commit=self.commit,
        )


class VisitSessionPublic(Public):
    id: int | None = Field(description="null in a preview")
    session_type: str
    therapist_id: int
    room_id: int | None
    start: str
    end: str
    window: str

    @classmethod
    def of(cls, planned: PlannedSession, committed: bool) -> VisitSessionPublic:
        return cls(
            id=planned.id if committed else None,
            session_type=planned.session_type,
            therapist_id=planned.therapist_id,
            room_id=planned.room_id,
            start=rfc3339(planned.start),
            end=rfc3339(planned.end),
            window=planned.window,
        )


class VisitPublic(Public):
    preferred_start: str
    infusion_id: int | None = Field(description="null in a preview, or when none was placed")
    start: str | None
    end: str | None
    recovery_end: str | None
    chair_id: int | None
    shifted_minutes: int | None = Field(
        description="how far from the preferred start it was placed (null: not placed)"
    )
    sessions: list[VisitSessionPublic]
    unplaced: list[UnplacedCarePlanItem]
    refused: UnplacedCarePlanItem | None = Field(
        description="why no infusion could be placed within the tolerance"
    )

    @classmethod
    def of(cls, visit: VisitView, committed: bool) -> VisitPublic:
        infusion, plan = visit.infusion, visit.plan
        return cls(
            preferred_start=rfc3339(visit.preferred),
            infusion_id=infusion.id if infusion is not None and committed else None,
            start=rfc3339(infusion.start) if infusion else None,
            end=rfc3339(infusion.end) if infusion else None,
            recovery_end=rfc3339(infusion.recovery_end) if infusion else None,
            chair_id=infusion.chair_id if infusion else None,
            shifted_minutes=visit.shifted_minutes,
            sessions=[VisitSessionPublic.of(s, committed) for s in plan.sessions] if plan else [],
            unplaced=[UnplacedCarePlanItem.of(u) for u in (plan.unplaced if plan else ())],
            refused=UnplacedCarePlanItem.of(visit.refused) if visit.refused else None,
        )


class CoursePublic(Public):
    id: int | None = Field(description="null in a preview")
    patient_id: int
    rrule: str
    duration_minutes: int
    tolerance_minutes: int
    care_plan: list[str]
    committed: bool
    visits: list[VisitPublic]

    @classmethod
    def of(cls, view: CourseView) -> CoursePublic:
        return cls(
            id=view.id,
            patient_id=view.patient_id,
            rrule=view.rrule,
            duration_minutes=view.duration_minutes,
            tolerance_minutes=view.tolerance_minutes,
            care_plan=list(view.care_plan),
            committed=view.committed,
            visits=[VisitPublic.of(v, view.committed) for v in view.visits],
        )
