"""Recurrence rules (RFC 5545 RRULE text): the one place that parses, checks and expands them.

Working hours and follow-up series both take a rule from users. Only the parts a clinic needs
are accepted (FREQ=DAILY, WEEKLY or MONTHLY; INTERVAL; BYDAY; BYMONTHDAY; COUNT or UNTIL;
WKST), with bounded values; everything else is refused with a 422 that says what is wrong
and what is allowed. A rule must give a date within the year after its start.

Expansion is done here, in plain loops over the rule's periods: the work is bounded by the
periods between the first and the last date asked for (from the rule's start when COUNT has to
be counted), never by how far away the rule's next date is. (dateutil's ``between`` is not
such a bound: it keeps looking for one more date past the range, up to the year 9999, when
the rule gives none.) Occurrences keep the start's wall-clock time; datetimes are naive.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from planner.errors import ValidationFailed

FREQS = ("DAILY", "WEEKLY", "MONTHLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST")
MAX_INTERVAL = {"DAILY": 366, "WEEKLY": 52, "MONTHLY": 12}
"""At most a year between periods: a longer step is not a clinic's rhythm."""
MAX_COUNT = 200
"""As many as a follow-up series books at most."""
MAX_ORDINAL = 5
"""A weekday occurs at most five times in a month: 5MO is the fifth Monday, -1FR the last
Friday."""
UNTIL_YEARS = (1900, 2999)
SERIES_YEARS = 2
"""A follow-up series covers at most this many years from its start."""

_TIME_PARTS = ("DTSTART", "TZID", "BYHOUR", "BYMINUTE", "BYSECOND")
_NUMBER = re.compile(r"[0-9]{1,6}")
_SIGNED = re.compile(r"[+-]?[0-9]{1,6}")
_WEEKDAY = re.compile(r"([+-]?[0-9]{1,6})?([A-Z]{2})")
_UNTIL = re.compile(r"([0-9]{8})(T[0-9]{6}Z?)?")
_ALLOWED = "FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL and WKST"
_EXAMPLE = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"


@dataclass(frozen=True)
class Recurrence:
    """A checked rule. Its dates need a start (``origin``): see :func:`occurrences`."""

    text: str
    freq: str
    interval: int = 1
    weekdays: frozenset[int] = frozenset()
    """Plain BYDAY weekdays, 0 = Monday."""
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()
    """BYDAY with an ordinal (MONTHLY only): ``(weekday, n)``, n in 1..5 or -5..-1."""
    monthdays: frozenset[int] = frozenset()
    """BYMONTHDAY: 1..31 from the month's start, -31..-1 from its end."""
    count: int | None = None
    until: datetime | None = None
    """Inclusive. A date-only UNTIL lasts to the end of that day."""
    wkst: int = 0

    @property
    def bounded(self) -> bool:
        """Whether the rule ends by itself (COUNT or UNTIL)."""
        return self.count is not None or self.until is not None


