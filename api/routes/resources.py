"""Therapists, time off, rooms, session types and patients."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import AnyUser, KnownQuery, PageDep, Scheduler, UoW, paginate
from api.openapi import problems
from api.params import PathId
from api.schemas.people import (
    PatientCreate,
    PatientPublic,
    RoomCreate,
    RoomPublic,
    SessionTypeCreate,
    SessionTypePublic,
    TherapistCreate,
    TherapistPatch,
    TherapistPublic,
    TimeOffCreate,
    TimeOffPublic,
)
from services import catalog, therapists

router = APIRouter(prefix="/api", dependencies=[KnownQuery])


@router.post("/therapists", status_code=201, tags=["therapists"])
def post_therapist(body: TherapistCreate, actor: Scheduler, uow: UoW) -> TherapistPublic:
    return TherapistPublic.of(therapists.create_therapist(uow, body.command()))


@router.get("/therapists", tags=["therapists"])
def list_therapists(
    actor: AnyUser, uow: UoW, page: PageDep, request: Request, response: Response
) -> list[TherapistPublic]:
    found = [TherapistPublic.of(t) for t in therapists.list_therapists(uow, page)]
    return paginate(request, response, found, page)


@router.get("/therapists/{therapist_id}", tags=["therapists"])
def get_therapist(therapist_id: PathId, actor: AnyUser, uow: UoW) -> TherapistPublic:
    return TherapistPublic.of(therapists.get_therapist(uow, therapist_id))


@router.patch("/therapists/{therapist_id}", tags=["therapists"])
def patch_therapist(
    therapist_id: PathId, body: TherapistPatch, actor: Scheduler, uow: UoW
) -> TherapistPublic:
    return TherapistPublic.of(therapists.patch_therapist(uow, therapist_id, body.command()))


@router.post("/therapists/{therapist_id}/time-off", status_code=201, tags=["therapists"])
def post_time_off(
    therapist_id: PathId, body: TimeOffCreate, actor: Scheduler, uow: UoW
) -> TimeOffPublic:
    return TimeOffPublic.of(therapists.add_time_off(uow, therapist_id, body.command()))


@router.post("/rooms", status_code=201, tags=["rooms"])
def post_room(body: RoomCreate, actor: Scheduler, uow: UoW) -> RoomPublic:
    return RoomPublic.of(catalog.create_room(uow, body.command()))


@router.get("/rooms", tags=["rooms"])
def list_rooms(
    actor: AnyUser, uow: UoW, page: PageDep, request: Request, response: Response
) -> list[RoomPublic]:
    found = [RoomPublic.of(r) for r in catalog.list_rooms(uow, page)]
    return paginate(request, response, found, page)


@router.post("/session-types", status_code=201, tags=["session types"], responses=problems(409))
def post_session_type(body: SessionTypeCreate, actor: Scheduler, uow: UoW) -> SessionTypePublic:
    return SessionTypePublic.of(catalog.create_session_type(uow, body.command()))


@router.get("/session-types", tags=["session types"])
def list_session_types(
    actor: AnyUser, uow: UoW, page: PageDep, request: Request, response: Response
) -> list[SessionTypePublic]:
    found = [SessionTypePublic.of(t) for t in catalog.list_session_types(uow, page)]
    return paginate(request, response, found, page)


@router.post("/patients", status_code=201, tags=["patients"], responses=problems(409))
def post_patient(body: PatientCreate, actor: Scheduler, uow: UoW) -> PatientPublic:
    return PatientPublic.of(catalog.create_patient(uow, body.command()))


@router.get("/patients/{patient_id}", tags=["patients"])
def get_patient(patient_id: PathId, actor: AnyUser, uow: UoW) -> PatientPublic:
    """Staff: any patient; a therapist: only a patient it has a session with."""
    return PatientPublic.of(catalog.get_patient(uow, patient_id, actor))
