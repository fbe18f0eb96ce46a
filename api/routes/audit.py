"""The audit log: read-only, for administrators. No route changes or deletes an entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import Admin, KnownQuery, PageDep, UoW, paginate
from api.params import When
from api.schemas.audit import AuditPublic
from api.schemas.base import maybe_when
from services.audit import list_audit
from services.commands import AuditQuery

router = APIRouter(prefix="/api", tags=["audit"], dependencies=[KnownQuery])


@router.get("/audit")
def get_audit(
    actor: Admin,
    uow: UoW,
    page: PageDep,
    request: Request,
    response: Response,
    since: Annotated[When | None, Query()] = None,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    by: Annotated[
        str | None, Query(alias="actor", max_length=100, description="username or user id")
    ] = None,
) -> list[AuditPublic]:
    """Who did what, when, to what: before and after, oldest first."""
    query = AuditQuery(since=maybe_when(since, "since"), entity=entity, actor=by)
    entries = [AuditPublic.of(e) for e in list_audit(uow, page, query)]
    return paginate(request, response, entries, page)
