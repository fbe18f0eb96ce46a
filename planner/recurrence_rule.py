"""A recurrence rule's text (RFC 5545 RRULE): parsed and checked, part by part.

Only the parts a clinic needs are accepted (FREQ=DAILY, WEEKLY or MONTHLY; INTERVAL; BYDAY;
BYMONTHDAY; COUNT or UNTIL; WKST), with bounded values; everything else is refused with a
422 that says what is wrong and what is allowed. Expanding a rule into dates is
``planner.recurrence``'s.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, time

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
        raise refused(text, f"give one RRULE that picks dates, such as {_EXAMPLE}")
    for part in (*_TIME_PARTS, "\n"):
        if part in upper:
            what = "a second line" if part == "\n" else part
            raise refused(
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
        raise refused(text, f"{unknown[0]} is not allowed; a rule may use {_ALLOWED}")
    if "FREQ" not in parts:
        raise _malformed(text, f"FREQ is missing (such as {_EXAMPLE})")
    freq = parts["FREQ"]
    if freq not in FREQS:
        raise refused(text, "FREQ must be DAILY, WEEKLY or MONTHLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise refused(text, "give COUNT or UNTIL, not both")
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


def _malformed(text: str, why: str) -> ValidationFailed:
    return ValidationFailed(f"rrule {text!r} is not a valid RFC 5545 RRULE: {why}")


def refused(text: str, why: str) -> ValidationFailed:
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
            raise refused(text, f"{name} is given twice; give each part once")
        parts[name] = value
    return parts


def _interval(text: str, freq: str, value: str | None) -> int:
    if value is None:
        return 1
    most = MAX_INTERVAL[freq]
    return _one_to(
        text, value, most, f"INTERVAL must be a whole number from 1 to {most} for FREQ={freq}"
    )


def _count(text: str, value: str | None) -> int | None:
    if value is None:
        return None
    return _one_to(text, value, MAX_COUNT, f"COUNT must be a whole number from 1 to {MAX_COUNT}")


def _one_to(text: str, value: str, most: int, why: str) -> int:
    """``value`` as a whole number from 1 to ``most``: not digits is malformed, out of range
    refused, both saying ``why``."""
    if not _NUMBER.fullmatch(value):
        raise _malformed(text, why)
    if not 1 <= int(value) <= most:
        raise refused(text, why)
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
            raise refused(text, f"BYDAY {item!r}: an ordinal (1MO, -1FR) needs FREQ=MONTHLY")
        n = int(ordinal)
        if not 1 <= abs(n) <= MAX_ORDINAL:
            raise refused(
                text,
                f"BYDAY {item!r}: the ordinal must be 1 to {MAX_ORDINAL} or "
                f"-{MAX_ORDINAL} to -1 (the weekday's place in the month)",
            )
        nth.add((weekday, n))
    if plain and nth:
        raise refused(
            text, "BYDAY mixes plain weekdays and ordinals (such as MO with 1FR); give one kind"
        )
    return frozenset(plain), frozenset(nth)


def _bymonthday(text: str, freq: str, value: str | None) -> frozenset[int]:
    if value is None:
        return frozenset()
    if freq == "WEEKLY":
        raise refused(text, "BYMONTHDAY needs FREQ=DAILY or MONTHLY")
    why = "BYMONTHDAY values must be 1 to 31 or -31 to -1"
    days: set[int] = set()
    for item in value.split(","):
        if not _SIGNED.fullmatch(item):
            raise _malformed(text, why)
        day = int(item)
        if not 1 <= abs(day) <= 31:
            raise refused(text, why)
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
        raise refused(text, "UNTIL is read in the clinic's local time: give it without Z")
    digits = match.group(1) + (match.group(2) or "")[1:]
    try:
        moment = datetime.strptime(digits, "%Y%m%d%H%M%S" if len(digits) > 8 else "%Y%m%d")
    except ValueError as exc:
        raise _malformed(text, f"{why} ({value!r} is no such date)") from exc
    lowest, highest = UNTIL_YEARS
    if not lowest <= moment.year <= highest:
        raise refused(text, f"UNTIL must fall in the years {lowest} to {highest}")
    return moment if match.group(2) else datetime.combine(moment.date(), time.max)


def _wkst(text: str, value: str | None) -> int:
    if value is None:
        return 0
    if value not in WEEKDAYS:
        raise _malformed(text, "WKST must be one of MO, TU, WE, TH, FR, SA or SU")
    return WEEKDAYS.index(value)
