"""Courses of infusions (staff): record one from the Infusions page (preview, then book), and
a course's page: the series on a strip of dates, each visit's infusion, chair and sessions,
and what is missing. A visit is moved on its infusion's page, which re-plans that visit only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from models.ranges import ALL
from planner.errors import PlannerError
from planner.roles import Actor
from services import catalog, courses
from services.clinic import get_clinic
from services.commands import PlanCourse
from services.courses import CourseView
from web import access, forms
from web.pages.board import chosen_day, default_start
from web.render import redirect, render

router = APIRouter(include_in_schema=False)
# What the course form offers (an RRULE in wall time from the first infusion), or "custom".
COURSE_REPEATS = [
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6", "Mon, Wed, Fri: six infusions"),
    ("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=8", "Tue and Thu for four weeks: eight"),
    ("FREQ=WEEKLY;COUNT=4", "Weekly: four infusions"),
    ("FREQ=DAILY;COUNT=1", "Once"),
]


@router.get("/courses/new", response_class=HTMLResponse)
def new_course(
    request: Request,
    actor: access.StaffActor,
    date: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The form: a patient, the first start, the repeat rule, the tolerance, the care plan."""
    uow = access.unit_of_work(request)
    clinic = get_clinic(uow)
    day, _ = chosen_day(request, clinic.zone, date)
    now = request.app.state.clock().astimezone(clinic.zone)
    return render(
        request,
        "course_new.html",
        {
            "clinic": clinic,
            "day": day,
            "patients": catalog.patient_choices(uow),
            "types": catalog.list_session_types(uow, ALL),
            "course_repeats": COURSE_REPEATS,
            "default_start": default_start(day, now).strftime("%Y-%m-%dT%H:%M"),
        },
    )


def _course(form: FormData, patient_id: int) -> PlanCourse:
    rule = forms.text(form, "repeat", 300)
    if rule == "custom":
        rule = forms.text(form, "rrule", 300)
    return PlanCourse(
        rrule=rule,
        start=forms.local_datetime(form, "start", "First infusion"),
        duration_minutes=forms.optional_int(form, "duration_minutes", "Duration") or 40,
        care_plan=tuple(forms.many(form, "care_plan")),
        tolerance_minutes=forms.optional_int(form, "tolerance_minutes", "May move by") or 0,
        commit=forms.text(form, "commit", 5) == "1",
    )


@router.post("/courses", response_class=HTMLResponse)
def record_course(request: Request, actor: access.StaffActor, form: access.Form) -> Response:
    """Preview a course (nothing stored) or book it; a refusal goes back to the form."""
    uow = access.unit_of_work(request)
    try:
        patient_id = forms.integer(form, "patient_id", "Patient")
        wanted = _course(form, patient_id)
        planned = courses.plan_course(uow, patient_id, wanted, request.app.state.clock)
    except PlannerError as error:
        zone = get_clinic(uow).zone
        day, _ = chosen_day(request, zone, forms.text(form, "day", 20))
        target = f"/courses/new?date={day.isoformat()}"
        return redirect(target, "error", f"The course was not planned: {error.detail}")
    if planned.committed and planned.id is not None:
        placed = sum(1 for v in planned.visits if v.infusion is not None)
        text = f"Course booked: {placed} of {len(planned.visits)} infusions placed."
        return redirect(f"/courses/{planned.id}", "success", text)
    return _page(request, planned, actor, form)


@router.get("/courses/{course_id}", response_class=HTMLResponse)
def course_page(request: Request, course_id: int, actor: access.StaffActor) -> Response:
    planned = courses.get_course(access.unit_of_work(request), course_id)
    return _page(request, planned, actor, None)


def _page(request: Request, course: CourseView, actor: Actor, form: FormData | None) -> Response:
    """The course (or its preview, with the form's values to send again to book it)."""
    uow = access.unit_of_work(request)
    patient = catalog.get_patient(uow, course.patient_id, actor)
    kinds = {t.key: t.name for t in catalog.list_session_types(uow, ALL)}
    rooms = {r.id: r.name for r in catalog.list_rooms(uow, ALL)}
    skip = {"csrf_token", "commit"}
    resend = [(k, v) for k, v in form.multi_items() if k not in skip] if form else []
    return render(
        request,
        "course.html",
        {
            "clinic": get_clinic(uow),
            "course": course,
            "patient": patient,
            "type_names": kinds,
            "room_names": rooms,
            "resend": resend,
        },
    )
