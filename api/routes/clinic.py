"""Health, the clinic, the protocol and the windows preview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import Admin, AnyUser, ClockDep, KnownQuery, UoW, known_query
from api.openapi import problems
from api.params import When
from api.schemas.base import when
from api.schemas.clinic import ClinicBody, ClinicPublic, ProtocolBody, ProtocolPublic, WindowsPublic
from services import clinic

router = APIRouter(prefix="/api", dependencies=[KnownQuery])
# /api/health is asked for every few seconds by every monitor: it has no dependency to
# solve (FastAPI's dependency machinery cost as much again as the rest of the answer) and
# refuses unknown query parameters itself, as every other route does.
liveness = APIRouter(prefix="/api")


@liveness.get("/health", tags=["health"], responses=problems(422))
async def health(request: Request) -> dict[str, str]:
    """Liveness: answered on the event loop, without the thread pool or the database."""
    if request.scope.get("query_string"):
        await known_query(request)
    return {"status": "ok"}


@router.get("/clinic", tags=["clinic"])
def get_clinic(actor: AnyUser, uow: UoW) -> ClinicPublic:
    return ClinicPublic.of(clinic.get_clinic(uow))


@router.put("/clinic", tags=["clinic"])
def put_clinic(body: ClinicBody, actor: Admin, uow: UoW) -> ClinicPublic:
    return ClinicPublic.of(clinic.put_clinic(uow, body.command()))


@router.get("/protocol", tags=["protocol"])
def get_protocol(actor: AnyUser, uow: UoW) -> ProtocolPublic:
    return ProtocolPublic.of(clinic.get_protocol(uow))


@router.put("/protocol", tags=["protocol"], responses=problems(409))
def put_protocol(body: ProtocolBody, actor: Admin, uow: UoW, clock: ClockDep) -> ProtocolPublic:
    return ProtocolPublic.of(clinic.put_protocol(uow, body.command(), clock))


@router.get("/windows", tags=["protocol"])
def get_windows(
    actor: AnyUser,
    uow: UoW,
    start: Annotated[When, Query()],
    duration_minutes: Annotated[int, Query(ge=1, le=24 * 60)] = 40,
) -> WindowsPublic:
    """The windows for an infusion at ``start`` (nothing is stored)."""
    return WindowsPublic.of(clinic.preview_windows(uow, when(start, "start"), duration_minutes))
