"""Sessions, slots and a therapist's day."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.base import (
    Key,
    Public,
    Reason,
    RequestBody,
    WhenText,
    maybe_rfc3339,
    maybe_when,
    rfc3339,
    when,
)
from planner.board import Placement
from planner.intervals import Interval
from planner.sessions import SessionStatus
from services.commands import BookSession, ChangeStatus, MoveSession
from services.views import SessionView, TherapistDayView


class SessionPublic(Public):
    id: int
    infusion_id: int
    patient_id: int
    patient_name: str | None = None
    session_type: str
    therapist_id: int
    room_id: int | None
    start: str
    end: str
    status: str
    window: str
    outside_window: bool
    override_reason: str | None = None
    cancel_reason: str | None = None
    status_changed_at: str | None = None
    undo_until: str | None = Field(
        default=None, description="until when the last status change may be undone"
    )

    @classmethod
    def of(cls, view: SessionView) -> SessionPublic:
        return cls(
            id=view.id,
            infusion_id=view.infusion_id,
            patient_id=view.patient_id,
            patient_name=view.patient_name,
            session_type=view.session_type,
            therapist_id=view.therapist_id,
            room_id=view.room_id,
            start=rfc3339(view.start),
            end=rfc3339(view.end),
            status=view.status.value,
            window=view.window,
            outside_window=view.outside_window,
            override_reason=view.override_reason,
            cancel_reason=view.cancel_reason,
            status_changed_at=maybe_rfc3339(view.status_changed_at),
            undo_until=maybe_rfc3339(view.undo_until),
        )


class SessionCreate(RequestBody):
    infusion_id: int
    session_type: Key
    start: WhenText = Field(examples=["2026-03-10T11:50"])
    therapist_id: int | None = None
    room_id: int | None = None
    override_reason: Reason | None = Field(
        default=None, description="book outside the window (schedulers); the reason is audited"
    )

    def command(self) -> BookSession:
        return BookSession(
            infusion_id=self.infusion_id,
            session_type=self.session_type,
            start=when(self.start, "start"),
            therapist_id=self.therapist_id,
            room_id=self.room_id,
            override_reason=self.override_reason,
        )


class SessionMove(RequestBody):
    start: WhenText | None = None
    therapist_id: int | None = None
    override_reason: Reason | None = None

    def command(self) -> MoveSession:
        return MoveSession(maybe_when(self.start, "start"), self.therapist_id, self.override_reason)


class SessionCancel(RequestBody):
    reason: Reason | None = None


class StatusChange(RequestBody):
    status: Literal["checked_in", "completed", "no_show", "booked", "cancelled"] = Field(
        description="checked_in (from 30 minutes before the start), completed or no_show (once "
        "it has started); anything else is 409 invalid_transition"
    )

    def command(self) -> ChangeStatus:
        return ChangeStatus(SessionStatus(self.status))


class SlotPublic(Public):
    start: str
    end: str
    therapist_id: int
    room_id: int | None
    window: str
    score: float

    @classmethod
    def of(cls, slot: Placement) -> SlotPublic:
        return cls(
            start=rfc3339(slot.start),
            end=rfc3339(slot.end),
            therapist_id=slot.therapist_id,
            room_id=slot.room_id,
            window=slot.window,
            score=slot.score,
        )


class Span(Public):
    start: str
    end: str

    @classmethod
    def of(cls, piece: Interval) -> Span:
        return cls(start=rfc3339(piece.start), end=rfc3339(piece.end))


class DayPublic(Public):
    date: str
    timezone: str
    therapist_id: int
    working: list[Span]
    sessions: list[SessionPublic]
    free: list[Span]

    @classmethod
    def of(cls, view: TherapistDayView) -> DayPublic:
        return cls(
            date=view.date.isoformat(),
            timezone=view.timezone,
            therapist_id=view.therapist.id,
            working=[Span.of(w) for w in view.working],
            sessions=[SessionPublic.of(s) for s in view.sessions],
            free=[Span.of(f) for f in view.free],
        )
