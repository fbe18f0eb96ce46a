"""Book at a free time clicked on the day board: which infusion, which session type.

The board's free time links here with the therapist and the time; staff pick the infusion
(the day's infusions, those with care-plan items still unbooked first) and the session type,
and the booking rules decide as everywhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from models.ranges import ALL, MAX_PAGE
from planner.errors import PlannerError
from planner.localtime import parse_datetime
from planner.sessions import HELD
from services import booking, catalog, infusions, therapists
from services.clinic import get_clinic
from services.commands import BookSession
from services.views import InfusionView
from web import access, forms
from web.filled import Filled, booking_fields, filled
from web.render import here, redirect, render

router = APIRouter(include_in_schema=False)
FIELDS = booking_fields(Start="start", Therapist="therapist_id", session_type="session_type")


def _open_items(infusion: InfusionView) -> list[str]:
    held = {s.session_type for s in infusion.sessions if s.status in HELD}
    return [key for key in infusion.care_plan if key not in held]


def _page(
    request: Request, therapist_id: int | None, at: datetime, state: Filled | None = None
) -> Response:
    uow = access.unit_of_work(request)
    clinic = get_clinic(uow)
    local = at.astimezone(clinic.zone) if at.tzinfo else at.replace(tzinfo=clinic.zone)
    todays = infusions.list_infusions(uow, local.date(), ALL)[:MAX_PAGE]
    todays = [i for i in todays if i.status != "cancelled"]
    todays.sort(key=lambda i: (not _open_items(i), i.start))
    return render(
        request,
        "book_here.html",
        {
            "clinic": clinic,
            "at": local,
            "therapist_id": therapist_id,
            "infusions": todays,
            "open_items": {i.id: _open_items(i) for i in todays},
            "types": catalog.list_session_types(uow, ALL)[:MAX_PAGE],
            "therapists": therapists.list_therapists(uow, ALL)[:MAX_PAGE],
            "board_url": here("/board", date=local.date().isoformat()),
            "filled": state,
        },
        status=state.error.code.status if state else 200,
    )


@router.get("/board/book", response_class=HTMLResponse)
def book_here_page(
    request: Request,
    actor: access.StaffActor,
    start: Annotated[str, Query(max_length=40)],
    therapist_id: Annotated[int | None, Query()] = None,
) -> Response:
    try:
        at = parse_datetime(start, field="start")
    except PlannerError:
        return redirect("/board", "error", "That time could not be read; pick the free time again.")
    return _page(request, therapist_id, at)


@router.post("/board/book")
def book_here(request: Request, actor: access.StaffActor, form: access.Form) -> Response:
    try:
        wanted = BookSession(
            infusion_id=forms.integer(form, "infusion_id", "Infusion"),
            session_type=forms.text(form, "session_type", 64),
            start=forms.local_datetime(form, "start", "Start"),
            therapist_id=forms.optional_int(form, "therapist_id", "Therapist"),
        )
        booked = booking.book_session(access.unit_of_work(request), wanted, request.app.state.clock)
    except PlannerError as error:
        zone = get_clinic(access.unit_of_work(request)).zone
        state = filled("book_here", form, error, FIELDS, "The session was not booked", zone)
        try:
            at = forms.local_datetime(form, "start", "Start")
        except PlannerError:
            at = request.app.state.clock()
        return _page(request, forms.optional_int(form, "therapist_id"), at, state)
    back = here("/board", date=booked.start.date().isoformat())
    text = f"Booked {booked.session_type.replace('_', ' ')} {booked.start:%H:%M}–{booked.end:%H:%M}"
    return redirect(back, "success", f"{text} for {booked.patient_name or 'the patient'}.")
