"""Small helpers the use cases share: the clinic's zone, the protocol, lookups, paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from models.tables import Clinic, ProtocolVersion
from planner.durations import format_duration, parse_duration
from planner.errors import NotFound, UnknownReference
from planner.localtime import day_bounds, parse_local_date
from planner.protocol import Protocol, WindowSpec

T = TypeVar("T")

MAX_PAGE = 500
DEFAULT_PAGE = 100


@dataclass(frozen=True)
class Page:
    limit: int = DEFAULT_PAGE
    offset: int = 0


def clinic(session: Session) -> Clinic:
    row = session.get(Clinic, 1)
    if row is None:
        raise RuntimeError("the clinic row is created at start-up")
    return row


def clinic_zone(session: Session) -> ZoneInfo:
    return ZoneInfo(clinic(session).timezone)


def protocol_from_row(row: ProtocolVersion) -> Protocol:
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
    return Protocol(
        version=row.version, anchor="start" if row.anchor == "start" else "end", windows=windows
    )


def windows_to_json(windows: tuple[WindowSpec, ...]) -> list[dict[str, Any]]:
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


def current_protocol_row(session: Session) -> ProtocolVersion:
    row = session.scalars(
        select(ProtocolVersion).order_by(ProtocolVersion.version.desc()).limit(1)
    ).first()
    if row is None:
        raise RuntimeError("the default protocol is created by the first migration")
    return row


def protocol_version(session: Session, version: int) -> Protocol:
    row = session.get(ProtocolVersion, version)
    if row is None:
        raise RuntimeError(f"protocol version {version} is missing")
    return protocol_from_row(row)


LONGEST_SESSION = timedelta(hours=12)  # session types last at most 12 h (schema)
LONGEST_INFUSION = timedelta(hours=24)  # infusions last at most 24 h (schema)
LONGEST_TIME_OFF = timedelta(days=366)  # time off is refused beyond a year


def overlapping(
    start: InstrumentedAttribute[datetime],
    end: InstrumentedAttribute[datetime],
    lo: datetime,
    hi: datetime,
    longest: timedelta,
) -> Any:
    """Rows whose ``[start, end)`` meets ``[lo, hi)``, as a range on the (…, start) indexes.

    ``start > lo - longest`` adds nothing logically (no row is longer), but it bounds the
    index scan by the time range asked for, never by the size of the history (SPEC §7).
    """
    return and_(start < hi, end > lo, start > lo - longest)


def on_local_day(column: InstrumentedAttribute[datetime], date_text: str, zone: ZoneInfo) -> Any:
    """``column`` falls on the clinic's local day ``date_text`` (23 or 25 h on DST days)."""
    first, last = day_bounds(parse_local_date(date_text), zone)
    return and_(column >= first, column < last)


def get_or_404(session: Session, model: type[T], ident: int, what: str) -> T:
    row = session.get(model, ident)
    if row is None:
        raise NotFound(what, ident)
    return row


def get_reference(session: Session, model: type[T], ident: int, what: str) -> T:
    row = session.get(model, ident)
    if row is None:
        raise UnknownReference(what, ident)
    return row
