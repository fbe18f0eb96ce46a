"""The day board and the day's infusions (staff)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from models.ranges import ALL, MAX_PAGE
from models.uow import UnitOfWork
from planner.chairs import CHAIR_KIND
from planner.errors import Code, PlannerError, ValidationFailed
from planner.localtime import parse_datetime, parse_local_date
from planner.sessions import InfusionStatus
from services import care_plans, catalog, day_plan, infusions, plan_preview
from services.clinic import get_clinic
from services.commands import BookDayPlan, NewPatient, PlanDay, ProposedSession, RecordInfusion
from services.day_board import day_board
from services.plan_views import DayPlanView
from services.views import ClinicView, InfusionView
from web import access, forms
from web.board import build_board
from web.filled import Fields, Filled, filled
from web.render import here, message, redirect, render

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


def _board_page(
    request: Request,
    day: date,
    problem: str | None = None,
    preview: DayPlanView | None = None,
    refusal: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The day board; with ``preview``, the proposed plan drawn on it, to book or discard."""
    uow, clinic, zone = clinic_of(request)
    view = day_board(uow, day)
    return render(
        request,
        "board.html",
        {
            "clinic": clinic,
            "board": build_board(view, preview),
            "gaps": view.gaps,
            "problem": problem,
            "truncated": view.truncated,
            "is_today": day == request.app.state.clock().astimezone(zone).date(),
            "preview": preview,
            "preview_plan": plan_field(preview) if preview is not None else "",
            "budgets": PLANNING_BUDGETS,
            "default_budget": DEFAULT_BUDGET,
            "refusal_shown": refusal,
            "type_names": {t.key: t.name for t in view.session_types},
            "patients": {i.id: i.patient_name or f"Patient {i.patient_id}" for i in view.infusions},
            **day_links("/board", day),
        },
        status=status,
    )


