"""Infusion chairs: an infusion holds its chair from its start to the end of its recovery.

Pure: ``services.infusions`` reads the chairs and their holds (chair rows locked) and asks
``choose_chair`` which one an infusion takes, or why none (docs/rules.md, "Infusion chairs").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from planner.errors import Code, Conflict, PlannerError
from planner.wording import span_on_day

CHAIR_KIND = "infusion_chair"  # a room of this kind is an infusion chair


@dataclass(frozen=True)
class ChairHold:
    """An infusion (not cancelled) in its chair: ``[start, until)``, recovery included."""

    chair_id: int
    infusion_id: int
    start: datetime
    until: datetime

    def overlaps(self, start: datetime, until: datetime) -> bool:
        return self.start < until and start < self.until


def choose_chair(
    chairs: Mapping[int, str],
    holds: Sequence[ChairHold],
    start: datetime,
    until: datetime,
    zone: ZoneInfo,
    *,
    wanted: int | None = None,
    prefer: int | None = None,
) -> int | None:
    """The chair an infusion held ``[start, until)`` takes: ``wanted`` when named (it must be
    a chair, and free), else ``prefer`` when free (a moved infusion keeps its chair), else the
    free chair with the lowest id. None: the clinic has no chairs, so none is held."""
    in_way = [h for h in holds if h.overlaps(start, until)]
    if wanted is not None:
        if wanted not in chairs:
            raise PlannerError(Code.unknown_reference, f"room {wanted} is not an infusion chair")
        taken = [h for h in in_way if h.chair_id == wanted]
        if taken:
            raise PlannerError(
                Code.chair_unavailable,
                f"{chairs[wanted]} is taken {_when(taken, zone)}",
                _conflicts(taken, zone),
            )
        return wanted
    if not chairs:
        return None
    busy = {h.chair_id for h in in_way}
    order = sorted(chairs, key=lambda ident: (ident != prefer, ident))
    free = [ident for ident in order if ident not in busy]
    if free:
        return free[0]
    raise PlannerError(
        Code.chair_unavailable,
        f"every infusion chair is taken at some time {span_on_day(start, until, zone)} "
        "(the infusion and its recovery)",
        _conflicts(in_way, zone),
    )


def _when(holds: Sequence[ChairHold], zone: ZoneInfo) -> str:
    first = min(holds, key=lambda h: h.start)
    return f"{span_on_day(first.start, first.until, zone)} by another infusion and its recovery"


def _conflicts(holds: Sequence[ChairHold], zone: ZoneInfo) -> list[Conflict]:
    return [
        Conflict("infusion", h.infusion_id, h.start.astimezone(zone), h.until.astimezone(zone))
        for h in sorted(holds, key=lambda h: (h.start, h.infusion_id))
    ]
