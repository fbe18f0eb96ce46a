from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_serializer

from api.schemas.base import Key, Label, Name, Public, Reason, Request

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,100}$")]


class UserCreate(Request):
    username: Username
    role: Literal["admin", "scheduler", "therapist"]
    therapist_id: int | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class UserPublic(Public):
    id: int
    username: str
    role: str
    therapist_id: int | None
    disabled: bool = False
    token: str | None = None
    token_expires_at: str | None = None


class UserPatch(Request):
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class LoginBody(Request):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class LoginPublic(Public):
    token: str
    expires_at: str
    role: str


class WorkingHoursIn(Request):
    rrule: str = Field(min_length=1, max_length=500, examples=["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"])
    start: str = Field(examples=["08:00"])
    end: str = Field(examples=["17:00"])
    valid_from: str | None = Field(default=None, examples=["2026-01-01"])
    valid_until: str | None = None


class WorkingHoursPublic(Public):
    rrule: str
    start: str
    end: str
    valid_from: str | None = None
    valid_until: str | None = None


class TherapistCreate(Request):
    name: Name
    disciplines: list[Key] = Field(min_length=1, max_length=20)
    working_hours: list[WorkingHoursIn] = Field(default_factory=list, max_length=50)
    buffer_minutes: int = Field(default=0, ge=0, le=240)
    max_sessions_per_day: int | None = Field(default=None, ge=1, le=100)


class TherapistPatch(Request):
    name: Name | None = None
    disciplines: list[Key] | None = Field(default=None, min_length=1, max_length=20)
    working_hours: list[WorkingHoursIn] | None = Field(default=None, max_length=50)
    buffer_minutes: int | None = Field(default=None, ge=0, le=240)
    max_sessions_per_day: int | None = Field(default=None, ge=1, le=100)


class TherapistPublic(Public):
    id: int
    name: str
    disciplines: list[str]
    working_hours: list[WorkingHoursPublic]
    buffer_minutes: int
    max_sessions_per_day: int | None

    @field_serializer("working_hours")
    def _as_sent(self, entries: list[WorkingHoursPublic]) -> list[dict[str, str]]:
        """Working hours are answered as they were sent: no keys the client left out."""
        return [entry.model_dump(exclude_none=True) for entry in entries]


class TimeOffCreate(Request):
    start: str
    end: str
    reason: Reason = ""


class TimeOffPublic(Public):
    id: int
    therapist_id: int
    start: str
    end: str
    reason: str


class RoomCreate(Request):
    name: Name
    kind: Label


class RoomPublic(Public):
    id: int
    name: str
    kind: str


class SessionTypeCreate(Request):
    key: Key
    name: Name
    duration_minutes: int = Field(ge=5, le=12 * 60)
    discipline: Key
    window: Key
    room_kind: Label | None = None


class SessionTypePublic(Public):
    id: int
    key: str
    name: str
    duration_minutes: int
    discipline: str
    window: str
    room_kind: str | None


class PatientCreate(Request):
    name: Name
    mrn: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = None


class PatientPublic(Public):
    id: int
    name: str
    mrn: str | None
