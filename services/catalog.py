"""Rooms, session types and patients."""

from __future__ import annotations

from models.ranges import Page
from models.tables import Patient, Room, SessionType
from models.uow import UnitOfWork
from planner.errors import Code, NotFound, PlannerError, ValidationFailed
from planner.roles import Actor
from services.commands import NewPatient, NewRoom, NewSessionType
from services.views import (
    PatientView,
    RoomView,
    SessionTypeView,
    patient_view,
    room_view,
    session_type_view,
)


def create_room(uow: UnitOfWork, new: NewRoom) -> RoomView:
    with uow:
        row = uow.rooms.add(Room(name=new.name, kind=new.kind))
        uow.commit()
        return room_view(row)


def list_rooms(uow: UnitOfWork, page: Page) -> list[RoomView]:
    with uow.reading():
        return [room_view(row) for row in uow.rooms.page(page)]


def create_session_type(uow: UnitOfWork, new: NewSessionType) -> SessionTypeView:
    with uow:
        protocol = uow.clinic.current_protocol()
        if protocol.window_spec(new.window) is None:
            keys = ", ".join(w.key for w in protocol.windows)
            raise ValidationFailed(
                f"window {new.window!r} is not in the protocol (its windows: {keys})"
            )
        if uow.session_types.exists(new.key):
            raise PlannerError(Code.already_exists, f"session type {new.key!r} already exists")
        row = uow.session_types.add(
            SessionType(
                key=new.key,
                name=new.name,
                duration_minutes=new.duration_minutes,
                discipline=new.discipline,
                window=new.window,
                room_kind=new.room_kind,
                modality=new.modality,
            )
        )
        uow.commit()
        return session_type_view(row)


def list_session_types(uow: UnitOfWork, page: Page) -> list[SessionTypeView]:
    with uow.reading():
        return [session_type_view(row) for row in uow.session_types.page(page)]


def create_patient(uow: UnitOfWork, new: NewPatient) -> PatientView:
    with uow:
        if new.mrn and uow.patients.by_mrn(new.mrn) is not None:
            raise PlannerError(Code.already_exists, "a patient with this MRN already exists")
        row = uow.patients.add(Patient(name=new.name, mrn=new.mrn))
        uow.commit()
        return patient_view(row)


def find_or_create_patient(uow: UnitOfWork, new: NewPatient) -> PatientView:
    """The patient with this MRN when the clinic knows it, else a new patient."""
    with uow.reading():
        known = uow.patients.by_mrn(new.mrn) if new.mrn else None
        if known is not None:
            return patient_view(known)
    return create_patient(uow, new)


def get_patient(uow: UnitOfWork, patient_id: int, actor: Actor) -> PatientView:
    """Staff see every patient; a therapist only those it has a session with (else 404)."""
    with uow.reading():
        row = uow.patients.get(patient_id)
        if actor.is_therapist_only and not uow.patients.has_session_with(
            patient_id, actor.therapist_id
        ):
            raise NotFound("patient", patient_id)
        return patient_view(row)


def patient_choices(uow: UnitOfWork) -> list[PatientView]:
    """Patients for the "record an infusion" form: the most recently added first."""
    with uow.reading():
        return [patient_view(row) for row in uow.patients.newest()]
