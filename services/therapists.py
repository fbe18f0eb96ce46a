"""Therapists, their working hours (RRULEs in wall time) and their time off."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api.schemas.base import Request
from api.schemas.people import (
    TherapistCreate,
    TherapistPatch,
    TherapistPublic,
    TimeOffCreate,
    TimeOffPublic,
    WorkingHoursIn,
)
from models.tables import Therapist, TimeOff
from models.uow import UnitOfWork
from planner.errors import ValidationFailed
from planner.localtime import parse_instant, parse_local_date, parse_wall_time
from planner.roles import Actor
from planner.working_hours import WorkingHours
from services.common import LONGEST_TIME_OFF, Page, clinic_zone, get_or_404
from services.present import therapist_public, time_off_public


def working_hours_of(entries: list[dict[str, Any]]) -> list[WorkingHours]:
    """The domain's working hours from their stored (as-sent) JSON form; validates too."""
    result = []
    for index, entry in enumerate(entries):
        where = f"working_hours[{index}]"
        valid_from = entry.get("valid_from")
        valid_until = entry.get("valid_until")
        result.append(
            WorkingHours(
                rrule=entry["rrule"],
                start=parse_wall_time(entry["start"], field=f"{where}.start"),
                end=parse_wall_time(entry["end"], field=f"{where}.end"),
                valid_from=parse_local_date(valid_from, field=f"{where}.valid_from")
                if valid_from
                else None,
                valid_until=parse_local_date(valid_until, field=f"{where}.valid_until")
                if valid_until
                else None,
            )
        )
    return result


def _as_sent(entries: list[WorkingHoursIn]) -> list[dict[str, Any]]:
    stored = [entry.model_dump(exclude_none=True) for entry in entries]
    try:
        working_hours_of(stored)
    except ValidationFailed as exc:
        raise ValidationFailed(f"working_hours: {exc.detail}") from exc
    return stored


def create_therapist(uow: UnitOfWork, body: TherapistCreate) -> TherapistPublic:
    row = Therapist(
        name=body.name,
        disciplines=sorted(set(body.disciplines)),
        working_hours=_as_sent(body.working_hours),
        buffer_minutes=body.buffer_minutes,
        max_sessions_per_day=body.max_sessions_per_day,
    )
    with uow:
        uow.session.add(row)
        uow.commit()
        return therapist_public(row)


def list_therapists(uow: UnitOfWork, page: Page) -> list[TherapistPublic]:
    with uow:
        rows = uow.session.scalars(
            select(Therapist).order_by(Therapist.id).limit(page.limit + 1).offset(page.offset)
        ).all()
        return [therapist_public(row) for row in rows]


def get_therapist(uow: UnitOfWork, therapist_id: int, actor: Actor) -> TherapistPublic:
    with uow:
        return therapist_public(get_or_404(uow.session, Therapist, therapist_id, "therapist"))


def patch_therapist(uow: UnitOfWork, therapist_id: int, body: TherapistPatch) -> TherapistPublic:
    changes = _changes(body)
    for required in ("name", "disciplines", "buffer_minutes"):
        if required in changes and changes[required] is None:
            raise ValidationFailed(f"{required} cannot be null")
    if "working_hours" in changes:
        changes["working_hours"] = _as_sent(body.working_hours or [])
    if "disciplines" in changes:
        changes["disciplines"] = sorted(set(body.disciplines or []))
    with uow:
        row = get_or_404(uow.session, Therapist, therapist_id, "therapist")
        for field, value in changes.items():
            setattr(row, field, value)
        uow.commit()
        return therapist_public(row)


def _changes(body: Request) -> dict[str, Any]:
    return {field: getattr(body, field) for field in body.model_fields_set}


def add_time_off(uow: UnitOfWork, therapist_id: int, body: TimeOffCreate) -> TimeOffPublic:
    with uow:
        zone = clinic_zone(uow.session)
        start = parse_instant(body.start, zone, field="start")
        end = parse_instant(body.end, zone, field="end")
        if end <= start:
            raise ValidationFailed("time off must end after it starts")
        if end - start > LONGEST_TIME_OFF:
            raise ValidationFailed("time off is at most 366 days; record a longer absence in parts")
        get_or_404(uow.session, Therapist, therapist_id, "therapist")
        row = TimeOff(therapist_id=therapist_id, start=start, end=end, reason=body.reason)
        uow.session.add(row)
        uow.commit()
        return time_off_public(row, zone)
