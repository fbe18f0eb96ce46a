"""Time for the optimizer: ISO 8601 durations and the instance's local wall-clock grid."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


class InstanceError(ValueError):
    """The instance is malformed; the message says where."""


def parse_duration(text: object, where: str) -> int:
    """Minutes of an ISO 8601 duration of weeks, days, hours, minutes (and zero seconds)."""
    match = _DURATION.match(text.strip().upper()) if isinstance(text, str) else None
    if match is None:
        raise InstanceError(f"{where}: {text!r} is not an ISO 8601 duration such as PT2H or P1D")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    total = timedelta(**parts)
    if total.total_seconds() % 60:
        raise InstanceError(f"{where}: {text!r} is not a whole number of minutes")
    return int(total.total_seconds()) // 60


class Clock:
    def __init__(self, tz: ZoneInfo, day: date, grid: int) -> None:
        self.tz = tz
        self.grid = grid
        # local midnight's wall clock, as minutes since the epoch read as if it were UTC
        naive = datetime(day.year, day.month, day.day) - datetime(1970, 1, 1)
        self.midnight_minute = int(naive.total_seconds()) // 60
        self._offsets: dict[int, int | None] = {}

    def minute(self, value: object, where: str) -> int:
        if not isinstance(value, str):
            raise InstanceError(f"{where}: expected an RFC 3339 datetime, got {value!r}")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InstanceError(f"{where}: {value!r} is not an RFC 3339 datetime") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        seconds = moment.timestamp()
        if seconds % 60:
            raise InstanceError(f"{where}: {value!r} is not a whole minute")
        return int(seconds) // 60

    def _offset(self, minute: int) -> int:
        """The zone's UTC offset in minutes at ``minute``, cached per UTC hour."""
        hour = minute // 60
        cached = self._offsets.get(hour)
        if cached is None:
            first = self._offset_exact(hour * 60)
            same = first == self._offset_exact(hour * 60 + 59)
            cached = self._offsets[hour] = first if same else None
        return cached if cached is not None else self._offset_exact(minute)

    def _offset_exact(self, minute: int) -> int:
        off = datetime.fromtimestamp(minute * 60, tz=self.tz).utcoffset()
        return 0 if off is None else int(off.total_seconds()) // 60

    def on_grid(self, minute: int) -> bool:
        """Whether the local wall clock at ``minute`` is a grid mark counted from midnight."""
        return (minute + self._offset(minute) - self.midnight_minute) % self.grid == 0

    def starts(self, lo: int, hi: int) -> list[int]:
        """The grid marks in ``[lo, hi]``."""
        out: list[int] = []
        t = lo
        while t <= hi:
            if self.on_grid(t):
                out.append(t)
                t += self.grid
            else:
                t += 1
        return out
