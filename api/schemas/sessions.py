from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.base import Key, Public, Reason, Request
from api.schemas.infusions import SessionPublic


class SessionCreate(Request):
    infusion_id: int
    session_type: Key
    start: str = Field(examples=["2026-03-10T11:50"])
    therapist_id: int | None = None
    room_id: int | None = None
    override_reason: Reason | None = Field(
        default=None, description="book outside the window (schedulers); the reason is audited"
    )


class SessionMove(Request):
    start: str | None = None
    therapist_id: int | None = None
    override_reason: Reason | None = None


class SessionCancel(Request):
    reason: Reason | None = None


class StatusChange(Request):
    status: Literal["checked_in", "completed", "no_show", "booked", "cancelled"] = Field(
        description="checked_in, completed or no_show; anything else is 409 invalid_transition"
    )


class SlotPublic(Public):
    start: str
    end: str
    therapist_id: int
    room_id: int | None
    window: str
    score: float


class Span(Public):
    start: str
    end: str


class DayPublic(Public):
    date: str
    timezone: str
    therapist_id: int
    working: list[Span]
    sessions: list[SessionPublic]
    free: list[Span]


__all__ = [
    "DayPublic",
    "SessionCancel",
    "SessionCreate",
    "SessionMove",
    "SessionPublic",
    "SlotPublic",
    "Span",
    "StatusChange",
]
