"""Infusions: recording, answers with windows and sessions, moving (re-plan), cancelling."""

from __future__ import annotations

from pydantic import Field

from api.schemas.base import Key, Public, Reason, RequestBody, WhenText, maybe_when, rfc3339, when
from api.schemas.clinic import WindowPublic
from api.schemas.sessions import SessionPublic
from services import limits
from services.commands import MoveInfusion, RecordInfusion
from services.plan_views import ReplanView
from services.views import InfusionView, Unplaced


class UnplacedCarePlanItem(Public):
    session_type: str
    code: str
    detail: str = ""

    @classmethod
    def of(cls, unplaced: Unplaced) -> UnplacedCarePlanItem:
        return cls(session_type=unplaced.session_type, code=unplaced.code, detail=unplaced.detail)


class InfusionCreate(RequestBody):
    patient_id: int
    start: WhenText = Field(examples=["2026-03-07T23:50"])
    duration_minutes: int = Field(default=40, ge=1, le=limits.INFUSION_MINUTES[1])
    care_plan: list[Key] = Field(default_factory=list, max_length=limits.CARE_PLAN_MAX)
    auto_book: bool = False
    chair_id: int | None = Field(
        default=None, description="an infusion chair; without it the first free one is taken"
    )

    def command(self) -> RecordInfusion:
        return RecordInfusion(
            patient_id=self.patient_id,
            start=when(self.start, "start"),
            duration_minutes=self.duration_minutes,
            care_plan=tuple(self.care_plan),
            auto_book=self.auto_book,
            chair_id=self.chair_id,
        )


class InfusionPublic(Public):
    id: int
    patient_id: int
    start: str
    end: str
    duration_minutes: int
    protocol_version: int
    status: str
    care_plan: list[str]
    cancel_reason: str | None = None
    recovery_end: str = Field(
        description="the patient is under observation from end until then: nothing is booked"
    )
    chair_id: int | None = Field(
        default=None, description="the infusion chair it holds until recovery_end (if any)"
    )
    windows: list[WindowPublic]
    sessions: list[SessionPublic]
    unplaced: list[UnplacedCarePlanItem] | None = Field(
        default=None, description="with auto_book: care-plan items that could not be booked"
    )

    @classmethod
    def of(cls, view: InfusionView) -> InfusionPublic:
        return cls(
            id=view.id,
            patient_id=view.patient_id,
            start=rfc3339(view.start),
            end=rfc3339(view.end),
            duration_minutes=view.duration_minutes,
            protocol_version=view.protocol_version,
            status=view.status.value,
            care_plan=list(view.care_plan),
            cancel_reason=view.cancel_reason,
            recovery_end=rfc3339(view.recovery_end),
            chair_id=view.chair_id,
            windows=[WindowPublic.of(w) for w in view.windows],
            sessions=[SessionPublic.of(s) for s in view.sessions],
            unplaced=None
            if view.unplaced is None
            else [UnplacedCarePlanItem.of(u) for u in view.unplaced],
        )


class CancelBody(RequestBody):
    reason: Reason | None = None


class InfusionPatch(RequestBody):
    start: WhenText | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=limits.INFUSION_MINUTES[1])
    chair_id: int | None = Field(
        default=None, description="another chair; without it the infusion keeps its own if free"
    )

    def command(self) -> MoveInfusion:
        return MoveInfusion(maybe_when(self.start, "start"), self.duration_minutes, self.chair_id)


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

    @classmethod
    def replanned(cls, view: ReplanView) -> InfusionReplanned:
        infusion = InfusionPublic.of(view.infusion)
        replan = Replan(
            kept=list(view.kept),
            moved=[
                Moved(session_id=m.session_id, from_=rfc3339(m.before), to=rfc3339(m.after))
                for m in view.moved
            ],
            unplaced=[
                UnplacedSession(session_id=u.session_id, code=u.code, detail=u.detail)
                for u in view.unplaced
            ],
        )
        return cls(**infusion.model_dump(), replan=replan)
