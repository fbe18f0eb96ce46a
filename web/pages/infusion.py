"""One infusion: its timeline, care plan, best slots, booking, re-plan and follow-ups."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from models.ranges import ALL, MAX_PAGE
from planner.board import Placement
from planner.errors import PlannerError
from planner.sessions import HELD, SessionStatus
from services import booking, care_plans, catalog, follow_ups, infusions, replan, therapists
from services.clinic import get_clinic
from services.commands import BookFollowUps, BookSession, MoveInfusion, PlanCarePlan
from services.views import InfusionView
from web import access, forms
from web.board import type_classes
from web.render import error_page, redirect, refused, render
from web.timeline import SessionIn, Timeline, WindowIn, build_timeline

router = APIRouter(include_in_schema=False)
TOP_SLOTS = 3
FOLLOW_UP_RULES = [
    ("FREQ=WEEKLY;COUNT=4", "Weekly, 4 times"),
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=2", "Every 2 weeks, twice"),
    ("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6", "Mondays and Thursdays, 6 times"),
    ("FREQ=DAILY;COUNT=5", "Daily, 5 times"),
]


def _timeline(
    infusion: InfusionView,
    css: dict[str, str],
    names: dict[str, str],
    zone: ZoneInfo,
    now: datetime,
) -> Timeline:
    anchor = infusion.end if infusion.anchor == "end" else infusion.start
    return build_timeline(
        infusion.start,
        infusion.end,
        anchor,
        [WindowIn(w.key, w.label, w.start, w.end, w.target) for w in infusion.windows],
        [
            SessionIn(
                s.id,
                names.get(s.session_type, s.session_type),
                s.start,
                s.end,
                s.window,
                f"tl-session {css.get(s.session_type, 'type-0')}",
                f"#session-{s.id}",
            )
            for s in infusion.sessions
            if s.status != SessionStatus.cancelled
        ],
        zone,
        now,
        "infusion end" if infusion.anchor == "end" else "infusion start",
    )


@router.get("/infusions/{infusion_id}", response_class=HTMLResponse)
def infusion_page(request: Request, infusion_id: int, actor: access.StaffActor) -> Response:
    uow = access.unit_of_work(request)
    clock = request.app.state.clock
    try:
        infusion = infusions.get_infusion(uow, infusion_id)
    except PlannerError as error:
        return error_page(request, "Infusion not found", error.detail, 404)
    clinic = get_clinic(uow)
    zone = clinic.zone
    patient = catalog.get_patient(uow, infusion.patient_id, actor)
    types = catalog.list_session_types(uow, ALL)[:MAX_PAGE]
    people = {t.id: t for t in therapists.list_therapists(uow, ALL)[:MAX_PAGE]}
    rooms = {r.id: r.name for r in catalog.list_rooms(uow, ALL)[:MAX_PAGE]}
    css = type_classes(types)
    type_names = {t.key: t.name for t in types}
    now = clock().astimezone(zone)
    slots: dict[str, list[Placement] | str] = {}
    if infusion.status != "cancelled":
        for kind in types:
            try:
                slots[kind.key] = booking.slots_for(
                    uow, infusion_id, kind.key, TOP_SLOTS, None, clock
                )
            except PlannerError as error:
                slots[kind.key] = error.detail
    return render(
        request,
        "infusion.html",
        {
            "clinic": clinic,
            "infusion": infusion,
            "patient": patient,
            "types": types,
            "type_css": css,
            "type_names": type_names,
            "therapists": people,
            "rooms": rooms,
            "slots": slots,
            "timeline": _timeline(infusion, css, type_names, zone, now),
            "anchor": infusion.anchor,
            "care_plan_done": {s.session_type for s in infusion.sessions if s.status in HELD},
            "follow_up_rules": FOLLOW_UP_RULES,
            "follow_up_start": infusion.end + timedelta(days=7),
            "replan_start": infusion.start,
            "booking_start": infusion.windows[0].start if infusion.windows else None,
        },
    )


def _back(infusion_id: int) -> str:
    return f"/infusions/{infusion_id}"


@router.post("/infusions/{infusion_id}/book")
def book(
    request: Request, infusion_id: int, actor: access.StaffActor, form: access.Form
) -> Response:
    try:
        wanted = BookSession(
            infusion_id=infusion_id,
            session_type=forms.text(form, "session_type", 64),
            start=forms.local_datetime(form, "start", "Start"),
            therapist_id=forms.optional_int(form, "therapist_id", "Therapist"),
            room_id=forms.optional_int(form, "room_id", "Room"),
            override_reason=forms.optional_text(form, "override_reason"),
        )
        booked = booking.book_session(access.unit_of_work(request), wanted, request.app.state.clock)
    except PlannerError as error:
        return refused(_back(infusion_id), error, "The session was not booked")
    kind = booked.session_type.replace("_", " ")
    text = f"Booked {kind} {booked.start:%H:%M}–{booked.end:%H:%M}."
    return redirect(f"{_back(infusion_id)}#session-{booked.id}", "success", text)


@router.post("/infusions/{infusion_id}/plan")
def plan(
    request: Request, infusion_id: int, actor: access.StaffActor, form: access.Form
) -> Response:
    try:
        result = care_plans.plan_care_plan(
            access.unit_of_work(request),
            infusion_id,
            PlanCarePlan(commit=True),
            request.app.state.clock,
        )
    except PlannerError as error:
        return refused(_back(infusion_id), error, "The care plan was not booked")
    placed = len(result.sessions)
    text = f"Care plan: {placed} session{'s' if placed != 1 else ''} booked."
    if not placed and not result.unplaced:
        text = "Every care-plan item already has a session."
    if result.unplaced:
        text += " Not placed: " + "; ".join(
            f"{u.session_type.replace('_', ' ')} — {u.detail} ({u.code})" for u in result.unplaced
        )
        return redirect(_back(infusion_id), "warning", text)
    return redirect(_back(infusion_id), "success", text)


@router.post("/infusions/{infusion_id}/replan")
def replan_page(
    request: Request, infusion_id: int, actor: access.StaffActor, form: access.Form
) -> Response:
    try:
        wanted = MoveInfusion(
            start=forms.local_datetime(form, "start", "New start"),
            duration_minutes=forms.optional_int(form, "duration_minutes", "Duration"),
        )
        result = replan.move_infusion(
            access.unit_of_work(request), infusion_id, wanted, request.app.state.clock
        )
    except PlannerError as error:
        return refused(_back(infusion_id), error, "The infusion was not moved")
    moved = result.infusion
    text = (
        f"Infusion moved to {moved.start:%H:%M}–{moved.end:%H:%M}. "
        f"{len(result.kept)} kept, {len(result.moved)} moved"
    )
    if result.moved:
        text += " (" + ", ".join(f"{m.before:%H:%M} → {m.after:%H:%M}" for m in result.moved) + ")"
    if result.unplaced:
        text += (
            f"; {len(result.unplaced)} could not be re-placed and are flagged outside the window"
        )
        return redirect(_back(infusion_id), "warning", text + ".")
    return redirect(_back(infusion_id), "success", text + ".")


@router.post("/infusions/{infusion_id}/follow-ups")
def follow_up(
    request: Request, infusion_id: int, actor: access.StaffActor, form: access.Form
) -> Response:
    try:
        wanted = BookFollowUps(
            session_type=forms.text(form, "session_type", 64),
            rrule=forms.text(form, "rrule", 300),
            start=forms.local_datetime(form, "start", "First session"),
            therapist_id=forms.optional_int(form, "therapist_id", "Therapist"),
            tolerance_minutes=forms.optional_int(form, "tolerance_minutes", "Tolerance") or 0,
        )
        result = follow_ups.book_follow_ups(
            access.unit_of_work(request), infusion_id, wanted, request.app.state.clock
        )
    except PlannerError as error:
        return refused(_back(infusion_id), error, "The follow-ups were not booked")
    text = f"Follow-ups: {len(result.sessions)} booked."
    if result.unplaced:
        text += " Not booked: " + "; ".join(
            f"{u.wall:%Y-%m-%d %H:%M} ({u.code})" for u in result.unplaced
        )
        return redirect(_back(infusion_id), "warning", text)
    return redirect(_back(infusion_id), "success", text)


@router.post("/infusions/{infusion_id}/cancel")
def cancel(
    request: Request, infusion_id: int, actor: access.StaffActor, form: access.Form
) -> Response:
    try:
        reason = forms.optional_text(form, "reason")
        infusions.cancel_infusion(
            access.unit_of_work(request), infusion_id, reason, request.app.state.clock
        )
    except PlannerError as error:
        return refused(_back(infusion_id), error, "The infusion was not cancelled")
    return redirect(_back(infusion_id), "success", "Infusion cancelled with its active sessions.")


@router.post("/sessions/{session_id}/cancel")
def cancel_session(
    request: Request, session_id: int, actor: access.StaffActor, form: access.Form
) -> Response:
    back = forms.text(form, "back", 300)
    back = back if back.startswith("/") and not back.startswith("//") else "/board"
    try:
        reason = forms.optional_text(form, "reason")
        booking.cancel_session(
            access.unit_of_work(request), session_id, reason, request.app.state.clock
        )
    except PlannerError as error:
        return refused(back, error, "The session was not cancelled")
    return redirect(back, "success", "Session cancelled.")
