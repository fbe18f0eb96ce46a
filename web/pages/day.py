"""A therapist's day: "my day" for a therapist's login, any therapist's day for staff."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from models.ranges import ALL, MAX_PAGE
from planner.errors import PlannerError
from planner.protocol import Window
from planner.roles import Role
from planner.sessions import SessionStatus
from services import catalog, feeds, infusions, therapists
from services.clinic import get_clinic
from services.feeds import FeedOwner
from services.views import TherapistDayView
from web import access
from web.board import type_classes
from web.pages.board import chosen_day, day_links
from web.render import error_page, redirect, refused, render

router = APIRouter(include_in_schema=False)
ACTIONS = {
    SessionStatus.booked: [("checked_in", "Check in"), ("no_show", "No show")],
    SessionStatus.checked_in: [("completed", "Mark completed")],
}


@router.get("/my-day")
def my_day(
    request: Request,
    actor: access.PageActor,
    date: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    suffix = f"?date={date}" if date else ""
    if actor.therapist_id is not None:
        return redirect(f"/therapists/{actor.therapist_id}/day{suffix}")
    if actor.at_least(Role.scheduler):
        return redirect(f"/board{suffix}")
    return error_page(
        request, "No therapist linked", "This login is not linked to a therapist.", 404
    )


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _agenda(day: TherapistDayView) -> list[dict[str, Any]]:
    """Sessions and free time in the order of the day."""
    items: list[dict[str, Any]] = [
        {"kind": "session", "start": s.start, "session": s} for s in day.sessions
    ]
    items += [
        {"kind": "free", "start": f.start, "end": f.end, "minutes": _minutes(f.start, f.end)}
        for f in day.free
    ]
    return sorted(items, key=lambda item: (item["start"], item["kind"]))


@router.get("/therapists/{therapist_id}/day", response_class=HTMLResponse)
def therapist_day(
    request: Request,
    therapist_id: int,
    actor: access.PageActor,
    date: Annotated[str | None, Query(max_length=20)] = None,
    print_view: Annotated[bool, Query(alias="print")] = False,
) -> Response:
    if actor.is_therapist_only and actor.therapist_id != therapist_id:
        return redirect("/my-day")
    uow = access.unit_of_work(request)
    clinic = get_clinic(uow)
    day, problem = chosen_day(request, clinic.zone, date)
    try:
        agenda = therapists.therapist_day(uow, therapist_id, day, actor)
    except PlannerError as error:
        return error_page(request, "Therapist not found", error.detail, 404)
    types = catalog.list_session_types(uow, ALL)[:MAX_PAGE]
    rooms = {r.id: r.name for r in catalog.list_rooms(uow, ALL)[:MAX_PAGE]}
    windows: dict[tuple[int, str], Window] = {}
    if agenda.sessions:
        for infusion in infusions.list_infusions(uow, day, ALL)[:MAX_PAGE]:
            for w in infusion.windows:
                windows[(infusion.id, w.key)] = w
    staff = actor.at_least(Role.scheduler)
    people = therapists.list_therapists(uow, ALL)[:MAX_PAGE] if staff and not print_view else []
    base = f"/therapists/{therapist_id}/day"
    active = [s for s in agenda.sessions if s.status != SessionStatus.cancelled]
    items = _agenda(agenda)
    return render(
        request,
        "day_print.html" if print_view else "day.html",
        {
            "clinic": clinic,
            "day_info": agenda,
            "therapist": agenda.therapist,
            "agenda": items,
            "type_css": type_classes(types),
            "type_names": {t.key: t.name for t in types},
            "rooms": rooms,
            "windows": windows,
            "actions": ACTIONS if not print_view else {},
            "staff": staff,
            "people": people,
            "problem": problem,
            "active_count": len(active),
            "free_minutes": sum(i["minutes"] for i in items if i["kind"] == "free"),
            "self_url": f"{base}?date={day.isoformat()}",
            "print_url": f"{base}?date={day.isoformat()}&print=1",
            "mine": actor.therapist_id == therapist_id,
            "admin": actor.at_least(Role.admin),
            "now": request.app.state.clock().astimezone(clinic.zone),
            **day_links(base, day),
        },
    )


@router.post("/therapists/{therapist_id}/feed", response_class=HTMLResponse)
def subscribe(
    request: Request, therapist_id: int, actor: access.PageActor, form: access.Form
) -> Response:
    """A new calendar URL for the therapist's phone, shown once (the old one ends)."""
    uow = access.unit_of_work(request)
    back = f"/therapists/{therapist_id}/day"
    try:
        clock = request.app.state.clock
        token = feeds.issue_feed(uow, actor, FeedOwner.therapist, therapist_id, clock)
    except PlannerError as error:
        return refused(back, error, "No calendar link was made")
    url = str(request.url_for("get_feed", token=token))
    return render(
        request,
        "subscribe.html",
        {
            "url": url,
            "webcal": "webcal://" + url.split("://", 1)[1],
            "back": back,
        },
    )


@router.get("/therapists/switch")
def switch_therapist(
    actor: access.StaffActor,
    therapist_id: Annotated[int, Query()],
    date: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return redirect(f"/therapists/{therapist_id}/day" + (f"?date={date}" if date else ""))
