"""SQL predicates for time ranges, bounded so every scan is limited by the range asked for.

Every query the planner makes is bounded by the time it looks at and served by an index on
(resource, start), never by the size of the history (docs/architecture.md, "Scale").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam
from sqlalchemy.orm import InstrumentedAttribute

from planner.localtime import day_bounds

LONGEST_SESSION = timedelta(hours=12)  # session types last at most 12 h (schema)
LONGEST_INFUSION = timedelta(hours=24)  # infusions last at most 24 h (schema)
LONGEST_TIME_OFF = timedelta(days=366)  # time off is refused beyond a year

MAX_PAGE = 500
DEFAULT_PAGE = 100


@dataclass(frozen=True)
class Page:
    """One page of a list: at most ``limit`` items after skipping ``offset``."""

    limit: int = DEFAULT_PAGE
    offset: int = 0


ALL = Page(limit=MAX_PAGE)
"""The most one list answers (the pages draw at most this many of anything)."""


def overlapping(
    start: InstrumentedAttribute[datetime],
    end: InstrumentedAttribute[datetime],
    lo: datetime,
    hi: datetime,
    longest: timedelta,
) -> Any:
    """Rows whose ``[start, end)`` meets ``[lo, hi)``, as a range on the (…, start) indexes.

    ``start > lo - longest`` adds nothing logically (no row is longer), but it bounds the
    index scan by the time range asked for, never by the size of the history.
    """
    return _meets(start, end, lo, hi, lo - longest)


def overlapping_asked(
    start: InstrumentedAttribute[datetime], end: InstrumentedAttribute[datetime]
) -> Any:
    """``overlapping`` with the range bound when the statement runs (``asked_range``), for a
    statement built once and run on every slot search: building and keying a statement
    anew costs SQLAlchemy a few tenths of a millisecond, about as much as running it."""
    return _meets(start, end, bindparam("lo"), bindparam("hi"), bindparam("since"))


def _meets(
    start: InstrumentedAttribute[datetime],
    end: InstrumentedAttribute[datetime],
    lo: Any,
    hi: Any,
    since: Any,
) -> Any:
    """``[start, end)`` meets ``[lo, hi)``; ``start > since`` bounds the index scan."""
    return and_(start < hi, end > lo, start > since)


def asked_range(lo: datetime, hi: datetime, longest: timedelta) -> dict[str, datetime]:
    """The parameters of ``overlapping_asked`` for ``[lo, hi)``."""
    return {"lo": lo, "hi": hi, "since": lo - longest}


def on_local_day(column: InstrumentedAttribute[datetime], day: date, zone: ZoneInfo) -> Any:
    """``column`` falls on the clinic's local day (23 or 25 hours long on DST days)."""
    first, last = day_bounds(day, zone)
    return and_(column >= first, column < last)
