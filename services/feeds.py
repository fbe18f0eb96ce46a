"""Calendar feeds: a secret, revocable URL per therapist or room, and a patient's sessions.

Calendar apps cannot send a bearer header, so a feed is reached by a URL holding a random
token. Only the token's hash is stored; it is shown once, and issuing a new one ends the old
one at once (``FeedRepository.end``). A therapist manages its own feed, an administrator
every feed. Every read of a feed is audited, as a read of patient data (initials).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from models.audit import Change
from models.tables import CalendarFeed, TherapySession
from models.uow import UnitOfWork
from planner.errors import Code, NotFound, PlannerError
from planner.localtime import Clock
from planner.roles import Actor, Role
from planner.sessions import ACTIVE
from services.ical import CalendarEntry, calendar_document, initials
from services.users import token_fingerprint

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=180)
PATIENT_AHEAD = timedelta(days=365)


class FeedOwner(StrEnum):
    therapist = "therapist"
    room = "room"


@dataclass(frozen=True, slots=True)
class CalendarFile:
    body: bytes
    etag: str  # a strong validator of the body: an unchanged calendar answers 304


def _may_manage(actor: Actor, owner: FeedOwner, owner_id: int) -> None:
    if actor.at_least(Role.admin):
        return
    if owner == FeedOwner.therapist and actor.therapist_id == owner_id:
        return
    if owner == FeedOwner.therapist and not actor.may_see_therapist(owner_id):
        raise NotFound("therapist", owner_id)  # another therapist's: as if it did not exist
    raise PlannerError(Code.forbidden, f"only an administrator manages a {owner.value}'s feed")


def _owner_name(uow: UnitOfWork, owner: FeedOwner, owner_id: int) -> str:
    if owner == FeedOwner.therapist:
        return uow.therapists.get(owner_id).name
    return uow.rooms.get(owner_id).name


def issue_feed(uow: UnitOfWork, actor: Actor, owner: FeedOwner, owner_id: int, clock: Clock) -> str:
    """A new secret token for the owner's feed (shown once); the old one ends now."""
    _may_manage(actor, owner, owner_id)
    token = secrets.token_urlsafe(32)
    with uow:
        _owner_name(uow, owner, owner_id)
        now = clock()
        uow.feeds.end(owner.value, owner_id, now)
        row = uow.feeds.add(
            CalendarFeed(
                owner_kind=owner.value,
                owner_id=owner_id,
                token_hash=token_fingerprint(token),
                created_at=now,
                created_by=actor.user_id,
            )
        )
        uow.record(Change(owner.value, owner_id, "issue_feed", None, None, {"feed": row.id}))
        uow.commit()
    return token


def end_feed(uow: UnitOfWork, actor: Actor, owner: FeedOwner, owner_id: int, clock: Clock) -> None:
    """End the owner's feed: its URL answers 404 from now on (nothing to end is no error)."""
    _may_manage(actor, owner, owner_id)
    with uow:
        _owner_name(uow, owner, owner_id)
        if uow.feeds.end(owner.value, owner_id, clock()):
            uow.record(Change(owner.value, owner_id, "end_feed", None, None, None))
        uow.commit()


def read_feed(uow: UnitOfWork, token: str, clock: Clock) -> CalendarFile:
    """The calendar a feed URL stands for: 30 days back to 180 ahead, cancelled ones kept."""
    now = clock()
    with uow:
        feed = uow.feeds.live(token_fingerprint(token))
        if feed is None:
            raise PlannerError(Code.not_found, "this calendar feed does not exist or has ended")
        owner, owner_id = FeedOwner(feed.owner_kind), feed.owner_id
        name = _owner_name(uow, owner, owner_id)
        lo, hi = now - FEED_PAST, now + FEED_AHEAD
        if owner == FeedOwner.therapist:
            rows = uow.sessions.for_calendar(lo, hi, therapist_id=owner_id)
        else:
            rows = uow.sessions.for_calendar(lo, hi, room_id=owner_id)
        patients = uow.patients.names_of(r.patient_id for r in rows)
        entries = _entries(uow, rows, {r.id: initials(patients[r.patient_id]) for r in rows})
        body = calendar_document(f"{name} · sessions", uow.clinic.zone(), entries, published=True)
        uow.record(Change(owner.value, owner_id, "read_feed", None, None, {"sessions": len(rows)}))
        uow.commit()
    return CalendarFile(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def patient_calendar(uow: UnitOfWork, patient_id: int, clock: Clock) -> bytes:
    """A patient's upcoming sessions as one ``.ics`` file to hand over (audited)."""
    now = clock()
    with uow:
        patient = uow.patients.get(patient_id)
        rows = [
            r
            for r in uow.sessions.for_calendar(now, now + PATIENT_AHEAD, patient_id=patient_id)
            if r.status in ACTIVE and r.start >= now
        ]
        therapists = {t: uow.therapists.get(t).name for t in {r.therapist_id for r in rows}}
        entries = _entries(uow, rows, {r.id: therapists[r.therapist_id] for r in rows})
        clinic = uow.clinic.row()
        body = calendar_document(
            f"{clinic.name}: your sessions", uow.clinic.zone(), entries, published=False
        )
        uow.record(
            Change("patient", patient.id, "export_calendar", patient.id, None, None),
        )
        uow.commit()
    return body


def _entries(
    uow: UnitOfWork, rows: list[TherapySession], who: dict[int, str]
) -> list[CalendarEntry]:
    kinds = uow.session_types.kinds()
    _, rooms = uow.rooms.kinds_and_names(for_update=False)
    return [
        CalendarEntry(
            session_id=r.id,
            start=r.start,
            end=r.end,
            status=r.status,
            sequence=r.sequence,
            updated_at=r.updated_at,
            title=kinds[r.session_type].title if r.session_type in kinds else r.session_type,
            room=rooms.get(r.room_id) if r.room_id is not None else None,
            who=who[r.id],
        )
        for r in rows
    ]
