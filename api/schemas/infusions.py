from __future__ import annotations

from pydantic import Field

from api.schemas.base import Key, Public, Reason, Request
from api.schemas.clinic import WindowPublic


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


class UnplacedCarePlanItem(Public):
    session_type: str
    code: str
    detail: str = ""


class InfusionCreate(Request):
    patient_id: int
    start: str = Field(examples=["2026-03-07T23:50"])
    duration_minutes: int = Field(default=40, ge=1, le=24 * 60)
    care_plan: list[Key] = Field(default_factory=list, max_length=20)
    auto_book: bool = False


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
    windows: list[WindowPublic]
    sessions: list[SessionPublic]
    unplaced: list[UnplacedCarePlanItem] | None = Field(
        default=None, description="with auto_book: care-plan items that could not be booked"
    )


class CancelBody(Request):
    reason: Reason | None = None
