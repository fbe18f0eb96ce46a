"""What a booking board is made of: session kinds, therapists, occupations, infusions.

Plain values: ``models.calendar`` builds them from the database, ``planner.board`` checks the
booking rules over them, and the pages and the API read ``Placement`` as a slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from planner.intervals import Interval, subtract
from planner.protocol import Window
from planner.wording import words


@dataclass(frozen=True)
class SessionKind:
    """A session type: how long, which discipline, which window, which room kind."""

    key: str
    duration: timedelta
    discipline: str
    window: str
    room_kind: str | None = None
    name: str = ""
    modality: Modality = "on_site"

    @property
    def title(self) -> str:
        return self.name or words(self.key)


@dataclass(frozen=True)
class TherapistState:
    id: int
    disciplines: frozenset[str]
    buffer: timedelta
    max_per_day: int | None
    shifts: tuple[Interval, ...]
    time_off: tuple[tuple[int, Interval], ...] = ()
    name: str = ""

    @property
    def title(self) -> str:
        return self.name or f"therapist {self.id}"

    def working(self) -> list[Interval]:
        """Shifts minus time off."""
        return subtract(self.shifts, (piece for _, piece in self.time_off))


# Where a session happens: at the clinic, or by video (on an infusion day the patient stays at
# the clinic, so a telehealth session then is taken there and counts as on-site)
Modality = Literal["on_site", "telehealth"]
MODALITIES: tuple[Modality, ...] = ("on_site", "telehealth")

# An occupation's kind for the observation after an infusion (its id is the infusion's)
RECOVERY = "recovery"


@dataclass(frozen=True)
class Occupation:
    """Something that takes time: a non-cancelled session, one of the patient's infusions, or
    the recovery after one (``RECOVERY``)."""

    kind: str
    id: int
    start: datetime
    end: datetime
    therapist_id: int | None = None
    patient_id: int | None = None
    room_id: int | None = None
    active: bool = True
    what: str = ""  # in words: "Alex Demo's cognitive training", "Alex Demo's infusion"
    infusion_id: int | None = None
    session_type: str | None = None
    telehealth: bool = False

    @property
    def span(self) -> Interval:
        return Interval(self.start, self.end)


@dataclass(frozen=True)
class InfusionFacts:
    id: int
    patient_id: int
    cancelled: bool
    start: datetime
    end: datetime
    windows: tuple[Window, ...]
    patient_name: str = ""

    @property
    def patient(self) -> str:
        return self.patient_name or f"patient {self.patient_id}"

    def window(self, key: str) -> Window | None:
        return next((w for w in self.windows if w.key == key), None)


@dataclass(frozen=True)
class Placement:
    """A bookable place for a session: when, with whom, where, and how good."""

    start: datetime
    end: datetime
    therapist_id: int
    room_id: int | None
    window: str
    outside_window: bool
    score: float
    day_load: int = 0
