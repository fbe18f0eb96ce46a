"""The clinic's one row (name, time zone) and the versions of its window protocol."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.reference import Kept, ReferenceCache
from models.tables import Clinic, ProtocolVersion
from planner.durations import format_duration, parse_duration
from planner.protocol import Anchor, Protocol, WindowSpec

CLINIC_ID = 1


def windows_to_json(windows: tuple[WindowSpec, ...]) -> list[dict[str, Any]]:
    """A protocol's rows as stored (ISO 8601 durations)."""
    return [
        {
            "key": w.key,
            "label": w.label,
            "implication": w.implication,
            "start_offset": format_duration(w.start_offset),
            "end_offset": format_duration(w.end_offset),
            "target_offset": format_duration(w.target_offset) if w.target_offset else None,
        }
        for w in windows
    ]


def protocol_of(row: ProtocolVersion) -> Protocol:
    windows = tuple(
        WindowSpec(
            key=w["key"],
            label=w["label"],
            implication=w.get("implication", ""),
            start_offset=parse_duration(w["start_offset"]),
            end_offset=parse_duration(w["end_offset"]),
            target_offset=parse_duration(w["target_offset"]) if w.get("target_offset") else None,
        )
        for w in row.windows
    )
    anchor: Anchor = "start" if row.anchor == "start" else "end"
    recovery = parse_duration(row.recovery)
    return Protocol(version=row.version, anchor=anchor, windows=windows, recovery=recovery)


class ClinicRepository:
    def __init__(self, db: Session, reference: ReferenceCache | None = None) -> None:
        """``reference``: a reading unit of work's cache of reference data (``kept``)."""
        self.db = db
        self._protocols: dict[int, Protocol] = {}
        self._reference = reference
        self._row: Clinic | None = None

    def row(self) -> Clinic:
        """The clinic row, read once per unit of work (the session's identity map holds its
        rows weakly: without this, each look was a query)."""
        if self._row is None:
            self._row = self.db.get(Clinic, CLINIC_ID)
            if self._row is None:
                raise RuntimeError("the clinic row is created at start-up")
        return self._row

    def kept(self) -> Kept | None:
        """Reference data kept under the version this transaction reads (None when it may
        write: a writing unit of work locks and reads the rows themselves)."""
        if self._reference is None:
            return None
        return Kept(self._reference.under(self.row().reference_version))

    def exists(self) -> bool:
        return self.db.get(Clinic, CLINIC_ID) is not None

    def add(self, name: str, timezone: str) -> Clinic:
        # a new clinic starts from a random version: no process has kept anything under it
        row = Clinic(
            id=CLINIC_ID, name=name, timezone=timezone, reference_version=secrets.randbits(48)
        )
        self.db.add(row)
        return row

    def max_wait(self) -> timedelta | None:
        """The clinic's cap on a patient's longest wait between on-site items of a day."""
        minutes = self.row().max_wait_minutes
        return None if minutes is None else timedelta(minutes=minutes)

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.row().timezone)

    def current_protocol(self) -> Protocol:
        row = self.db.scalars(
            select(ProtocolVersion).order_by(ProtocolVersion.version.desc()).limit(1)
        ).first()
        if row is None:
            raise RuntimeError("the default protocol is created by the first migration")
        return self._remember(protocol_of(row))

    def protocol(self, version: int) -> Protocol:
        """The protocol an infusion was recorded under (each version read once)."""
        if version not in self._protocols:
            kept = self.kept()
            read = partial(self._read_protocol, version)
            self._remember(read() if kept is None else kept.get(("protocol", version), read))
        return self._protocols[version]

    def _read_protocol(self, version: int) -> Protocol:
        row = self.db.get(ProtocolVersion, version)
        if row is None:
            raise RuntimeError(f"protocol version {version} is missing")
        return protocol_of(row)

    def add_protocol(self, protocol: Protocol, created_at: datetime) -> Protocol:
        self.db.add(
            ProtocolVersion(
                version=protocol.version,
                anchor=protocol.anchor,
                windows=windows_to_json(protocol.windows),
                recovery=format_duration(protocol.recovery),
                created_at=created_at,
            )
        )
        return self._remember(protocol)

    def _remember(self, protocol: Protocol) -> Protocol:
        self._protocols[protocol.version] = protocol
        return protocol
