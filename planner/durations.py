"""ISO 8601 durations (``PT2H``, ``P1D``, ``P28D``) as exact elapsed ``timedelta`` values.

Only fixed-length units are accepted: weeks, days, hours, minutes and seconds. Years and
months have no fixed length and are refused rather than guessed.
"""

from __future__ import annotations

import re
from datetime import timedelta

from planner.errors import ValidationFailed

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration such as ``PT2H30M`` or ``P28D`` into a timedelta."""
    match = _DURATION.match(text.strip().upper()) if isinstance(text, str) else None
    if match is None:
        raise ValidationFailed(
            f"{text!r} is not an ISO 8601 duration of weeks, days, hours, minutes or seconds "
            "(for example PT2H, PT90M, P1D, P28D)"
        )
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    try:
        return timedelta(**parts)
    except OverflowError as exc:
        raise ValidationFailed(f"{text!r} is too long a duration") from exc


def format_duration(value: timedelta) -> str:
    """Format a timedelta as the shortest ISO 8601 duration (``PT4H``, ``P1DT2H``, ``PT0S``)."""
    if value < timedelta(0):
        raise ValueError("durations are never negative here")
    total = int(value.total_seconds())
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    time_part = "".join(
        f"{amount}{unit}"
        for amount, unit in ((hours, "H"), (minutes, "M"), (seconds, "S"))
        if amount
    )
    text = "P" + (f"{days}D" if days else "") + (f"T{time_part}" if time_part else "")
    return text if text != "P" else "PT0S"
