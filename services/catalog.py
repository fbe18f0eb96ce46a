"""Rooms, session types and patients."""

from __future__ import annotations

from sqlalchemy import select

from api.schemas.people import (
    PatientCreate,
    PatientPublic,
    RoomCreate,
    RoomPublic,
    SessionTypeCreate,
    SessionTypePublic,
)
from models.tables import Patient, Room, SessionType, TherapySession
from models.uow import UnitOfWork
from planner.errors import NotFound, PlannerError, ValidationFailed
from planner.roles import Actor
from services.common import Page, current_protocol_row, get_or_404, protocol_from_row


def create_room(uow: UnitOfWork, body: RoomCreate) -> RoomPublic:
    with uow:
        row = Room(name=body.name, kind=body.kind)
        uow.session.add(row)
        uow.commit()
        return RoomPublic.model_validate(row)


def list_rooms(uow: UnitOfWork, page: Page) -> list[RoomPublic]:
    with uow:
        rows = uow.session.scalars(
            select(Room).order_by(Room.id).limit(page.limit + 1).offset(page.offset)
        )
        return [RoomPublic.model_validate(row) for row in rows]


def create_session_type(uow: UnitOfWork, body: SessionTypeCreate) -> SessionTypePublic:
    with uow:
        session = uow.session
        protocol = protocol_from_row(current_protocol_row(session))
        if protocol.window_spec(body.window) is None:
            keys = ", ".join(w.key for w in protocol.windows)
            raise ValidationFailed(
                f"window {body.window!r} is not in the protocol (its windows: {keys})"
            )
        if session.scalars(select(SessionType).where(SessionType.key == body.key)).first():
            raise PlannerError("already_exists", f"session type {body.key!r} already exists")
        row = SessionType(**body.model_dump())
        session.add(row)
        uow.commit()
        return SessionTypePublic.model_validate(row)


def list_session_types(uow: UnitOfWork, page: Page) -> list[SessionTypePublic]:
    with uow:
        rows = uow.session.scalars(
            select(SessionType).order_by(SessionType.id).limit(page.limit + 1).offset(page.offset)
        )
        return [SessionTypePublic.model_validate(row) for row in rows]


def create_patient(uow: UnitOfWork, body: PatientCreate) -> PatientPublic:
    with uow:
        session = uow.session
        if body.mrn and session.scalars(select(Patient).where(Patient.mrn == body.mrn)).first():
            raise PlannerError("already_exists", "a patient with this MRN already exists")
        row = Patient(name=body.name, mrn=body.mrn)
        session.add(row)
        uow.commit()
        return PatientPublic.model_validate(row)


def get_patient(uow: UnitOfWork, patient_id: int, actor: Actor) -> PatientPublic:
    """Staff see every patient; a therapist only those it has a session with (else 404)."""
    with uow:
        session = uow.session
        row = get_or_404(session, Patient, patient_id, "patient")
        if actor.is_therapist_only:
            shared = session.scalar(
                select(TherapySession.id)
                .where(
                    TherapySession.patient_id == patient_id,
                    TherapySession.therapist_id == actor.therapist_id,
                )
                .limit(1)
            )
            if shared is None:
                raise NotFound("patient", patient_id)
        return PatientPublic.model_validate(row)