@router.get("/board", response_class=HTMLResponse)
def board(
    request: Request,
    actor: access.StaffActor,
    date: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    _, _, zone = clinic_of(request)
    day, problem = chosen_day(request, zone, date)
    return _board_page(request, day, problem)


@router.post("/board/plan", response_class=HTMLResponse)
def plan_day(request: Request, actor: access.StaffActor, form: access.Form) -> Response:
    """Plan every care plan of the day at once and show the proposal (nothing is booked)."""
    _, _, zone = clinic_of(request)
    day, problem = chosen_day(request, zone, forms.text(form, "date", 20))
    try:
        wanted = PlanDay(day, commit=False, time_limit_seconds=planning_budget(form))
        preview = day_plan.plan_day(access.unit_of_work(request), wanted, request.app.state.clock)
    except PlannerError as error:
        shown = message(error, "The day was not planned")
        return _board_page(request, day, problem, refusal=shown, status=error.code.status)
    if not preview.objective["requested"]:
        text = "Every care-plan item of this day already has a session."
        return redirect(here("/board", date=day.isoformat()), "success", text)
    return _board_page(request, day, problem, preview=preview)


@router.post("/board/plan/book")
def book_plan(request: Request, actor: access.StaffActor, form: access.Form) -> Response:
    """Book exactly the plan the preview showed, or nothing when the day changed meanwhile."""
    _, _, zone = clinic_of(request)
    day, problem = chosen_day(request, zone, forms.text(form, "date", 20))
    back = here("/board", date=day.isoformat())
    try:
        wanted = BookDayPlan(day, proposed_sessions(forms.text(form, "plan", 200_000)))
        booked = plan_preview.book_previewed_plan(
            access.unit_of_work(request), wanted, request.app.state.clock
        )
    except PlannerError as error:
        shown = message(error, "The plan was not booked")
        return _board_page(request, day, problem, refusal=shown, status=error.code.status)
    placed = booked.objective["placed"]
    return redirect(back, "success", f"Booked the plan: {placed} session{'s' * (placed != 1)}.")


# the board's choice of time for "Plan this day" (seconds of the optimizer's work clock,
# about that many seconds on a quiet server; docs/rules.md, "Planning a day")
PLANNING_BUDGETS = {3: "Quick · 3 s", 5: "Standard · 5 s", 9: "Thorough · 9 s"}
DEFAULT_BUDGET = 5


def planning_budget(form: FormData) -> int:
    """The budget the form chose (one of ``PLANNING_BUDGETS``; the default when none is)."""
    raw = forms.text(form, "budget", 5)
    if not raw:
        return DEFAULT_BUDGET
    chosen = forms.integer(form, "budget", "time to plan")
    if chosen not in PLANNING_BUDGETS:
        choices = ", ".join(str(b) for b in PLANNING_BUDGETS)
        raise ValidationFailed(f"time to plan: {chosen} s is not one of {choices}")
    return chosen


def plan_field(preview: DayPlanView) -> str:
    """The previewed sessions as the "Book these" form carries them (JSON)."""
    return json.dumps(
        [
            [p.infusion_id, p.session_type, p.therapist_id, p.room_id, p.start.isoformat()]
            for p in preview.sessions
        ],
        separators=(",", ":"),
    )


def proposed_sessions(text: str) -> tuple[ProposedSession, ...]:
    """The sessions a "Book these" form carried back, checked for shape."""
    try:
        rows = json.loads(text)
        return tuple(
            ProposedSession(
                int(i), str(k), int(t), None if r is None else int(r), parse_datetime(str(s))
            )
            for i, k, t, r, s in rows
        )
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("plan: the previewed plan could not be read; plan again") from exc


RECORD_FIELDS = Fields(
    {
        Code.nonexistent_local_time: "start",
        Code.ambiguous_local_time: "start",
        Code.patient_busy: "start",
        Code.in_recovery: "start",
        Code.chair_unavailable: "chair_id",
        Code.unknown_reference: "patient_id",
    },
    {
        "Infusion start": "start",
        "Duration": "duration_minutes",
        "duration_minutes": "duration_minutes",
        "Patient": "patient_id",
        "Infusion chair": "chair_id",
        "name": "new_patient_name",
        "new patient name": "new_patient_name",
        "new patient mrn": "new_patient_mrn",
        "mrn": "new_patient_mrn",
        "care_plan": "care_plan",
    },
)


def default_start(day: date, now: datetime) -> datetime:
    """Where "record an infusion" starts: soon, on a quarter hour, on the day the list shows
    (today: half an hour from now; another day: 08:00)."""
    if day == now.date():
        soon = now + timedelta(minutes=30 - now.minute % 15)
        return soon.replace(second=0, microsecond=0)
    return datetime.combine(day, time(8, 0))


def _infusions_page(
    request: Request, day: date, problem: str | None = None, state: Filled | None = None
) -> Response:
    uow, clinic, zone = clinic_of(request)
    now = request.app.state.clock().astimezone(zone)
    of_day = infusions.list_infusions(uow, day, ALL)[:MAX_PAGE]
    holds: dict[int, list[InfusionView]] = {}
    for held in of_day:
        if held.chair_id is not None and held.status != InfusionStatus.cancelled:
            holds.setdefault(held.chair_id, []).append(held)
    return render(
        request,
        "infusions.html",
        {
            "clinic": clinic,
            "day": day,
            "chairs": [r for r in catalog.list_rooms(uow, ALL) if r.kind == CHAIR_KIND],
            "chair_holds": holds,
            "infusions": of_day,
            "types": catalog.list_session_types(uow, ALL)[:MAX_PAGE],
            "patients": catalog.patient_choices(uow),
            "problem": problem,
            "default_start": default_start(day, now).strftime("%Y-%m-%dT%H:%M"),
            "filled": state,
            **day_links("/infusions", day),
        },
        status=state.error.code.status if state else 200,
    )


@router.get("/infusions", response_class=HTMLResponse)
def infusion_list(
    request: Request,
    actor: access.StaffActor,
    date: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    _, _, zone = clinic_of(request)
    day, problem = chosen_day(request, zone, date)
    return _infusions_page(request, day, problem)


@router.post("/infusions")
def record_infusion(request: Request, actor: access.StaffActor, form: access.Form) -> Response:
    try:
        patient_id = _patient_for(request, form)
        wanted = RecordInfusion(
            patient_id=patient_id,
            start=forms.local_datetime(form, "start", "Infusion start"),
            duration_minutes=forms.optional_int(form, "duration_minutes", "Duration") or 40,
            care_plan=tuple(forms.many(form, "care_plan")),
            auto_book=forms.checked(form, "auto_book"),
            chair_id=forms.optional_int(form, "chair_id", "Infusion chair"),
        )
        created = care_plans.record_and_plan(
            access.unit_of_work(request), wanted, request.app.state.clock
        )
    except PlannerError as error:
        _, _, zone = clinic_of(request)
        day, _ = chosen_day(request, zone, forms.text(form, "day", 20))
        what = "The infusion was not recorded"
        state = filled("record", form, error, RECORD_FIELDS, what, zone)
        return _infusions_page(request, day, state=state)
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
        raise ValidationFailed("Patient: choose a patient or enter a new patient's name")
    mrn = forms.optional_text(form, "new_patient_mrn", 64)
    found = catalog.find_or_create_patient(access.unit_of_work(request), NewPatient(name, mrn))
    return found.id
