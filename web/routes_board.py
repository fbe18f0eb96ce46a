"""The day board and the day's infusions (staff)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.deps import get_uow
from api.schemas.clinic import ClinicPublic
from api.schemas.infusions import InfusionCreate
from api.schemas.people import PatientCreate
from api.schemas.planning import DayPlanRequest
from models.uow import UnitOfWork
from planner.errors import PlannerError
from planner.intervals import Interval
from planner.localtime import day_bounds, parse_local_date
from services import catalog, day_plan, infusions, planning, schedule, therapists
from services.clinic import get_clinic
from services.common import MAX_PAGE, Page
from web import auth, forms, queries
from web.board import build_board
from web.render import here, redirect, refused, render

router = APIRouter(include_in_schema=False)
ALL = Page(limit=MAX_PAGE)


def chosen_day(request: Request, zone: ZoneInfo, text: str | None) -> tuple[date, str | None]:
    """The date asked for, or today in the clinic (with a message when it was malformed)."""
    today = request.app.state.clock().astimezone(zone).date()
    if not text:
        return today, None
    try:
        return parse_local_date(text), None
    except PlannerError as error:
        return today, error.detail


def clinic_of(request: Request) -> tuple[UnitOfWork, ClinicPublic, ZoneInfo]:
    """The request's unit of work, the clinic and its time zone."""
    uow = get_uow(request)
    clinic = get_clinic(uow)
    return uow, clinic, ZoneInfo(clinic.timezone)


def day_links(path: str, day: date) -> dict[str, str]:
    return {
        "prev_url": here(path, date=(day - timedelta(days=1)).isoformat()),
        "next_url": here(path, date=(day + timedelta(days=1)).isoformat()),
        "day": day.isoformat(),
    }


@router.get("/board", response_class=HTMLResponse)
def board(
    request: Request,
    actor: auth.StaffActor,
    date: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    uow, clinic, zone = clinic_of(request)
    day, problem = chosen_day(request, zone, date)
    first, last = day_bounds(day, zone)
    people = therapists.list_therapists(uow, ALL)[:MAX_PAGE]
    sessions = schedule.list_sessions(uow, actor, ALL, date_text=day.isoformat())
    todays = infusions.list_infusions(uow, day.isoformat(), ALL)[:MAX_PAGE]
    types = catalog.list_session_types(uow, ALL)[:MAX_PAGE]
    rooms = catalog.list_rooms(uow, ALL)[:MAX_PAGE]
    time_off = {
        tid: [Interval(s, e) for s, e, _ in spans]
        for tid, spans in queries.time_off_between(uow, first, last).items()
    }
    names = queries.patient_names(uow, [i.patient_id for i in todays])
    picture = build_board(day, zone, people, sessions[:MAX_PAGE], todays, types, rooms, time_off)
    for lane, infusion in zip(picture.lanes, todays, strict=True):
        lane.subtitle = names.get(infusion.patient_id, f"Patient {infusion.patient_id}")
    return render(
        request,
        "board.html",
        {
            "clinic": clinic,
            "board": picture,
            "problem": problem,
            "truncated": len(sessions) > MAX_PAGE,
            "is_today": day == request.app.state.clock().astimezone(zone).date(),
            **day_links("/board", day),
        },
    )


@router.post("/board/plan")
def plan_day(request: Request, actor: auth.StaffActor, form: auth.Form) -> Response:
    """Book every care plan of the day at once (SPEC §6), then show the board again."""
    day_text = forms.text(form, "date", 20)
    back = here("/board", date=day_text)
    try:
        body = DayPlanRequest(date=day_text, commit=True)
        result = day_plan.plan_day(get_uow(request), body, request.app.state.clock)
    except (PlannerError, ValidationError) as error:
        return refused(back, error, "The day was not planned")
    placed = result.objective["placed"]
    text = f"Day planned: {placed} session{'s' if placed != 1 else ''} booked."
    if not result.objective["requested"]:
        return redirect(back, "success", "Every care-plan item of this day already has a session.")
    if result.unplaced:
        codes = sorted({u.code for u in result.unplaced})
        text += f" {len(result.unplaced)} could not be placed ({', '.join(codes)})."
        return redirect(back, "warning", text)
    return redirect(back, "success", text)


@router.get("/infusions", response_class=HTMLResponse)
def infusion_list(
    request: Request,
    actor: auth.StaffActor,
    date: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    uow, clinic, zone = clinic_of(request)
    day, problem = chosen_day(request, zone, date)
    todays = infusions.list_infusions(uow, day.isoformat(), ALL)[:MAX_PAGE]
    names = queries.patient_names(uow, [i.patient_id for i in todays])
    types = catalog.list_session_types(uow, ALL)[:MAX_PAGE]
    now = request.app.state.clock().astimezone(zone)
    default_start = (now + timedelta(minutes=30 - now.minute % 15)).replace(second=0)
    return render(
        request,
        "infusions.html",
        {
            "clinic": clinic,
            "infusions": todays,
            "names": names,
            "types": types,
            "patients": queries.patient_choices(uow),
            "problem": problem,
            "default_start": default_start.strftime("%Y-%m-%dT%H:%M"),
            **day_links("/infusions", day),
        },
    )


@router.post("/infusions")
def record_infusion(request: Request, actor: auth.StaffActor, form: auth.Form) -> Response:
    back = "/infusions"
    uow = get_uow(request)
    try:
        patient_id = _patient_for(request, form)
        body = InfusionCreate(
            patient_id=patient_id,
            start=forms.local_datetime(form, "start", "Infusion start"),
            duration_minutes=forms.optional_int(form, "duration_minutes", "Duration") or 40,
            care_plan=forms.many(form, "care_plan"),
            auto_book=forms.checked(form, "auto_book"),
        )
        created = planning.create_infusion_planned(uow, body, request.app.state.clock)
    except (PlannerError, ValidationError) as error:
        return refused(back, error, "The infusion was not recorded")
    message = f"Infusion recorded for {created.start[11:16]}."
    if created.unplaced:
        missing = ", ".join(
            f"{u.session_type.replace('_', ' ')} ({u.code})" for u in created.unplaced
        )
        message += f" Could not book: {missing}."
    elif body.auto_book and body.care_plan:
        message += " Its care plan is booked."
    return redirect(f"/infusions/{created.id}", "success", message)


def _patient_for(request: Request, form: FormData) -> int:
    """An existing patient, or a new one from name and MRN (an MRN already known is reused)."""
    chosen = forms.optional_int(form, "patient_id", "Patient")
    name = forms.text(form, "new_patient_name", 200)
    if chosen is not None and not name:
        return chosen
    if not name:
        raise PlannerError("validation_error", "choose a patient or enter a new patient's name")
    mrn = forms.optional_text(form, "new_patient_mrn", 64)
    if mrn is not None:
        known = queries.patient_by_mrn(get_uow(request), mrn)
        if known is not None:
            return known
    return catalog.create_patient(get_uow(request), PatientCreate(name=name, mrn=mrn)).id
