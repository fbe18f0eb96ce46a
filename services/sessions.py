"""Reading sessions: one session, lists by day, therapist and patient (a therapist: its own)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from models.ranges import Page
from models.tables import TherapySession
from models.uow import UnitOfWork
from planner.errors import NotFound
from planner.roles import Actor
from planner.sessions import SessionStatus
from services.views import SessionView, session_view


def session_views(
    uow: UnitOfWork, rows: Sequence[TherapySession], zone: ZoneInfo
) -> list[SessionView]:
    """Views of ``rows``, with the patients' names read in one query."""
    names = uow.patients.names_of(r.patient_id for r in rows)
    return [session_view(row, zone, names.get(row.patient_id)) for row in rows]


def visible_session(uow: UnitOfWork, session_id: int, actor: Actor) -> TherapySession:
    """The session, if the caller may see it (a therapist: only its own; else 404)."""
    row = uow.sessions.get(session_id)
    if not actor.may_see_therapist(row.therapist_id):
        raise NotFound("session", session_id)
    return row


def get_session(uow: UnitOfWork, session_id: int, actor: Actor) -> SessionView:
    with uow.reading():
        row = visible_session(uow, session_id, actor)
        return session_views(uow, [row], uow.clinic.zone())[0]


def list_sessions(
    uow: UnitOfWork,
    actor: Actor,
    page: Page,
    *,
    day: date | None = None,
    therapist_id: int | None = None,
    patient_id: int | None = None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
    statuses: Sequence[SessionStatus] | None = None,
) -> list[SessionView]:
    """Sessions by local day, start, therapist, patient and status; a therapist sees only
    its own."""
    if actor.is_therapist_only:
        if therapist_id is not None and therapist_id != actor.therapist_id:
            raise NotFound("therapist", therapist_id)
        therapist_id = actor.therapist_id if actor.therapist_id is not None else -1
    with uow.reading():
        zone = uow.clinic.zone()
        rows = uow.sessions.listed(
            zone,
            page,
            day=day,
            therapist_id=therapist_id,
            patient_id=patient_id,
            starts=(starts_from, starts_before),
            statuses=statuses,
        )
        return session_views(uow, rows, zone)
