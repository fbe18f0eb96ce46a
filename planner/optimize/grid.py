"""The day's start grid: the ``grid_minutes`` marks of the local wall clock from midnight."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


class LocalGrid:
    """Which instants (whole minutes since the Unix epoch) are start marks of the day.

    Marks follow the wall clock of ``zone`` counted from local midnight of ``day``, every
    ``step`` minutes, so a DST day stays on the local grid (elapsed time would drift by the
    DST hour when ``step`` is not a divisor of 60).
    """

    def __init__(self, zone: ZoneInfo, day: date, step: int) -> None:
        self.zone = zone
        self.step = step
        # local midnight's wall clock, as minutes since the epoch read as if it were UTC
        naive = datetime(day.year, day.month, day.day) - datetime(1970, 1, 1)
        self.midnight_minute = int(naive.total_seconds()) // 60
        self._offsets: dict[int, int | None] = {}

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
        off = datetime.fromtimestamp(minute * 60, tz=self.zone).utcoffset()
        return 0 if off is None else int(off.total_seconds()) // 60

    def on_grid(self, minute: int) -> bool:
        """Whether the local wall clock at ``minute`` is a grid mark counted from midnight."""
        return (minute + self._offset(minute) - self.midnight_minute) % self.step == 0

    def starts(self, lo: int, hi: int) -> list[int]:
        """The grid marks in ``[lo, hi]``."""
        out: list[int] = []
        t = lo
        while t <= hi:
            if self.on_grid(t):
                out.append(t)
                t += self.step
            else:
                t += 1
        return out
