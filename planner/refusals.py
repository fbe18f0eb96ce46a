"""The sentences of the booking rules' refusals that need more than one line to write: staff
read them (people, session types and windows by name, times on the clinic's clock)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from planner.errors import Code
from planner.facts import InfusionFacts, Occupation, SessionKind
from planner.protocol import Window
from planner.wording import listing, span, words

_WHY = {
    Code.therapist_unavailable: "is not working then",
    Code.therapist_busy: "is busy",
    Code.daily_limit: "has reached the daily limit",
}


def why_not(therapist: str, code: Code) -> str:
    """One therapist's reason, in the list ``nobody_free`` gives."""
    return f"{therapist} {_WHY[code]}"


def nobody_free(
    kind: SessionKind, start: datetime, end: datetime, refusals: list[str], zone: ZoneInfo
) -> str:
    """``no_therapist_free``: who practises the discipline, and why each of them cannot."""
    practice = words(kind.discipline)
    if not refusals:
        return f"no therapist practises {practice}"
    when = span(start, end, zone)
    return f"nobody who practises {practice} can take {kind.title} {when}: {listing(refusals)}"


def outside(
    kind: SessionKind, window: Window | None, start: datetime, end: datetime, zone: ZoneInfo
) -> str:
    """``outside_window``: the window the session type belongs in, and the time asked."""
    if window is None:
        return (
            f"{kind.title} belongs in the {words(kind.window)} window, which this "
            "infusion's protocol does not have"
        )
    inside = span(window.start, window.end, zone)
    asked = span(start, end, zone)
    return f"{kind.title} must lie wholly inside the {window.called} ({inside}); {asked} does not"


def patient_busy(first: Occupation, infusion: InfusionFacts, zone: ZoneInfo) -> str:
    """``patient_busy``: what the patient already has then (perhaps this very session,
    booked from another tab)."""
    patient = infusion.patient
    when = span(first.start, first.end, zone)
    if first.infusion_id == infusion.id and first.session_type is not None:
        return (
            f"{patient} is already booked for {first.what or 'this session'} {when} "
            "(perhaps from another tab: reload to see it)"
        )
    if first.kind == "infusion":
        return f"{patient} is in an infusion {when}"
    return f"{patient} already has {first.what or 'another session'} {when}"