@functools.lru_cache(maxsize=1024)
def parse_rule(text: str) -> Recurrence:
    """The rule in ``text`` (an optional ``RRULE:`` prefix, any case), or a clear 422."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    upper = body.upper()
    if not body:
        raise _refused(text, f"give one RRULE that picks dates, such as {_EXAMPLE}")
    for part in (*_TIME_PARTS, "\n"):
        if part in upper:
            what = "a second line" if part == "\n" else part
            raise _refused(
                text,
                f"{what} is not allowed: give one RRULE that picks dates (no DTSTART, TZID or "
                "BYHOUR, BYMINUTE, BYSECOND: the times come from the working hours or from "
                "the series' start)",
            )
    if any(char.isspace() for char in body):
        raise _malformed(text, "it contains spaces")
    parts = _split(text, upper)
    unknown = [name for name in parts if name not in PARTS]
    if unknown:
        raise _refused(text, f"{unknown[0]} is not allowed; a rule may use {_ALLOWED}")
    if "FREQ" not in parts:
        raise _malformed(text, f"FREQ is missing (such as {_EXAMPLE})")
    freq = parts["FREQ"]
    if freq not in FREQS:
        raise _refused(text, "FREQ must be DAILY, WEEKLY or MONTHLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _refused(text, "give COUNT or UNTIL, not both")
    weekdays, nth = _byday(text, freq, parts.get("BYDAY"))
    return Recurrence(
        text=text,
        freq=freq,
        interval=_interval(text, freq, parts.get("INTERVAL")),
        weekdays=weekdays,
        nth_weekdays=nth,
        monthdays=_bymonthday(text, freq, parts.get("BYMONTHDAY")),
        count=_count(text, parts.get("COUNT")),
        until=_until(text, parts.get("UNTIL")),
        wkst=_wkst(text, parts.get("WKST")),
    )


@functools.lru_cache(maxsize=1024)
def checked_rule(text: str, origin: datetime) -> Recurrence:
    """:func:`parse_rule`, and a 422 unless the rule gives a date in the year from ``origin``.

    The check walks at most a year of the rule's periods.
    """
    rule = parse_rule(text)
    year_later = _years_later(origin, 1)
    if not occurrences(rule, origin, origin, year_later, limit=1):
        raise _refused(
            text,
            f"no date matches it in the year from {origin:%Y-%m-%d} to {year_later:%Y-%m-%d}; "
            "check its BYDAY, BYMONTHDAY, INTERVAL and UNTIL",
        )
    return rule


def occurrences(
    rule: Recurrence, origin: datetime, first: datetime, last: datetime, *, limit: int
) -> list[datetime]:
    """The rule's dates in ``[first, last]`` (inclusive), at ``origin``'s time of day.

    ``origin`` is the rule's start (RFC 5545 DTSTART): periods and COUNT are counted from it.
    At most ``limit`` dates. The work is bounded by the rule's periods from ``first`` (from
    ``origin`` for a rule with COUNT) to ``last``.
    """
    stop = last if rule.until is None else min(last, rule.until)
    low = max(first, origin)
    if limit < 1 or stop < low:
        return []
    # Without COUNT nothing before ``low`` matters, so the walk starts at its period.
    walk_from = origin.date() if rule.count is not None else low.date()
    found: list[datetime] = []
    counted = 0
    for day in _days(rule, origin.date(), walk_from, stop.date()):
        moment = datetime.combine(day, origin.time())
        if moment < origin:
            continue
        if moment > stop:
            break
        counted += 1
        if moment >= low:
            found.append(moment)
            if len(found) >= limit:
                break
        if rule.count is not None and counted >= rule.count:
            break
    return found


def series(text: str, start: datetime, end: datetime, *, limit: int) -> list[datetime]:
    """A follow-up series' wall times from ``start`` (naive, the clinic's wall clock).

    A rule with COUNT or UNTIL runs its course; one without stops at ``end`` (the window's
    end). Either way the series stays within :data:`SERIES_YEARS` of its start (a COUNT or
    UNTIL that would run past it is refused) and gives at most ``limit`` dates.
    """
    rule = checked_rule(text, start)
    horizon = datetime.combine(_years_later(start, SERIES_YEARS).date(), time.max)
    if not rule.bounded:
        return occurrences(rule, start, start, min(end, horizon), limit=limit)
    beyond = f"a series ends within {SERIES_YEARS} years of its start (by {horizon:%Y-%m-%d})"
    if rule.until is not None and rule.until > horizon:
        raise _refused(text, f"UNTIL is too late: {beyond}")
    found = occurrences(rule, start, start, horizon, limit=max(limit, rule.count or 0))
    if rule.count is not None and len(found) < rule.count:
        raise _refused(text, f"COUNT={rule.count} dates do not fit: {beyond}")
    return found[:limit]


# --- expansion ------------------------------------------------------------------------


def _days(rule: Recurrence, origin: date, walk_from: date, last: date) -> Iterator[date]:
    """The rule's dates in order, from the period holding ``walk_from`` to ``last``.

    Dates of that first period before ``walk_from`` (or before ``origin``) may be yielded:
    the caller skips them.
    """
    if rule.freq == "DAILY":
        yield from _daily(rule, origin, walk_from, last)
    elif rule.freq == "WEEKLY":
        yield from _weekly(rule, origin, walk_from, last)
    else:
        yield from _monthly(rule, origin, walk_from, last)


def _daily(rule: Recurrence, origin: date, walk_from: date, last: date) -> Iterator[date]:
    step = rule.interval
    periods = max(0, -(-(walk_from.toordinal() - origin.toordinal()) // step))
    ordinal = origin.toordinal() + periods * step
    while ordinal <= last.toordinal():
        day = date.fromordinal(ordinal)
        if (not rule.weekdays or day.weekday() in rule.weekdays) and _monthday_ok(rule, day):
            yield day
        ordinal += step


def _weekly(rule: Recurrence, origin: date, walk_from: date, last: date) -> Iterator[date]:
    step = 7 * rule.interval
    first_week = _week_start(origin, rule.wkst)
    periods = max(0, (_week_start(walk_from, rule.wkst) - first_week) // step)
    offsets = sorted((wd - rule.wkst) % 7 for wd in rule.weekdays or {origin.weekday()})
    week = first_week + periods * step
    while week <= last.toordinal():
        for offset in offsets:
            if week + offset <= last.toordinal():
                yield date.fromordinal(week + offset)
        week += step


def _monthly(rule: Recurrence, origin: date, walk_from: date, last: date) -> Iterator[date]:
    step = rule.interval
    first_month = origin.year * 12 + origin.month - 1
    periods = max(0, (walk_from.year * 12 + walk_from.month - 1 - first_month) // step)
    monthdays = rule.monthdays
    if not (monthdays or rule.weekdays or rule.nth_weekdays):
        monthdays = frozenset({origin.day})  # RFC 5545: the start's day of the month
    month = first_month + periods * step
    while month <= last.year * 12 + last.month - 1:
        year, index = divmod(month, 12)
        first_weekday, length = calendar.monthrange(year, index + 1)
        for day in range(1, length + 1):
            weekday = (first_weekday + day - 1) % 7
            if (
                (not monthdays or day in monthdays or day - length - 1 in monthdays)
                and (not rule.weekdays or weekday in rule.weekdays)
                and (not rule.nth_weekdays or _nth_ok(rule, weekday, day, length))
            ):
                yield date(year, index + 1, day)
        month += step


def _week_start(day: date, wkst: int) -> int:
    """The ordinal of the first day of ``day``'s week (weeks start on ``wkst``)."""
    return day.toordinal() - (day.weekday() - wkst) % 7


