"""Calendar feeds (iCalendar): secret URLs per therapist and room, a patient's ``.ics`` file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response

from api.deps import Admin, AnyUser, ClockDep, KnownQuery, Scheduler, UoW
from api.openapi import problems
from api.params import PathId
from api.schemas.base import Public
from services import feeds
from services.feeds import FeedOwner

router = APIRouter(prefix="/api", tags=["calendars"], dependencies=[KnownQuery])
# Calendar apps fetch feeds with no bearer header and may add parameters of their own.
public = APIRouter(tags=["calendars"])
ICALENDAR = "text/calendar; charset=utf-8"
FeedToken = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class ICalendarResponse(Response):
    """An iCalendar file (documented as ``text/calendar`` in the OpenAPI document)."""

    media_type = ICALENDAR


class FeedPublic(Public):
    url: str


def _issued(request: Request, token: str) -> FeedPublic:
    return FeedPublic(url=str(request.url_for("get_feed", token=token)))


@router.post("/therapists/{therapist_id}/feed", status_code=201, responses=problems(403))
def post_therapist_feed(
    therapist_id: PathId, actor: AnyUser, uow: UoW, clock: ClockDep, request: Request
) -> FeedPublic:
    """A new secret calendar URL for the therapist (its own, or any for an administrator),
    shown once; the previous URL ends now."""
    token = feeds.issue_feed(uow, actor, FeedOwner.therapist, therapist_id, clock)
    return _issued(request, token)


@router.delete("/therapists/{therapist_id}/feed", status_code=204, responses=problems(403))
def delete_therapist_feed(
    therapist_id: PathId, actor: AnyUser, uow: UoW, clock: ClockDep
) -> Response:
    """End the therapist's calendar URL (404 from now on)."""
    feeds.end_feed(uow, actor, FeedOwner.therapist, therapist_id, clock)
    return Response(status_code=204)


@router.post("/rooms/{room_id}/feed", status_code=201)
def post_room_feed(
    room_id: PathId, actor: Admin, uow: UoW, clock: ClockDep, request: Request
) -> FeedPublic:
    """A new secret calendar URL for the room, shown once; the previous URL ends now."""
    return _issued(request, feeds.issue_feed(uow, actor, FeedOwner.room, room_id, clock))


@router.delete("/rooms/{room_id}/feed", status_code=204)
def delete_room_feed(room_id: PathId, actor: Admin, uow: UoW, clock: ClockDep) -> Response:
    """End the room's calendar URL (404 from now on)."""
    feeds.end_feed(uow, actor, FeedOwner.room, room_id, clock)
    return Response(status_code=204)


@router.get(
    "/patients/{patient_id}/sessions.ics",
    tags=["patients"],
    response_class=ICalendarResponse,
)
def get_patient_calendar(
    patient_id: PathId, actor: Scheduler, uow: UoW, clock: ClockDep
) -> Response:
    """The patient's upcoming sessions as an ``.ics`` file to hand over."""
    body = feeds.patient_calendar(uow, patient_id, clock)
    disposition = f'attachment; filename="sessions-{patient_id}.ics"'
    return ICalendarResponse(body, headers={"Content-Disposition": disposition})


@public.get(
    "/feeds/{token}.ics",
    response_class=ICalendarResponse,
    responses=problems(404),
)
def get_feed(
    token: FeedToken,
    uow: UoW,
    clock: ClockDep,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """A therapist's or room's calendar (RFC 5545), for a phone's calendar app to subscribe
    to: 30 days back to 180 ahead. ``If-None-Match`` with the last ``ETag``: 304 if the
    calendar is unchanged. An ended or unknown URL is 404."""
    found = feeds.read_feed(uow, token, clock)
    headers = {
        "ETag": found.etag,
        "Cache-Control": "private, no-cache",
        "Referrer-Policy": "no-referrer",
    }
    if if_none_match is not None and found.etag in (t.strip() for t in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)
    return ICalendarResponse(found.body, headers=headers)
