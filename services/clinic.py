"""The clinic's settings and its window protocol (SPEC §2, §5)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from api.schemas.clinic import (
    ClinicBody,
    ClinicPublic,
    ProtocolBody,
    ProtocolPublic,
    WindowSpecPublic,
    WindowsPublic,
)
from models.db import hold_startup_lock
from models.tables import Clinic, ProtocolVersion, SessionType
from models.uow import UnitOfWork
from planner.durations import parse_duration
from planner.errors import ValidationFailed
from planner.localtime import Clock, parse_instant, require_whole_minutes, zone_named
from planner.protocol import WindowSpec, validate_windows
from services.common import (
    clinic,
    clinic_zone,
    current_protocol_row,
    protocol_from_row,
    windows_to_json,
)
from services.present import windows_public


def ensure_clinic(uow: UnitOfWork, name: str, timezone: str) -> None:
    """Create the clinic row on first start, from the settings (SPEC §8); once, under the
    start-up lock, however many servers start together."""
    zone_named(timezone)
    with uow:
        hold_startup_lock(uow.session.connection())
        if uow.session.get(Clinic, 1) is None:
            uow.session.add(Clinic(id=1, name=name, timezone=timezone))
            uow.commit()


def get_clinic(uow: UnitOfWork) -> ClinicPublic:
    with uow:
        row = clinic(uow.session)
        return ClinicPublic(name=row.name, timezone=row.timezone)


def put_clinic(uow: UnitOfWork, body: ClinicBody) -> ClinicPublic:
    zone_named(body.timezone)
    with uow:
        row = clinic(uow.session)
        row.name, row.timezone = body.name, body.timezone
        uow.commit()
        return ClinicPublic(name=row.name, timezone=row.timezone)


def _protocol_public(row: ProtocolVersion) -> ProtocolPublic:
    return ProtocolPublic(
        version=row.version,
        anchor=row.anchor,
        windows=[WindowSpecPublic(**w) for w in row.windows],
    )


def get_protocol(uow: UnitOfWork) -> ProtocolPublic:
    with uow:
        return _protocol_public(current_protocol_row(uow.session))


def put_protocol(uow: UnitOfWork, body: ProtocolBody, clock: Clock) -> ProtocolPublic:
    """Store a new protocol version; infusions already recorded keep theirs."""
    specs = validate_windows(
        [
            WindowSpec(
                key=w.key,
                label=w.label,
                implication=w.implication,
                start_offset=parse_duration(w.start_offset),
                end_offset=parse_duration(w.end_offset),
                target_offset=parse_duration(w.target_offset) if w.target_offset else None,
            )
            for w in body.windows
        ]
    )
    keys = {spec.key for spec in specs}
    with uow:
        session = uow.session
        orphaned = session.scalars(
            select(SessionType.key).where(SessionType.window.not_in(keys))
        ).all()
        if orphaned:
            raise ValidationFailed(
                "the new protocol drops windows that session types use: "
                + ", ".join(sorted(orphaned))
                + " (change those session types first)"
            )
        latest = current_protocol_row(session)
        row = ProtocolVersion(
            version=latest.version + 1,
            anchor=body.anchor,
            windows=windows_to_json(specs),
            created_at=clock(),
        )
        session.add(row)
        uow.commit()
        return _protocol_public(row)


def preview_windows(uow: UnitOfWork, start: str, duration_minutes: int) -> WindowsPublic:
    """The windows an infusion at ``start`` would have under the current protocol."""
    with uow:
        zone = clinic_zone(uow.session)
        protocol = protocol_from_row(current_protocol_row(uow.session))
    instant = require_whole_minutes(parse_instant(start, zone, field="start"))
    duration = timedelta(minutes=duration_minutes)
    return windows_public(
        protocol.anchor_time(instant, duration),
        protocol.version,
        protocol.windows_for(instant, duration),
        zone,
    )
