"""Working hours: an RFC 5545 RRULE picks the dates, wall-clock start and end give the shift.

Shifts are wall-clock local times (docs/rules.md#time): 08:00–17:00 is 08:00–17:00 on a DST day too,
so the shift is 8 or 10 elapsed hours that night. Occurrences are counted from a fixed early
date (``valid_from`` when given), never from "now", so a rule means the same thing every day.
The rule itself is parsed, checked and expanded by ``planner.recurrence``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from planner import recurrence
from planner.errors import ValidationFailed
from planner.intervals import Interval
from planner.localtime import wall_to_instant

RULE_EPOCH = date(2000, 1, 3)
"""A Monday. Rules without ``valid_from`` count their occurrences from here."""


@dataclass(frozen=True)
class WorkingHours:
    rrule: str
    start: time
    end: time
    valid_from: date | None = None
    valid_until: date | None = None

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationFailed(
                f"working hours end ({self.end:%H:%M}) must be after they start "
                f"({self.start:%H:%M}) on the same day"
            )
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationFailed("valid_until must not be before valid_from")
        recurrence.checked_rule(self.rrule, self._origin())

    def dates_between(self, first: date, last: date) -> list[date]:
        """The dates in ``[first, last]`` (inclusive) on which this shift is worked."""
        lo = max(first, self.valid_from) if self.valid_from else first
        hi = min(last, self.valid_until) if self.valid_until else last
        if hi < lo:
            return []
        origin = self._origin()
        found = recurrence.occurrences(
            recurrence.checked_rule(self.rrule, origin),
            origin,
            datetime.combine(lo, time(0)),
            datetime.combine(hi, time(0)),
            limit=(hi - lo).days + 1,
        )
        return [moment.date() for moment in found]

    def _origin(self) -> datetime:
        """The rule's start (its DTSTART): periods and COUNT are counted from here."""
        return datetime.combine(self.valid_from or RULE_EPOCH, time(0))

    def shifts_between(self, first: date, last: date, zone: ZoneInfo) -> list[Interval]:
        return list(_shifts(self, first, last, zone))


def shifts_between(
    hours: Iterable[WorkingHours], first: date, last: date, zone: ZoneInfo
) -> list[Interval]:
    """Every shift of every working-hours entry between two local dates (inclusive)."""
    return sorted(shift for entry in hours for shift in entry.shifts_between(first, last, zone))


@lru_cache(maxsize=4096)
def _shifts(hours: WorkingHours, first: date, last: date, zone: ZoneInfo) -> tuple[Interval, ...]:
    """The shifts of one entry between two local dates: a pure function of its arguments,
    remembered, since every slot search and board asks it again for every therapist."""
    return tuple(
        Interval(
            wall_to_instant(day, hours.start, zone),
            wall_to_instant(day, hours.end, zone, latest=True),
        )
        for day in hours.dates_between(first, last)
    )
