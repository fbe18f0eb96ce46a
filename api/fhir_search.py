"""What the ``/fhir`` routes share: the media type, ``searchset`` Bundles, references and
FHIR's ``date`` search parameters read into the clinic's instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse
from pydantic import StringConstraints

from models.ranges import MAX_PAGE, Page
from models.uow import UnitOfWork
from planner.errors import NotFound, ValidationFailed
from planner.localtime import day_bounds
from services import catalog, fhir
from services.fhir import FhirResource
from services.views import SessionTypeView

FHIR_JSON = "application/fhir+json"


class FhirJSON(JSONResponse):
    media_type = FHIR_JSON


EVERY = Page(limit=MAX_PAGE, offset=0)
DEFAULT_COUNT = 50
TINY = timedelta(microseconds=1)
# a date, or an instant (its offset is checked when it is read)
WHEN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]{5,15}(Z|[+-][0-9]{2}:[0-9]{2})?)?"
INSTANT = f"^{WHEN}$"
# FHIR's id (R4 §2.24.0.1); references as ``Type/123`` or ``123``; dates with a prefix
FhirId = Annotated[str | None, Query(alias="_id", pattern=r"^[A-Za-z0-9\-.]{1,64}$")]
PRACTITIONER = r"^(Practitioner/)?[0-9]{1,12}$"
PATIENT = r"^(Patient/)?[0-9]{1,12}$"
DATE = f"^(eq|ge|gt|le|lt)?{WHEN}$"
DateParameter = Annotated[str, StringConstraints(pattern=DATE)]


def answer(body: FhirResource) -> JSONResponse:
    return FhirJSON(body)


def bundle(
    request: Request, resources: list[FhirResource], *, offset: int = 0, more: bool = False
) -> JSONResponse:
    """A ``searchset`` page from ``offset``: a ``next`` link while ``more`` remain, else the
    ``total``."""
    base = str(request.base_url).rstrip("/") + "/fhir"
    links = [{"relation": "self", "url": str(request.url)}]
    body: FhirResource = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if more:
        url = request.url.include_query_params(_offset=offset + len(resources))
        links.append({"relation": "next", "url": str(url)})
    else:
        body["total"] = offset + len(resources)
    # computed resources (free slots, proposed appointments) have no id, so no full URL
    body["entry"] = [
        {
            **({"fullUrl": f"{base}/{r['resourceType']}/{r['id']}"} if "id" in r else {}),
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    return answer(body)


def only(resources: list[FhirResource], wanted: str | None) -> list[FhirResource]:
    return [r for r in resources if wanted is None or r["id"] == wanted]


def one(resources: list[FhirResource], kind: str, ident: int) -> JSONResponse:
    """The resource with id ``ident`` among ``resources``, or 404."""
    found = only(resources, str(ident))
    if not found:
        raise NotFound(kind, ident)
    return answer(found[0])


def id_in(reference: str, kind: str) -> int:
    """``Practitioner/3`` or ``3`` → 3."""
    text = reference.removeprefix(f"{kind}/")
    if not text.isdigit() or len(text) > 12:
        raise ValidationFailed(f"{reference!r} is not a {kind} reference")
    return int(text)


def id_of(reference: str | None, kind: str) -> int | None:
    """As ``id_in``; None when not given."""
    return None if reference is None else id_in(reference, kind)


def catalog_of(uow: UnitOfWork) -> tuple[dict[str, SessionTypeView], dict[int, str]]:
    """The session types by key and the rooms' names by id, for building resources."""
    kinds = {k.key: k for k in catalog.list_session_types(uow, EVERY)}
    rooms = {r.id: r.name for r in catalog.list_rooms(uow, EVERY)}
    return kinds, rooms


def statuses_of(text: str | None) -> list[Any] | None:
    if text is None:
        return None
    chosen = []
    for name in text.split(","):
        if name not in fhir.STATUS_OF:
            known = ", ".join(fhir.STATUS_OF)
            raise ValidationFailed(f"status {name!r} is not one of {known}")
        chosen.append(fhir.STATUS_OF[name])
    return chosen


def date_range(values: list[str], zone: Any) -> tuple[datetime | None, datetime | None]:
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


def instant_param(text: str, zone: Any, *, closing: bool) -> datetime:
    """A range's end as an instant: an instant as given (with its offset), a date as the
    first instant of its local day, or, ``closing``, of the day after (the day included)."""
    first, after = _bounds(text, zone)
    return after if closing and len(text) == 10 else first


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
