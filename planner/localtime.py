"""The clinic's clock (docs/rules.md#time).

Instants are aware datetimes, stored in UTC. Input without an offset is the clinic's wall
time; a wall time that never happens (clocks go forward) or happens twice (clocks go back)
is refused with its own code, so a booking never lands an hour away from what staff meant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz as dateutil_tz

from planner.errors import Code, PlannerError, ValidationFailed

MIN_YEAR, MAX_YEAR = 1900, 2999
"""Datetimes outside these years are refused: windows after them must stay representable."""

Clock = Callable[[], datetime]
"""Something that tells the current instant (aware). Code that needs "now" takes one."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def next_whole_minute(instant: datetime) -> datetime:
    """``instant`` rounded up to a whole minute (UTC): sessions start on whole minutes."""
    utc = instant.astimezone(UTC)
    floor = utc.replace(second=0, microsecond=0)
    return floor if floor == utc else floor + timedelta(minutes=1)


def planning_now(clock: Clock) -> datetime:
    """Now as the booking rules see it: the clock read once, rounded up to a whole minute.

    The real clock is almost never on a whole minute; everything that compares session starts
    with now (in the past, slot search, the day optimizer's ``not_before``) uses this value.
    """
    return next_whole_minute(clock())


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone called ``name``, or a 422 ``validation_error``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValidationFailed(f"{name!r} is not an IANA time zone name") from exc


def local_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The one instant at which the clinic's clock shows ``wall`` (a naive datetime)."""
    if not dateutil_tz.datetime_exists(wall, zone):
        raise PlannerError(
            Code.nonexistent_local_time,
            f"{wall:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks go forward over "
            "it that night. Choose a time outside the skipped hour (or send the time with its "
            "UTC offset).",
        )
    if dateutil_tz.datetime_ambiguous(wall, zone):
        first, second = (wall.replace(tzinfo=zone, fold=fold) for fold in (0, 1))
        raise PlannerError(
            Code.ambiguous_local_time,
            f"{wall:%Y-%m-%d %H:%M} happens twice in {zone.key}: first in {first:%Z} "
            f"({_offset(first)}), then, after the clocks go back, in {second:%Z} "
            f"({_offset(second)}). Say which one: send the time with its UTC offset.",
        )
    return wall.replace(tzinfo=zone)


def wall_choices(wall: datetime, zone: ZoneInfo) -> tuple[datetime, ...]:
    """The instants a wall time names: none in a DST gap, two in a fold, else one."""
    if not dateutil_tz.datetime_exists(wall, zone):
        return ()
    if dateutil_tz.datetime_ambiguous(wall, zone):
        return tuple(wall.replace(tzinfo=zone, fold=fold) for fold in (0, 1))
    return (wall.replace(tzinfo=zone),)


def _offset(moment: datetime) -> str:
    """``UTC-04:00``."""
    text = moment.strftime("%z")
    return f"UTC{text[:3]}:{text[3:]}"


# [0-9], not \d: in Python \d matches any Unicode digit, in a JSON Schema pattern only 0-9.
_YEAR = r"(19[0-9]{2}|2[0-9]{3})"  # MIN_YEAR to MAX_YEAR, as the parsers check after the form
_DAY = r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_OFFSET = r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
_TIME = rf"[Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{{1,6}})?)?{_OFFSET}?"
DATE_PATTERN = f"^{_YEAR}{_DAY}$"
"""A local date as the API takes it (``2026-03-08``); the OpenAPI document states it."""
DATETIME_PATTERN = f"^{_YEAR}{_DAY}{_TIME}$"
"""RFC 3339 with an offset (an instant) or without one (the clinic's wall time)."""
_DATE_FORM = re.compile(rf"^[0-9]{{4}}{_DAY}$")
_DATETIME_FORM = re.compile(rf"^[0-9]{{4}}{_DAY}{_TIME}$")
_ANY_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _in_years(value: date, text: str, field: str) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationFailed(f"{field}: {text!r} is outside the years {MIN_YEAR}-{MAX_YEAR}")


def parse_datetime(text: str, *, field: str = "datetime") -> datetime:
    """RFC 3339 (``2026-03-08T03:30:00-04:00``, an instant) or a wall time (no offset, naive).

    Only the form is checked here; ``instant_in`` resolves a wall time in the clinic's zone.
    """
    try:
        if not isinstance(text, str) or not _DATETIME_FORM.fullmatch(text):
            if isinstance(text, str) and _ANY_DATE.fullmatch(text):
                raise ValidationFailed(f"{field}: {text!r} is a date; a date and time is needed")
            raise ValueError(text)
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            f"{field}: {text!r} is not an RFC 3339 datetime such as 2026-03-08T09:30 or "
            "2026-03-08T09:30:00-04:00"
        ) from exc
    _in_years(parsed.date(), text, field)
    return parsed


def instant_in(value: datetime, zone: ZoneInfo) -> datetime:
    """An aware datetime as UTC; a naive one as the clinic's wall time (refused in a DST gap
    or fold, see ``local_instant``)."""
    if value.tzinfo is None:
        return local_instant(value, zone).astimezone(UTC)
    return value.astimezone(UTC)


def parse_instant(text: str, zone: ZoneInfo, *, field: str = "datetime") -> datetime:
    """Parse RFC 3339 (``2026-03-08T03:30:00-04:00``) or a clinic wall time (no offset)."""
    return instant_in(parse_datetime(text, field=field), zone)


def require_whole_minutes(instant: datetime, field: str = "start") -> datetime:
    if instant.second or instant.microsecond:
        raise ValidationFailed(f"{field} must be a whole minute (seconds must be 0)")
    return instant


def parse_local_date(text: str, *, field: str = "date") -> date:
    """``2026-03-08`` (only this form, in the years MIN_YEAR to MAX_YEAR)."""
    try:
        if not isinstance(text, str) or not _DATE_FORM.fullmatch(text):
            raise ValueError(text)
        parsed = date.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{field}: {text!r} is not a date in the form YYYY-MM-DD") from exc
    _in_years(parsed, text, field)
    return parsed


def parse_wall_time(text: str, *, field: str = "time") -> time:
    try:
        parsed = time.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{field}: {text!r} is not a time of day such as 08:00") from exc
    if parsed.tzinfo is not None or parsed.second or parsed.microsecond:
        raise ValidationFailed(f"{field}: {text!r} must be a wall time in whole minutes (HH:MM)")
    return parsed


def wall_to_instant(day: date, wall: time, zone: ZoneInfo, *, latest: bool = False) -> datetime:
    """When the clock on ``day`` shows ``wall``, for working hours (never refused).

    A wall time skipped by the clocks maps to the instant the clocks jump (02:30 on a
    spring-forward night is 03:30 summer time); a repeated one maps to its first occurrence,
    or its last with ``latest`` (used for the end of a shift, so the shift keeps its hours).
    """
    naive = datetime.combine(day, wall)
    aware = naive.replace(tzinfo=zone, fold=1 if latest else 0)
    if not dateutil_tz.datetime_exists(naive, zone):
        aware = naive.replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The clinic's local calendar day as a half-open UTC interval (23 or 25 h on DST days)."""
    start = wall_to_instant(day, time(0), zone)
    end = wall_to_instant(day + timedelta(days=1), time(0), zone)
    return start, end


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def to_clinic(instant: datetime, zone: ZoneInfo) -> str:
    """An instant as RFC 3339 with the clinic's offset (``2026-03-08T03:30:00-04:00``)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetimes never leave the domain")
    return instant.astimezone(zone).isoformat()