def _monthday_ok(rule: Recurrence, day: date) -> bool:
    if not rule.monthdays:
        return True
    length = calendar.monthrange(day.year, day.month)[1]
    return day.day in rule.monthdays or day.day - length - 1 in rule.monthdays


def _nth_ok(rule: Recurrence, weekday: int, day: int, length: int) -> bool:
    from_start = (day - 1) // 7 + 1
    from_end = -((length - day) // 7 + 1)
    return (weekday, from_start) in rule.nth_weekdays or (weekday, from_end) in rule.nth_weekdays


def _years_later(moment: datetime, years: int) -> datetime:
    """The same wall time ``years`` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


# --- parsing --------------------------------------------------------------------------


def _malformed(text: str, why: str) -> ValidationFailed:
    return ValidationFailed(f"rrule {text!r} is not a valid RFC 5545 RRULE: {why}")


def _refused(text: str, why: str) -> ValidationFailed:
    return ValidationFailed(f"rrule {text!r}: {why}")


def _split(text: str, upper: str) -> dict[str, str]:
    """``FREQ=WEEKLY;INTERVAL=2`` as ``{"FREQ": "WEEKLY", "INTERVAL": "2"}``, each part once."""
    parts: dict[str, str] = {}
    for pair in upper.split(";"):
        name, equals, value = pair.partition("=")
        if not pair:
            raise _malformed(text, "it has an empty part (';' twice or at the end)")
        if not equals or not name or not value:
            raise _malformed(text, f"{pair!r} is not a NAME=VALUE part")
        if name in parts:
            raise _refused(text, f"{name} is given twice; give each part once")
        parts[name] = value
    return parts


def _interval(text: str, freq: str, value: str | None) -> int:
    if value is None:
        return 1
    most = MAX_INTERVAL[freq]
    why = f"INTERVAL must be a whole number from 1 to {most} for FREQ={freq}"
    if not _NUMBER.fullmatch(value):
        raise _malformed(text, why)
    if not 1 <= int(value) <= most:
        raise _refused(text, why)
    return int(value)


def _count(text: str, value: str | None) -> int | None:
    if value is None:
        return None
    why = f"COUNT must be a whole number from 1 to {MAX_COUNT}"
    if not _NUMBER.fullmatch(value):
        raise _malformed(text, why)
    if not 1 <= int(value) <= MAX_COUNT:
        raise _refused(text, why)
    return int(value)


def _byday(
    text: str, freq: str, value: str | None
) -> tuple[frozenset[int], frozenset[tuple[int, int]]]:
    if value is None:
        return frozenset(), frozenset()
    plain: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for item in value.split(","):
        match = _WEEKDAY.fullmatch(item)
        if not match or match.group(2) not in WEEKDAYS:
            raise _malformed(
                text,
                f"BYDAY {item!r} is not a weekday: use MO, TU, WE, TH, FR, SA or SU "
                "(with FREQ=MONTHLY also an ordinal such as 1MO or -1FR)",
            )
        ordinal, weekday = match.group(1), WEEKDAYS.index(match.group(2))
        if ordinal is None:
            plain.add(weekday)
            continue
        if freq != "MONTHLY":
            raise _refused(text, f"BYDAY {item!r}: an ordinal (1MO, -1FR) needs FREQ=MONTHLY")
        n = int(ordinal)
        if not 1 <= abs(n) <= MAX_ORDINAL:
            raise _refused(
                text,
                f"BYDAY {item!r}: the ordinal must be 1 to {MAX_ORDINAL} or "
                f"-{MAX_ORDINAL} to -1 (the weekday's place in the month)",
            )
        nth.add((weekday, n))
    if plain and nth:
        raise _refused(
            text, "BYDAY mixes plain weekdays and ordinals (such as MO with 1FR); give one kind"
        )
    return frozenset(plain), frozenset(nth)


def _bymonthday(text: str, freq: str, value: str | None) -> frozenset[int]:
    if value is None:
        return frozenset()
    if freq == "WEEKLY":
        raise _refused(text, "BYMONTHDAY needs FREQ=DAILY or MONTHLY")
    why = "BYMONTHDAY values must be 1 to 31 or -31 to -1"
    days: set[int] = set()
    for item in value.split(","):
        if not _SIGNED.fullmatch(item):
            raise _malformed(text, why)
        day = int(item)
        if not 1 <= abs(day) <= 31:
            raise _refused(text, why)
        days.add(day)
    return frozenset(days)


def _until(text: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    why = "UNTIL must be a date YYYYMMDD or a local date-time YYYYMMDDTHHMMSS"
    match = _UNTIL.fullmatch(value)
    if not match:
        raise _malformed(text, why)
    if value.endswith("Z"):
        raise _refused(text, "UNTIL is read in the clinic's local time: give it without Z")
    digits = match.group(1) + (match.group(2) or "")[1:]
    try:
        moment = datetime.strptime(digits, "%Y%m%d%H%M%S" if len(digits) > 8 else "%Y%m%d")
    except ValueError as exc:
        raise _malformed(text, f"{why} ({value!r} is no such date)") from exc
    lowest, highest = UNTIL_YEARS
    if not lowest <= moment.year <= highest:
        raise _refused(text, f"UNTIL must fall in the years {lowest} to {highest}")
    return moment if match.group(2) else datetime.combine(moment.date(), time.max)


def _wkst(text: str, value: str | None) -> int:
    if value is None:
        return 0
    if value not in WEEKDAYS:
        raise _malformed(text, "WKST must be one of MO, TU, WE, TH, FR, SA or SU")
    return WEEKDAYS.index(value)
