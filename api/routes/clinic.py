"""Health, the clinic, the protocol and the windows preview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Admin, AnyUser, ClockDep, KnownQuery, UoW
from api.openapi import problems
from api.params import When
from api.schemas.base import when
from api.schemas.clinic import ClinicBody, ClinicPublic, ProtocolBody, ProtocolPublic, WindowsPublic
from services import clinic

router = APIRouter(prefix="/api", dependencies=[KnownQuery])


@router.get("/health", tags=["health"])
async def health() -> dict[str, str]:
    """Liveness: answered on the event loop, without the thread pool or the database."""
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
