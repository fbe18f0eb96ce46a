"""The audit log, for administrators: who changed what, when; newest first, filterable."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import get_uow
from api.schemas.audit import AuditPublic
from services.audit import list_audit
from services.clinic import get_clinic
from services.common import Page
from web import auth
from web.render import here, render

router = APIRouter(include_in_schema=False)
PER_PAGE = 50


def changes(entry: AuditPublic) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field the entry records, in a stable order."""
    before, after = entry.before or {}, entry.after or {}
    return [
        (name, before.get(name), after.get(name)) for name in sorted(before.keys() | after.keys())
    ]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    actor: auth.AdminActor,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    who: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    entity = entity or None
    who = (who or "").strip() or None
    found = list_audit(
        get_uow(request),
        Page(limit=PER_PAGE, offset=offset),
        entity=entity,
        actor=who,
        newest_first=True,
    )
    more = len(found) > PER_PAGE
    entries = found[:PER_PAGE]
    return render(
        request,
        "audit.html",
        {
            "clinic": get_clinic(get_uow(request)),
            "entries": [(e, changes(e)) for e in entries],
            "entity": entity or "",
            "who": who or "",
            "entities": [
                "session",
                "infusion",
                "patient",
                "therapist",
                "time_off",
                "room",
                "session_type",
                "user",
                "clinic",
                "protocol",
            ],
            "older_url": here("/audit", entity=entity, who=who, offset=offset + PER_PAGE)
            if more
            else None,
            "newer_url": here("/audit", entity=entity, who=who, offset=max(0, offset - PER_PAGE))
            if offset
            else None,
        },
    )
