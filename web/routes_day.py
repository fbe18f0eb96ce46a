"""A therapist's day: "my day" for a therapist's login, any therapist's day for staff."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.deps import get_uow
from api.schemas.sessions import DayPublic, StatusChange
from planner.errors import PlannerError
from planner.intervals import Interval, subtract
from planner.roles import Role
from services import booking, catalog, infusions, schedule, therapists
from services.clinic import get_clinic
from services.common import MAX_PAGE, Page
from web import auth, forms
from web.board import OCCUPYING, type_classes
from web.render import error_page, redirect, refused, render
from web.routes_board import chosen_day, day_links

router = APIRouter(include_in_schema=False)
ALL = Page(limit=MAX_PAGE)
ACTIONS = {
    "booked": [("checked_in", "Check in"), ("no_show", "No show")],
    "checked_in": [("completed", "Mark completed")],
}


@router.get("/my-day")
def my_day(
    request: Request,
    actor: auth.PageActor,
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


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _free(day: DayPublic) -> list[tuple[datetime, datetime]]:
    """Working time not taken by a session that is booked, under way or was held."""
    working = [Interval(_t(w.start), _t(w.end)) for w in day.working]
    taken = [Interval(_t(s.start), _t(s.end)) for s in day.sessions if s.status in OCCUPYING]
    return [(f.start, f.end) for f in subtract(working, taken)]


def _agenda(day: DayPublic) -> list[dict[str, Any]]:
    """Sessions and free time in the order of the day."""
    items: list[dict[str, Any]] = [
        {"kind": "session", "start": _t(s.start), "session": s} for s in day.sessions
    ]
    items += [
        {"kind": "free", "start": start, "end": end, "minutes": _minutes(start, end)}
        for start, end in _free(day)
    ]
    return sorted(items, key=lambda item: (item["start"], item["kind"]))


@router.get("/therapists/{therapist_id}/day", response_class=HTMLResponse)
def therapist_day(
    request: Request,
    therapist_id: int,
    actor: auth.PageActor,
    date: Annotated[str | None, Query(max_length=20)] = None,
    print_view: Annotated[bool, Query(alias="print")] = False,
) -> Response:
    if actor.is_therapist_only and actor.therapist_id != therapist_id:
        return redirect("/my-day")
    uow = get_uow(request)
    clinic = get_clinic(uow)
    zone = ZoneInfo(clinic.timezone)
    day, problem = chosen_day(request, zone, date)
    try:
        agenda = schedule.therapist_day(uow, therapist_id, day.isoformat(), actor)
        person = therapists.get_therapist(uow, therapist_id, actor)
    except PlannerError as error:
        return error_page(request, "Therapist not found", error.detail, 404)
    types = catalog.list_session_types(uow, ALL)[:MAX_PAGE]
    rooms = {r.id: r.name for r in catalog.list_rooms(uow, ALL)[:MAX_PAGE]}
    windows: dict[tuple[int, str], Any] = {}
    if agenda.sessions:
        for infusion in infusions.list_infusions(uow, day.isoformat(), ALL)[:MAX_PAGE]:
            for w in infusion.windows:
                windows[(infusion.id, w.key)] = w
    staff = actor.at_least(Role.scheduler)
    people = therapists.list_therapists(uow, ALL)[:MAX_PAGE] if staff and not print_view else []
    base = f"/therapists/{therapist_id}/day"
    active = [s for s in agenda.sessions if s.status != "cancelled"]
    items = _agenda(agenda)
    return render(
        request,
        "day_print.html" if print_view else "day.html",
        {
            "clinic": clinic,
            "day_info": agenda,
            "therapist": person,
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
            **day_links(base, day),
        },
    )


@router.post("/sessions/{session_id}/status")
def change_status(
    request: Request, session_id: int, actor: auth.PageActor, form: auth.Form
) -> Response:
    back = forms.text(form, "back", 300)
    back = back if back.startswith("/") and not back.startswith("//") else "/my-day"
    try:
        body = StatusChange.model_validate({"status": forms.text(form, "status", 20)})
        changed = booking.change_status(
            get_uow(request), session_id, body, actor, request.app.state.clock
        )
    except (PlannerError, ValidationError) as error:
        return refused(back, error, "The status was not changed")
    label = changed.status.replace("_", " ")
    name = changed.patient_name or "the patient"
    return redirect(
        f"{back}#session-{session_id}",
        "success",
        f"{changed.start[11:16]} session with {name}: {label}.",
    )


@router.get("/therapists/switch")
def switch_therapist(
    actor: auth.StaffActor,
    therapist_id: Annotated[int, Query()],
    date: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return redirect(f"/therapists/{therapist_id}/day" + (f"?date={date}" if date else ""))
