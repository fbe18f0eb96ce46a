"""iCalendar documents (RFC 5545) of sessions, written with the ``icalendar`` library.

What a calendar shows is the minimum a phone needs: the session type, the room, and the
patient as initials only (no name, no MRN, nothing about the infusion). Times are local with
the clinic's ``VTIMEZONE``; each session keeps its ``UID``, its ``SEQUENCE`` grows with every
move or status change (``models/tables.py``), a cancelled one stays as ``STATUS:CANCELLED``
so phones remove it, and ``DTSTAMP`` is the session's last change, so an unchanged calendar
is the same bytes (its ``ETag`` stays, and polling costs a 304).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from planner.sessions import SessionStatus

PRODUCT = "-//infusion-window-planner//Calendar feed//EN"
REFRESH = timedelta(hours=1)
UID_DOMAIN = "infusion-window-planner"


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One session as a calendar shows it."""

    session_id: int
    start: datetime
    end: datetime
    status: SessionStatus
    sequence: int
    updated_at: datetime
    title: str  # the session type's name
    room: str | None
    who: str  # initials of the patient (a therapist's or room's feed) or the therapist's name


def initials(name: str) -> str:
    """``"Pat Q. Example"`` → ``"P.Q.E."``: enough for a therapist to recognise, no more."""
    letters = [part[0].upper() for part in name.replace(".", " ").split() if part[:1].isalpha()]
    return "".join(f"{letter}." for letter in letters[:3]) or "—"


def calendar_document(
    name: str, zone: ZoneInfo, entries: Iterable[CalendarEntry], *, published: bool
) -> bytes:
    """The calendar of ``entries``; ``published``: a feed that apps poll (refresh hints)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone.key)
    if published:
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", REFRESH)
    for entry in entries:
        calendar.add_component(_event(entry, zone))
    calendar.add_missing_timezones()
    body: bytes = calendar.to_ical()
    return body


def _event(entry: CalendarEntry, zone: ZoneInfo) -> Event:
    event = Event()
    changed = entry.updated_at.astimezone(UTC)
    event.add("uid", f"session-{entry.session_id}@{UID_DOMAIN}")
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("sequence", entry.sequence)
    event.add("dtstart", entry.start.astimezone(zone))
    event.add("dtend", entry.end.astimezone(zone))
    cancelled = entry.status == SessionStatus.cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    event.add("summary", f"{entry.title} · {entry.who}")
    if entry.room:
        event.add("location", entry.room)
    return event
