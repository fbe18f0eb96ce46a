"""The day board and the day's infusions (staff)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from models.ranges import ALL, MAX_PAGE
from models.uow import UnitOfWork
from planner.errors import Code, PlannerError
from planner.localtime import parse_local_date
from services import care_plans, catalog, day_plan, infusions
from services.clinic import get_clinic
from services.commands import NewPatient, PlanDay, RecordInfusion
from services.day_board import day_board
from services.views import ClinicView
from web import access, forms
from web.board import build_board
from web.render import here, redirect, refused, render

router = APIRouter(include_in_schema=False)


def chosen_day(request: Request, zone: ZoneInfo, text: str | None) -> tuple[date, str | None]:
    """The date asked for, or today in the clinic (with a message when it was malformed)."""
    today = request.app.state.clock().astimezone(zone).date()
    if not text:
        return today, None
    try:
        return parse_local_date(text), None
    except PlannerError as error:
        return today, error.detail


def clinic_of(request: Request) -> tuple[UnitOfWork, ClinicView, ZoneInfo]:
    """The request's unit of work, the clinic and its time zone."""
    uow = access.unit_of_work(request)
    clinic = get_clinic(uow)
    return uow, clinic, clinic.zone


def day_links(path: str, day: date) -> dict[str, object]:
    return {
        "prev_url": here(path, date=(day - timedelta(days=1)).isoformat()),
        "next_url": here(path, date=(day + timedelta(days=1)).isoformat()),
        "day": day,  # renders as YYYY-MM-DD
    }


@router.get("/board", response_class=HTMLResponse)
def board(
    request: Request,
    actor: access.StaffActor,
    date: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    uow, clinic, zone = clinic_of(request)
    day, problem = chosen_day(request, zone, date)
    view = day_board(uow, day)
    return render(
        request,
        "board.html",
        {
            "clinic": clinic,
            "board": build_board(view),
            "gaps": view.gaps,
            "problem": problem,
            "truncated": view.truncated,
            "is_today": day == request.app.state.clock().astimezone(zone).date(),
            **day_links("/board", day),
        },
    )


@router.post("/board/plan")
def plan_day(request: Request, actor: access.StaffActor, form: access.Form) -> Response:
    """Book every care plan of the day at once, then show the board again."""
    day_text = forms.text(form, "date", 20)
    back = here("/board", date=day_text)
    try:
        wanted = PlanDay(forms.local_date(form, "date"), commit=True)
        result = day_plan.plan_day(access.unit_of_work(request), wanted, request.app.state.clock)
    except PlannerError as error:
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
    actor: access.StaffActor,
    date: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    uow, clinic, zone = clinic_of(request)
    day, problem = chosen_day(request, zone, date)
    todays = infusions.list_infusions(uow, day, ALL)[:MAX_PAGE]
    types = catalog.list_session_types(uow, ALL)[:MAX_PAGE]
    now = request.app.state.clock().astimezone(zone)
    default_start = (now + timedelta(minutes=30 - now.minute % 15)).replace(second=0)
    return render(
        request,
        "infusions.html",
        {
            "clinic": clinic,
            "infusions": todays,
            "types": types,
            "patients": catalog.patient_choices(uow),
            "problem": problem,
            "default_start": default_start.strftime("%Y-%m-%dT%H:%M"),
            **day_links("/infusions", day),
        },
    )


@router.post("/infusions")
def record_infusion(request: Request, actor: access.StaffActor, form: access.Form) -> Response:
    back = "/infusions"
    try:
        patient_id = _patient_for(request, form)
        wanted = RecordInfusion(
            patient_id=patient_id,
            start=forms.local_datetime(form, "start", "Infusion start"),
            duration_minutes=forms.optional_int(form, "duration_minutes", "Duration") or 40,
            care_plan=tuple(forms.many(form, "care_plan")),
            auto_book=forms.checked(form, "auto_book"),
        )
        created = care_plans.record_and_plan(
            access.unit_of_work(request), wanted, request.app.state.clock
        )
    except PlannerError as error:
        return refused(back, error, "The infusion was not recorded")
    message = f"Infusion recorded for {created.start:%H:%M}."
    if created.unplaced:
        missing = ", ".join(
            f"{u.session_type.replace('_', ' ')} ({u.code})" for u in created.unplaced
        )
        message += f" Could not book: {missing}."
    elif wanted.auto_book and wanted.care_plan:
        message += " Its care plan is booked."
    return redirect(f"/infusions/{created.id}", "success", message)


def _patient_for(request: Request, form: FormData) -> int:
    """An existing patient, or a new one from name and MRN (an MRN already known is reused)."""
    chosen = forms.optional_int(form, "patient_id", "Patient")
    name = forms.text(form, "new_patient_name", 200)
    if chosen is not None and not name:
        return chosen
    if not name:
        raise PlannerError(Code.validation_error, "choose a patient or enter a new patient's name")
    mrn = forms.optional_text(form, "new_patient_mrn", 64)
    found = catalog.find_or_create_patient(access.unit_of_work(request), NewPatient(name, mrn))
    return found.id
