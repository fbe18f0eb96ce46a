"""The audit log, for administrators: who changed what, when; newest first, filterable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from models.ranges import Page
from services.audit import ENTITY_NAMES, list_audit
from services.clinic import get_clinic
from services.commands import AuditQuery
from web import access
from web.render import here, render

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
# the entities staff look for most first; every audited entity is in the list
FIRST = ("session", "infusion", "patient", "therapist", "time_off")
ENTITY_CHOICES = [*FIRST, *(e for e in ENTITY_NAMES if e not in FIRST)]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    actor: access.AdminActor,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    who: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    entity = entity or None
    who = (who or "").strip() or None
    query = AuditQuery(entity=entity, actor=who, newest_first=True)
    found = list_audit(access.unit_of_work(request), Page(limit=PER_PAGE, offset=offset), query)
    more = len(found) > PER_PAGE
    return render(
        request,
        "audit.html",
        {
            "clinic": get_clinic(access.unit_of_work(request)),
            "entries": found[:PER_PAGE],
            "entity": entity or "",
            "who": who or "",
            "entities": ENTITY_CHOICES,
            "older_url": here("/audit", entity=entity, who=who, offset=offset + PER_PAGE)
            if more
            else None,
            "newer_url": here("/audit", entity=entity, who=who, offset=max(0, offset - PER_PAGE))
            if offset
            else None,
        },
    )
