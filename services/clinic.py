"""The clinic's settings and its window protocol (docs/rules.md, "The window protocol")."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.uow import UnitOfWork
from planner.errors import ValidationFailed
from planner.localtime import Clock, instant_in, require_whole_minutes, zone_named
from planner.protocol import Protocol, validate_recovery, validate_windows
from services.commands import ClinicSettings, NewProtocol
from services.views import ClinicView, WindowsPreview, local, local_window


def ensure_clinic(uow: UnitOfWork, name: str, timezone: str) -> None:
    """Create the clinic row on first start, from the settings; once, under the start-up
    lock, however many servers start together."""
    zone_named(timezone)
    with uow:
        uow.hold_startup_lock()
        if not uow.clinic.exists():
            uow.clinic.add(name, timezone)
            uow.commit()


def get_clinic(uow: UnitOfWork) -> ClinicView:
    with uow.reading():
        row = uow.clinic.row()
        return ClinicView(row.name, row.timezone, row.max_wait_minutes)


def put_clinic(uow: UnitOfWork, settings: ClinicSettings) -> ClinicView:
    zone_named(settings.timezone)
    with uow:
        row = uow.clinic.row()
        row.name, row.timezone = settings.name, settings.timezone
        row.max_wait_minutes = settings.max_wait_minutes
        uow.commit()
        return ClinicView(row.name, row.timezone, row.max_wait_minutes)


def get_protocol(uow: UnitOfWork) -> Protocol:
    with uow.reading():
        return uow.clinic.current_protocol()


def put_protocol(uow: UnitOfWork, wanted: NewProtocol, clock: Clock) -> Protocol:
    """Store a new protocol version; infusions already recorded keep theirs."""
    windows = validate_windows(wanted.windows)
    keys = {spec.key for spec in windows}
    with uow:
        orphaned = uow.session_types.keys_using_windows_other_than(keys)
        if orphaned:
            raise ValidationFailed(
                "the new protocol drops windows that session types use: "
                + ", ".join(orphaned)
                + " (change those session types first)"
            )
        latest = uow.clinic.current_protocol()
        protocol = Protocol(
            version=latest.version + 1,
            anchor=wanted.anchor,
            windows=windows,
            recovery=validate_recovery(wanted.recovery),
        )
        uow.clinic.add_protocol(protocol, clock())
        uow.commit()
        return protocol


def preview_windows(uow: UnitOfWork, start: datetime, duration_minutes: int) -> WindowsPreview:
    """The windows an infusion at ``start`` would have under the current protocol."""
    with uow.reading():
        zone = uow.clinic.zone()
        protocol = uow.clinic.current_protocol()
    instant = require_whole_minutes(instant_in(start, zone))
    duration = timedelta(minutes=duration_minutes)
    return WindowsPreview(
        anchor_time=local(protocol.anchor_time(instant, duration), zone),
        protocol_version=protocol.version,
        windows=tuple(local_window(w, zone) for w in protocol.windows_for(instant, duration)),
    )
