"""FHIR R4 (read) under ``/fhir``: ``application/fhir+json``, the same tokens and roles as
``/api``. Searches answer a ``Bundle`` of type ``searchset``; refusals an
``OperationOutcome`` (``api/errors.py``). Unknown search parameters are refused (422)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import AnyUser, KnownQuery, UoW
from api.fhir_search import (
    DEFAULT_COUNT,
    EVERY,
    PATIENT,
    PRACTITIONER,
    DateParameter,
    FhirId,
    FhirJSON,
    answer,
    bundle,
    catalog_of,
    date_range,
    id_of,
    one,
    only,
    statuses_of,
)
from api.params import PathId
from models.ranges import MAX_PAGE, Page
from services import catalog, fhir, sessions, therapists
from services.clinic import get_clinic

# Unknown search parameters are refused (FHIR's strict handling), as under /api: a misspelt
# ``practitoner=`` must not answer every appointment.
router = APIRouter(
    prefix="/fhir", tags=["fhir"], default_response_class=FhirJSON, dependencies=[KnownQuery]
)


@router.get("/metadata")
def metadata() -> JSONResponse:
    """The CapabilityStatement: exactly what this server supports."""
    return answer(fhir.capability_statement("2026-12-04"))


@router.get("/Practitioner")
def search_practitioners(
    request: Request, actor: AnyUser, uow: UoW, wanted: FhirId = None
) -> JSONResponse:
    found = [fhir.practitioner(t) for t in therapists.list_therapists(uow, EVERY)]
    return bundle(request, only(found, wanted))


@router.get("/Practitioner/{therapist_id}")
def read_practitioner(therapist_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    return answer(fhir.practitioner(therapists.get_therapist(uow, therapist_id)))


@router.get("/Location")
def search_locations(
    request: Request, actor: AnyUser, uow: UoW, wanted: FhirId = None
) -> JSONResponse:
    found = [fhir.location(r) for r in catalog.list_rooms(uow, EVERY)]
    return bundle(request, only(found, wanted))


@router.get("/Location/{room_id}")
def read_location(room_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    return one([fhir.location(r) for r in catalog.list_rooms(uow, EVERY)], "Location", room_id)


@router.get("/HealthcareService")
def search_services(
    request: Request, actor: AnyUser, uow: UoW, wanted: FhirId = None
) -> JSONResponse:
    found = [fhir.healthcare_service(k) for k in catalog.list_session_types(uow, EVERY)]
    return bundle(request, only(found, wanted))


@router.get("/HealthcareService/{type_id}")
def read_service(type_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    found = [fhir.healthcare_service(k) for k in catalog.list_session_types(uow, EVERY)]
    return one(found, "HealthcareService", type_id)


@router.get("/Schedule")
def search_schedules(
    request: Request,
    actor: AnyUser,
    uow: UoW,
    wanted: FhirId = None,
    actor_reference: Annotated[str | None, Query(alias="actor", pattern=PRACTITIONER)] = None,
) -> JSONResponse:
    whose = id_of(actor_reference, "Practitioner")
    kinds = catalog.list_session_types(uow, EVERY)
    found = [
        fhir.schedule(t, kinds)
        for t in therapists.list_therapists(uow, EVERY)
        if whose is None or t.id == whose
    ]
    return bundle(request, only(found, wanted))


@router.get("/Schedule/{therapist_id}")
def read_schedule(therapist_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    kinds = catalog.list_session_types(uow, EVERY)
    return answer(fhir.schedule(therapists.get_therapist(uow, therapist_id), kinds))


@router.get("/Patient/{patient_id}")
def read_patient(patient_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    """A patient (name, MRN); a therapist reads only patients it has a session with."""
    return answer(fhir.patient(catalog.get_patient(uow, patient_id, actor)))


@router.get("/Appointment/{session_id}")
def read_appointment(session_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    found = sessions.get_session(uow, session_id, actor)
    kinds, rooms = catalog_of(uow)
    return answer(fhir.appointment(found, kinds, rooms))


# a therapist naming another practitioner: 404, as under /api (described by with_refusals)
@router.get("/Appointment", responses={404: {}})
def search_appointments(
    request: Request,
    actor: AnyUser,
    uow: UoW,
    when: Annotated[list[DateParameter] | None, Query(alias="date")] = None,
    practitioner: Annotated[str | None, Query(pattern=PRACTITIONER)] = None,
    patient: Annotated[str | None, Query(pattern=PATIENT)] = None,
    status: Annotated[str | None, Query(pattern=r"^[a-z,-]{1,80}$")] = None,
    count: Annotated[int, Query(alias="_count", ge=1, le=MAX_PAGE)] = DEFAULT_COUNT,
    offset: Annotated[int, Query(alias="_offset", ge=0, le=1_000_000)] = 0,
) -> JSONResponse:
    """Appointments by ``date`` (``ge``/``gt``/``le``/``lt``/``eq`` a date or an instant; a
    date is the clinic's local day), practitioner, patient and status (comma-separated FHIR
    statuses), ``_count`` at a time in time order, with ``link`` ``next`` while more remain.
    A therapist's search covers its own appointments."""
    zone = get_clinic(uow).zone
    lo, hi = date_range(when or [], zone)
    statuses = statuses_of(status)
    found = sessions.list_sessions(
        uow,
        actor,
        Page(limit=count, offset=offset),
        therapist_id=id_of(practitioner, "Practitioner"),
        patient_id=id_of(patient, "Patient"),
        starts_from=lo,
        starts_before=hi,
        statuses=statuses,
    )
    kinds, rooms = catalog_of(uow)
    resources = [fhir.appointment(s, kinds, rooms) for s in found[:count]]
    return bundle(request, resources, offset=offset, more=len(found) > count)
