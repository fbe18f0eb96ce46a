"""Working hours: an RFC 5545 RRULE picks the dates, wall-clock start and end give the shift.

Shifts are wall-clock local times (SPEC §3): 08:00–17:00 is 08:00–17:00 on a DST day too,
so the shift is 8 or 10 elapsed hours that night. Occurrences are counted from a fixed early
date (``valid_from`` when given), never from "now", so a rule means the same thing every day.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule

from planner.errors import ValidationFailed
from planner.intervals import Interval
from planner.localtime import wall_to_instant

RULE_EPOCH = date(2000, 1, 3)
"""A Monday. Rules without ``valid_from`` count their occurrences from here."""

_DATE_FREQS = {"YEARLY", "MONTHLY", "WEEKLY", "DAILY"}
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND", "DTSTART", "TZID")


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
        parse_rule(self.rrule, self.valid_from or RULE_EPOCH)

    def dates_between(self, first: date, last: date) -> list[date]:
        """The dates in ``[first, last]`` (inclusive) on which this shift is worked."""
        lo = max(first, self.valid_from) if self.valid_from else first
        hi = min(last, self.valid_until) if self.valid_until else last
        if hi < lo:
            return []
        origin = self.valid_from or RULE_EPOCH
        rule = parse_rule(self.rrule, _phase_preserving_start(self.rrule, origin, lo))
        found = rule.between(datetime.combine(lo, time(0)), datetime.combine(hi, time(0)), True)
        return [moment.date() for moment in found]

    def shifts_between(self, first: date, last: date, zone: ZoneInfo) -> list[Interval]:
        return [
            Interval(
                wall_to_instant(day, self.start, zone),
                wall_to_instant(day, self.end, zone, latest=True),
            )
            for day in self.dates_between(first, last)
        ]


def shifts_between(
    hours: Iterable[WorkingHours], first: date, last: date, zone: ZoneInfo
) -> list[Interval]:
    """Every shift of every working-hours entry between two local dates (inclusive)."""
    return sorted(shift for entry in hours for shift in entry.shifts_between(first, last, zone))


@functools.lru_cache(maxsize=1024)
def parse_rule(text: str, origin: date) -> rrule.rrule:
    """Parse one RRULE, counted from ``origin``; a clear 422 for anything malformed."""
    body = _body(text)
    upper = body.upper()
    if not body or "\n" in body or any(part in upper for part in _TIME_PARTS):
        raise ValidationFailed(
            f"rrule {text!r}: give one RRULE that picks dates, such as "
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR (no DTSTART, TZID or BYHOUR; the shift's "
            "start and end give the times)"
        )
    try:
        rule = rrule.rrulestr(body, dtstart=datetime.combine(origin, time(0)))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValidationFailed(f"rrule {text!r} is not a valid RFC 5545 RRULE: {exc}") from exc
    if not isinstance(rule, rrule.rrule) or _parts(text).get("FREQ") not in _DATE_FREQS:
        raise ValidationFailed(
            f"rrule {text!r}: FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY for working hours"
        )
    interval = _parts(text).get("INTERVAL", "1")
    if not interval.isdigit() or int(interval) < 1:
        raise ValidationFailed(f"rrule {text!r}: INTERVAL must be a whole number of at least 1")
    return rule


def _phase_preserving_start(text: str, origin: date, near: date) -> date:
    """A later origin that yields the same dates, so expansion does not replay decades.

    Only for DAILY and WEEKLY rules without COUNT: moving the origin by whole periods keeps
    every occurrence. Other rules keep their origin (they iterate months, which is cheap).
    """
    parts = _parts(text)
    if "COUNT" in parts or near <= origin:
        return origin
    period_days = {"DAILY": 1, "WEEKLY": 7}.get(parts.get("FREQ", ""))
    if period_days is None:
        return origin
    step = period_days * int(parts.get("INTERVAL", "1"))
    periods = (near - origin).days // step
    return origin + timedelta(days=periods * step)


def _body(text: str) -> str:
    body = text.strip()
    return body[6:] if body.upper().startswith("RRULE:") else body


def _parts(text: str) -> dict[str, str]:
    """``FREQ=WEEKLY;INTERVAL=2`` as ``{"FREQ": "WEEKLY", "INTERVAL": "2"}`` (upper-cased)."""
    pairs = (part.split("=", 1) for part in _body(text).upper().split(";") if "=" in part)
    return {name.strip(): value.strip() for name, value in pairs}
