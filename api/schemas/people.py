"""Users, logins, therapists (with working hours and time off), rooms, session types, patients."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_serializer

from api.schemas.base import Key, Label, Name, Public, Reason, RequestBody, WhenText, rfc3339, when
from services import limits
from services.commands import (
    NewPatient,
    NewRoom,
    NewSessionType,
    NewTherapist,
    NewTimeOff,
    NewUser,
    TherapistChanges,
    UserChanges,
)
from services.users import LoginResult
from services.views import (
    NewUserView,
    PatientView,
    RoomView,
    SessionTypeView,
    TherapistView,
    TimeOffView,
    UserView,
)

Username = Annotated[str, StringConstraints(pattern=limits.USERNAME_PATTERN)]
Password = Annotated[
    str, StringConstraints(min_length=limits.PASSWORD_MIN, max_length=limits.PASSWORD_MAX)
]


class UserCreate(RequestBody):
    username: Username
    role: Literal["admin", "scheduler", "therapist"]
    therapist_id: int | None = None
    password: Password | None = None

    def command(self) -> NewUser:
        return NewUser(self.username, self.role, self.therapist_id, self.password)


class UserPublic(Public):
    id: int
    username: str
    role: str
    therapist_id: int | None
    disabled: bool = False
    token: str | None = None
    token_expires_at: str | None = None

    @classmethod
    def of(cls, view: UserView) -> UserPublic:
        return cls(
            id=view.id,
            username=view.username,
            role=view.role,
            therapist_id=view.therapist_id,
            disabled=view.disabled,
        )

    @classmethod
    def created(cls, new: NewUserView) -> UserPublic:
        expires = new.token.expires_at
        return cls.of(new.user).model_copy(
            update={
                "token": new.token.token,
                "token_expires_at": expires.isoformat() if expires else None,
            }
        )


class UserPatch(RequestBody):
    disabled: bool | None = None
    password: Password | None = None

    def command(self) -> UserChanges:
        return UserChanges(self.disabled, self.password)


class LoginBody(RequestBody):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=limits.PASSWORD_MAX)


class LoginPublic(Public):
    token: str
    expires_at: str
    role: str

    @classmethod
    def of(cls, result: LoginResult) -> LoginPublic:
        return cls(token=result.token, expires_at=result.expires_at.isoformat(), role=result.role)


class WorkingHoursIn(RequestBody):
    rrule: str = Field(
        min_length=1, max_length=limits.RRULE_MAX, examples=["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"]
    )
    start: str = Field(examples=["08:00"])
    end: str = Field(examples=["17:00"])
    valid_from: str | None = Field(default=None, examples=["2026-01-01"])
    valid_until: str | None = None

    def as_sent(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class WorkingHoursPublic(Public):
    rrule: str
    start: str
    end: str
    valid_from: str | None = None
    valid_until: str | None = None


class TherapistCreate(RequestBody):
    name: Name
    disciplines: list[Key] = Field(min_length=1, max_length=limits.DISCIPLINES_MAX)
    working_hours: list[WorkingHoursIn] = Field(
        default_factory=list, max_length=limits.WORKING_HOURS_MAX
    )
    buffer_minutes: int = Field(default=0, ge=0, le=limits.BUFFER_MINUTES[1])
    max_sessions_per_day: int | None = Field(default=None, ge=1, le=limits.DAILY_LIMIT[1])

    def command(self) -> NewTherapist:
        return NewTherapist(
            name=self.name,
            disciplines=tuple(self.disciplines),
            working_hours=tuple(h.as_sent() for h in self.working_hours),
            buffer_minutes=self.buffer_minutes,
            max_sessions_per_day=self.max_sessions_per_day,
        )


class TherapistPatch(RequestBody):
    name: Name | None = None
    disciplines: list[Key] | None = Field(
        default=None, min_length=1, max_length=limits.DISCIPLINES_MAX
    )
    working_hours: list[WorkingHoursIn] | None = Field(
        default=None, max_length=limits.WORKING_HOURS_MAX
    )
    buffer_minutes: int | None = Field(default=None, ge=0, le=limits.BUFFER_MINUTES[1])
    max_sessions_per_day: int | None = Field(default=None, ge=1, le=limits.DAILY_LIMIT[1])

    def command(self) -> TherapistChanges:
        fields = {name: getattr(self, name) for name in self.model_fields_set}
        if "working_hours" in fields and self.working_hours is not None:
            fields["working_hours"] = [h.as_sent() for h in self.working_hours]
        return TherapistChanges(fields)


class TherapistPublic(Public):
    id: int
    name: str
    disciplines: list[str]
    working_hours: list[WorkingHoursPublic]
    buffer_minutes: int
    max_sessions_per_day: int | None

    @classmethod
    def of(cls, view: TherapistView) -> TherapistPublic:
        return cls(
            id=view.id,
            name=view.name,
            disciplines=list(view.disciplines),
            working_hours=[
                WorkingHoursPublic(
                    rrule=h.rrule,
                    start=h.start,
                    end=h.end,
                    valid_from=h.valid_from,
                    valid_until=h.valid_until,
                )
                for h in view.working_hours
            ],
            buffer_minutes=view.buffer_minutes,
            max_sessions_per_day=view.max_sessions_per_day,
        )

    @field_serializer("working_hours")
    def _as_sent(self, entries: list[WorkingHoursPublic]) -> list[dict[str, str]]:
        """Working hours are answered as they were sent: no keys the client left out."""
        return [entry.model_dump(exclude_none=True) for entry in entries]


class TimeOffCreate(RequestBody):
    start: WhenText
    end: WhenText
    reason: Reason = ""

    def command(self) -> NewTimeOff:
        return NewTimeOff(when(self.start, "start"), when(self.end, "end"), self.reason)


class TimeOffPublic(Public):
    id: int
    therapist_id: int
    start: str
    end: str
    reason: str

    @classmethod
    def of(cls, view: TimeOffView) -> TimeOffPublic:
        return cls(
            id=view.id,
            therapist_id=view.therapist_id,
            start=rfc3339(view.start),
            end=rfc3339(view.end),
            reason=view.reason,
        )


class RoomCreate(RequestBody):
    name: Name
    kind: Label

    def command(self) -> NewRoom:
        return NewRoom(self.name, self.kind)


class RoomPublic(Public):
    id: int
    name: str
    kind: str

    @classmethod
    def of(cls, view: RoomView) -> RoomPublic:
        return cls(id=view.id, name=view.name, kind=view.kind)


class SessionTypeCreate(RequestBody):
    key: Key
    name: Name
    duration_minutes: int = Field(
        ge=limits.SESSION_TYPE_MINUTES[0], le=limits.SESSION_TYPE_MINUTES[1]
    )
    discipline: Key
    window: Key
    room_kind: Label | None = None
    modality: Literal["on_site", "telehealth"] = Field(
        default="on_site",
        description="telehealth: by video, except on an infusion day (the patient stays)",
    )

    def command(self) -> NewSessionType:
        return NewSessionType(
            self.key,
            self.name,
            self.duration_minutes,
            self.discipline,
            self.window,
            self.room_kind,
            self.modality,
        )


class SessionTypePublic(Public):
    id: int
    key: str
    name: str
    duration_minutes: int
    discipline: str
    window: str
    room_kind: str | None
    modality: str

    @classmethod
    def of(cls, view: SessionTypeView) -> SessionTypePublic:
        return cls(
            id=view.id,
            key=view.key,
            name=view.name,
            duration_minutes=view.duration_minutes,
            discipline=view.discipline,
            window=view.window,
            room_kind=view.room_kind,
            modality=view.modality,
        )


class PatientCreate(RequestBody):
    name: Name
    mrn: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=limits.MRN_MAX)
        ]
        | None
    ) = None

    def command(self) -> NewPatient:
        return NewPatient(self.name, self.mrn)


class PatientPublic(Public):
    id: int
    name: str
    mrn: str | None

    @classmethod
    def of(cls, view: PatientView) -> PatientPublic:
        return cls(id=view.id, name=view.name, mrn=view.mrn)
