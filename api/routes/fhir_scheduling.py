"""FHIR scheduling under ``/fhir``: free ``Slot``s, ``Appointment/$find`` (IHE ITI-115, the
proposed appointments a patient can have) and ``POST /fhir/Appointment`` (booking).

Each is one of the same use cases as ``/api`` (slot search, booking), with the same roles:
staff who book. A refusal is an ``OperationOutcome`` whose issue carries the booking rule's
code (``therapist_busy``, ``outside_window`` …), as ``/api``'s problem carries it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import ClockDep, KnownQuery, Scheduler, UoW
from api.fhir_search import (
    DEFAULT_COUNT,
    INSTANT,
    PATIENT,
    PRACTITIONER,
    DateParameter,
    FhirJSON,
    bundle,
    catalog_of,
    date_range,
    id_in,
    id_of,
    instant_param,
)
from api.schemas.fhir import AppointmentCreate
from models.ranges import MAX_PAGE
from planner.errors import ValidationFailed
from services import fhir, proposals
from services.clinic import get_clinic
from services.fhir import SESSION_TYPE_SYSTEM

router = APIRouter(
    prefix="/fhir", tags=["fhir"], default_response_class=FhirJSON, dependencies=[KnownQuery]
)
SCHEDULE = r"^(Schedule/)?[0-9]{1,12}$"
# a token: ``system|code`` or ``code``; the code is a session type's key
SERVICE_TYPE = r"^([^|]{1,200}\|)?[a-z][a-z0-9_]{0,39}$"
ServiceType = Annotated[str, Query(alias="service-type", pattern=SERVICE_TYPE)]
Count = Annotated[int, Query(alias="_count", ge=1, le=MAX_PAGE)]


def _session_type(token: str) -> str:
    system, _, code = token.rpartition("|")
    if system and system != SESSION_TYPE_SYSTEM:
        raise ValidationFailed(f"service-type: the system must be {SESSION_TYPE_SYSTEM}")
    return code


@router.get("/Slot")
def search_slots(
    request: Request,
    actor: Scheduler,
    uow: UoW,
    clock: ClockDep,
    service_type: ServiceType,
    start: Annotated[list[DateParameter], Query()],
    schedule: Annotated[str | None, Query(pattern=SCHEDULE)] = None,
    count: Count = DEFAULT_COUNT,
    offset: Annotated[int, Query(alias="_offset", ge=0, le=1000)] = 0,
) -> JSONResponse:
    """Free slots for one session of ``service-type`` starting in the ``start`` range
    (``ge``…&``lt``…, at most 31 days), of one therapist's ``schedule`` or of every
    therapist who gives it, in time order: the therapist works and is free then (its
    buffers kept), under its daily limit, and a room of the kind is free. No slot has begun."""
    lo, hi = date_range(start, get_clinic(uow).zone)
    if lo is None or hi is None:
        raise ValidationFailed("start: give both ends, e.g. start=ge2026-03-10&start=lt2026-03-11")
    key = _session_type(service_type)
    therapist_id = id_of(schedule, "Schedule")
    search = proposals.TimeSearch(key, lo, hi, therapist_id, offset + count + 1)
    found = proposals.free_slots(uow, search, clock)
    kinds, _rooms = catalog_of(uow)
    page = [fhir.slot(s, kinds[key]) for s in found[offset : offset + count]]
    return bundle(request, page, offset=offset, more=len(found) > offset + count)


@router.get("/Appointment/$find")
def find_appointments(
    request: Request,
    actor: Scheduler,
    uow: UoW,
    clock: ClockDep,
    patient: Annotated[str, Query(pattern=PATIENT)],
    service_type: ServiceType,
    start: Annotated[str, Query(pattern=INSTANT)],
    end: Annotated[str, Query(pattern=INSTANT)],
    practitioner: Annotated[str | None, Query(pattern=PRACTITIONER)] = None,
    count: Count = 10,
) -> JSONResponse:
    """Proposed appointments (``status`` ``proposed``, no id) for the patient's session of
    ``service-type`` lying in ``[start, end)`` (at most 92 days; a date alone is a local
    day, ``end`` included), after whichever of its infusions opens that window, best first as
    the slot search ranks them. Each is a time booking accepts now: POST it to
    ``/fhir/Appointment`` to book it."""
    zone = get_clinic(uow).zone
    lo, hi = instant_param(start, zone, closing=False), instant_param(end, zone, closing=True)
    key = _session_type(service_type)
    search = proposals.TimeSearch(key, lo, hi, id_of(practitioner, "Practitioner"), count)
    found = proposals.find_proposals(uow, id_in(patient, "Patient"), search, clock)
    kinds, rooms = catalog_of(uow)
    return bundle(request, [fhir.proposed_appointment(p, kinds[key], rooms) for p in found])


@router.post("/Appointment", status_code=201, responses={409: {}})
def create_appointment(
    body: AppointmentCreate, request: Request, actor: Scheduler, uow: UoW, clock: ClockDep
) -> JSONResponse:
    """Book an appointment (a proposed one from ``$find``, or one naming the patient, the
    session type as ``serviceType`` and ``start``; the practitioner, the room and the
    infusion are chosen when not named) by exactly the booking rules of ``POST
    /api/sessions``. Booking the same appointment twice is refused like any double booking."""
    booked = proposals.book_proposal(uow, body.command(), clock)
    kinds, rooms = catalog_of(uow)
    where = f"{str(request.base_url).rstrip('/')}/fhir/Appointment/{booked.id}"
    resource = fhir.appointment(booked, kinds, rooms)
    return FhirJSON(resource, status_code=201, headers={"Location": where})
