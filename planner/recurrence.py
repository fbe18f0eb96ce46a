"""Recurrence rules (RFC 5545 RRULE text): the one place working hours and follow-up series
take them from. The rule's text is parsed and checked part by part in
``planner.recurrence_rule`` (only the parts a clinic needs, with bounded values, else a 422
that says what is wrong and what is allowed); here a rule must also give a date within the
year after its start, and it is expanded into dates.

Expansion is done here, in plain loops over the rule's periods: the work is bounded by the
periods between the first and the last date asked for (from the rule's start when COUNT has to
be counted), never by how far away the rule's next date is. (dateutil's ``between`` is not
such a bound: it keeps looking for one more date past the range, up to the year 9999, when
the rule gives none.) Occurrences keep the start's wall-clock time; datetimes are naive.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterator
from datetime import date, datetime, time

from planner.recurrence_rule import (
    MAX_COUNT,
    MAX_INTERVAL,
    Recurrence,
    parse_rule,
    refused,
)

__all__ = [
    "MAX_COUNT",
    "MAX_INTERVAL",
    "SERIES_YEARS",
    "Recurrence",
    "checked_rule",
    "occurrences",
    "parse_rule",
    "series",
]

SERIES_YEARS = 2
"""A follow-up series covers at most this many years from its start."""


@functools.lru_cache(maxsize=1024)
def checked_rule(text: str, origin: datetime) -> Recurrence:
    """:func:`parse_rule`, and a 422 unless the rule gives a date in the year from ``origin``.

    The check walks at most a year of the rule's periods.
    """
    rule = parse_rule(text)
    year_later = _years_later(origin, 1)
    if not occurrences(rule, origin, origin, year_later, limit=1):
        raise refused(
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
        raise refused(text, f"UNTIL is too late: {beyond}")
    found = occurrences(rule, start, start, horizon, limit=max(limit, rule.count or 0))
    if rule.count is not None and len(found) < rule.count:
        raise refused(text, f"COUNT={rule.count} dates do not fit: {beyond}")
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
