"""FHIR R4 (read) under ``/fhir``: ``application/fhir+json``, the same tokens and roles as
``/api``. Searches answer a ``Bundle`` of type ``searchset``; refusals an
``OperationOutcome`` (``api/errors.py``). Unknown search parameters are refused (422)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import StringConstraints

from api.deps import AnyUser, KnownQuery, UoW
from api.params import PathId
from models.ranges import MAX_PAGE, Page
from planner.errors import NotFound, ValidationFailed
from planner.localtime import day_bounds
from services import catalog, fhir, sessions, therapists
from services.clinic import get_clinic
from services.fhir import FhirResource

FHIR_JSON = "application/fhir+json"


class FhirJSON(JSONResponse):
    media_type = FHIR_JSON


# Unknown search parameters are refused (FHIR's strict handling), as under /api: a misspelt
# ``practitoner=`` must not answer every appointment.
router = APIRouter(
    prefix="/fhir", tags=["fhir"], default_response_class=FhirJSON, dependencies=[KnownQuery]
)
EVERY = Page(limit=MAX_PAGE, offset=0)
DEFAULT_COUNT = 50
TINY = timedelta(microseconds=1)
# FHIR's id (R4 §2.24.0.1); references as ``Type/123`` or ``123``; dates with a prefix
FhirId = Annotated[str | None, Query(alias="_id", pattern=r"^[A-Za-z0-9\-.]{1,64}$")]
PRACTITIONER = r"^(Practitioner/)?[0-9]{1,12}$"
PATIENT = r"^(Patient/)?[0-9]{1,12}$"
DATE = (
    r"^(eq|ge|gt|le|lt)?[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9:.]{5,15}(Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)
DateParameter = Annotated[str, StringConstraints(pattern=DATE)]


def _answer(body: FhirResource) -> JSONResponse:
    return FhirJSON(body)


def _bundle(
    request: Request, resources: list[FhirResource], *, offset: int = 0, more: bool = False
) -> JSONResponse:
    """A ``searchset`` page from ``offset``: a ``next`` link while ``more`` remain, else the
    ``total``."""
    base = str(request.base_url).rstrip("/") + "/fhir"
    links = [{"relation": "self", "url": str(request.url)}]
    bundle: FhirResource = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if more:
        url = request.url.include_query_params(_offset=offset + len(resources))
        links.append({"relation": "next", "url": str(url)})
    else:
        bundle["total"] = offset + len(resources)
    bundle["entry"] = [
        {
            "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    return _answer(bundle)


def _only(resources: list[FhirResource], wanted: str | None) -> list[FhirResource]:
    return [r for r in resources if wanted is None or r["id"] == wanted]


def _one(resources: list[FhirResource], kind: str, ident: int) -> JSONResponse:
    """The resource with id ``ident`` among ``resources``, or 404."""
    found = _only(resources, str(ident))
    if not found:
        raise NotFound(kind, ident)
    return _answer(found[0])


def _id_of(reference: str | None, kind: str) -> int | None:
    """``Practitioner/3`` or ``3`` → 3 (None: not given)."""
    if reference is None:
        return None
    text = reference.removeprefix(f"{kind}/")
    if not text.isdigit() or len(text) > 12:
        raise ValidationFailed(f"{reference!r} is not a {kind} reference")
    return int(text)


@router.get("/metadata")
def metadata() -> JSONResponse:
    """The CapabilityStatement: exactly what this server supports."""
    return _answer(fhir.capability_statement("2026-12-03"))


@router.get("/Practitioner")
def search_practitioners(
    request: Request, actor: AnyUser, uow: UoW, wanted: FhirId = None
) -> JSONResponse:
    found = [fhir.practitioner(t) for t in therapists.list_therapists(uow, EVERY)]
    return _bundle(request, _only(found, wanted))


@router.get("/Practitioner/{therapist_id}")
def read_practitioner(therapist_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    return _answer(fhir.practitioner(therapists.get_therapist(uow, therapist_id)))


@router.get("/Location")
def search_locations(
    request: Request, actor: AnyUser, uow: UoW, wanted: FhirId = None
) -> JSONResponse:
    found = [fhir.location(r) for r in catalog.list_rooms(uow, EVERY)]
    return _bundle(request, _only(found, wanted))


@router.get("/Location/{room_id}")
def read_location(room_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    return _one([fhir.location(r) for r in catalog.list_rooms(uow, EVERY)], "Location", room_id)


@router.get("/HealthcareService")
def search_services(
    request: Request, actor: AnyUser, uow: UoW, wanted: FhirId = None
) -> JSONResponse:
    found = [fhir.healthcare_service(k) for k in catalog.list_session_types(uow, EVERY)]
    return _bundle(request, _only(found, wanted))


@router.get("/HealthcareService/{type_id}")
def read_service(type_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    found = [fhir.healthcare_service(k) for k in catalog.list_session_types(uow, EVERY)]
    return _one(found, "HealthcareService", type_id)


@router.get("/Schedule")
def search_schedules(
    request: Request,
    actor: AnyUser,
    uow: UoW,
    wanted: FhirId = None,
    actor_reference: Annotated[str | None, Query(alias="actor", pattern=PRACTITIONER)] = None,
) -> JSONResponse:
    whose = _id_of(actor_reference, "Practitioner")
    kinds = catalog.list_session_types(uow, EVERY)
    found = [
        fhir.schedule(t, kinds)
        for t in therapists.list_therapists(uow, EVERY)
        if whose is None or t.id == whose
    ]
    return _bundle(request, _only(found, wanted))


@router.get("/Schedule/{therapist_id}")
def read_schedule(therapist_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    kinds = catalog.list_session_types(uow, EVERY)
    return _answer(fhir.schedule(therapists.get_therapist(uow, therapist_id), kinds))


@router.get("/Patient/{patient_id}")
def read_patient(patient_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    """A patient (name, MRN); a therapist reads only patients it has a session with."""
    return _answer(fhir.patient(catalog.get_patient(uow, patient_id, actor)))


@router.get("/Appointment/{session_id}")
def read_appointment(session_id: PathId, actor: AnyUser, uow: UoW) -> JSONResponse:
    found = sessions.get_session(uow, session_id, actor)
    kinds, rooms = _catalog(uow)
    return _answer(fhir.appointment(found, kinds, rooms))


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
    lo, hi = _date_range(when or [], zone)
    statuses = _statuses(status)
    found = sessions.list_sessions(
        uow,
        actor,
        Page(limit=count, offset=offset),
        therapist_id=_id_of(practitioner, "Practitioner"),
        patient_id=_id_of(patient, "Patient"),
        starts_from=lo,
        starts_before=hi,
        statuses=statuses,
    )
    kinds, rooms = _catalog(uow)
    resources = [fhir.appointment(s, kinds, rooms) for s in found[:count]]
    return _bundle(request, resources, offset=offset, more=len(found) > count)


def _catalog(uow: Any) -> tuple[dict[str, Any], dict[int, str]]:
    kinds = {k.key: k for k in catalog.list_session_types(uow, EVERY)}
    rooms = {r.id: r.name for r in catalog.list_rooms(uow, EVERY)}
    return kinds, rooms


def _statuses(text: str | None) -> list[Any] | None:
    if text is None:
        return None
    chosen = []
    for name in text.split(","):
        if name not in fhir.STATUS_OF:
            known = ", ".join(fhir.STATUS_OF)
            raise ValidationFailed(f"status {name!r} is not one of {known}")
        chosen.append(fhir.STATUS_OF[name])
    return chosen


def _date_range(values: list[str], zone: Any) -> tuple[datetime | None, datetime | None]:
    """The ``[lo, hi)`` of start instants that FHIR ``date`` parameters allow."""
    lo: datetime | None = None
    hi: datetime | None = None
    for value in values:
        given = value[:2] in {"eq", "ge", "gt", "le", "lt"}
        prefix = value[:2] if given else "eq"
        first, after = _bounds(value[2:] if given else value, zone)
        low = {"eq": first, "ge": first, "gt": after}.get(prefix)
        high = {"eq": after, "lt": first, "le": after}.get(prefix)
        lo = max(lo, low) if lo and low else (low or lo)
        hi = min(hi, high) if hi and high else (high or hi)
    return lo, hi


def _bounds(text: str, zone: Any) -> tuple[datetime, datetime]:
    """A local date's first instant and the next day's; an instant and the one after it."""
    try:
        if len(text) == 10:
            return day_bounds(date.fromisoformat(text), zone)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed(f"date {text!r} is not a date or an instant with offset") from exc
    if moment.tzinfo is None:
        raise ValidationFailed(f"date {text!r} needs its UTC offset (or give a date alone)")
    return moment.astimezone(UTC), moment.astimezone(UTC) + TINY
