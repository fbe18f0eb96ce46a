"""One infusion: its timeline, care plan, best slots, booking, re-plan and follow-ups."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.deps import get_uow
from api.schemas.infusions import CancelBody, InfusionPublic
from api.schemas.planning import FollowUpRequest, InfusionPatch, PlanRequest
from api.schemas.sessions import SessionCancel, SessionCreate, SlotPublic
from planner.errors import PlannerError
from services import booking, catalog, follow_ups, infusions, planning, replan, therapists
from services.clinic import get_clinic
from services.common import MAX_PAGE, Page
from web import auth, forms, queries
from web.board import type_classes
from web.render import error_page, redirect, refused, render
from web.timeline import SessionIn, WindowIn, build_timeline

router = APIRouter(include_in_schema=False)
ALL = Page(limit=MAX_PAGE)
TOP_SLOTS = 3
FOLLOW_UP_RULES = [
    ("FREQ=WEEKLY;COUNT=4", "Weekly, 4 times"),
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=2", "Every 2 weeks, twice"),
    ("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6", "Mondays and Thursdays, 6 times"),
    ("FREQ=DAILY;COUNT=5", "Daily, 5 times"),
]


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _timeline(
    infusion: InfusionPublic,
    anchor: str,
    css: dict[str, str],
    names: dict[str, str],
    zone: ZoneInfo,
    now: datetime,
) -> object:
    start, end = _t(infusion.start), _t(infusion.end)
    return build_timeline(
        start,
        end,
        end if anchor == "end" else start,
        [
            WindowIn(w.key, w.label, _t(w.start), _t(w.end), _t(w.target) if w.target else None)
            for w in infusion.windows
        ],
        [
            SessionIn(
                s.id,
                names.get(s.session_type, s.session_type),
                _t(s.start),
                _t(s.end),
                s.window,
                f"tl-session {css.get(s.session_type, 'type-0')}",
                f"#session-{s.id}",
            )
            for s in infusion.sessions
            if s.status != "cancelled"
        ],
        zone,
        now,
        "infusion end" if anchor == "end" else "infusion start",
    )


@router.get("/infusions/{infusion_id}", response_class=HTMLResponse)
def infusion_page(request: Request, infusion_id: int, actor: auth.StaffActor) -> Response:
    uow = get_uow(request)
    clock = request.app.state.clock
    try:
        infusion = infusions.get_infusion(uow, infusion_id)
    except PlannerError as error:
        return error_page(request, "Infusion not found", error.detail, 404)
    clinic = get_clinic(uow)
    zone = ZoneInfo(clinic.timezone)
    patient = catalog.get_patient(uow, infusion.patient_id, actor)
    types = catalog.list_session_types(uow, ALL)[:MAX_PAGE]
    people = {t.id: t for t in therapists.list_therapists(uow, ALL)[:MAX_PAGE]}
    rooms = {r.id: r.name for r in catalog.list_rooms(uow, ALL)[:MAX_PAGE]}
    css = type_classes(types)
    type_names = {t.key: t.name for t in types}
    anchor = queries.protocol_anchor(uow, infusion.protocol_version)
    now = clock().astimezone(zone)
    slots: dict[str, list[SlotPublic] | str] = {}
    if infusion.status != "cancelled":
        for kind in types:
            try:
                slots[kind.key] = booking.slots_for(
                    uow, infusion_id, kind.key, TOP_SLOTS, None, clock
                )
            except PlannerError as error:
                slots[kind.key] = error.detail
    active = {
        s.session_type
        for s in infusion.sessions
        if s.status in ("booked", "checked_in", "completed")
    }
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
            "timeline": _timeline(infusion, anchor, css, type_names, zone, now),
            "anchor": anchor,
            "care_plan_done": active,
            "follow_up_rules": FOLLOW_UP_RULES,
            "follow_up_start": (_t(infusion.end) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
            "replan_start": _t(infusion.start).strftime("%Y-%m-%dT%H:%M"),
            "booking_start": _t(infusion.windows[0].start).strftime("%Y-%m-%dT%H:%M")
            if infusion.windows
            else "",
        },
    )


def _back(infusion_id: int) -> str:
    return f"/infusions/{infusion_id}"


@router.post("/infusions/{infusion_id}/book")
def book(request: Request, infusion_id: int, actor: auth.StaffActor, form: auth.Form) -> Response:
    try:
        body = SessionCreate(
            infusion_id=infusion_id,
            session_type=forms.text(form, "session_type", 64),
            start=forms.local_datetime(form, "start", "Start"),
            therapist_id=forms.optional_int(form, "therapist_id", "Therapist"),
            room_id=forms.optional_int(form, "room_id", "Room"),
            override_reason=forms.optional_text(form, "override_reason"),
        )
        booked = booking.book_session(get_uow(request), body, request.app.state.clock)
    except (PlannerError, ValidationError) as error:
        return refused(_back(infusion_id), error, "The session was not booked")
    kind = booked.session_type.replace("_", " ")
    text = f"Booked {kind} {booked.start[11:16]}–{booked.end[11:16]}."
    return redirect(f"{_back(infusion_id)}#session-{booked.id}", "success", text)


@router.post("/infusions/{infusion_id}/plan")
def plan(request: Request, infusion_id: int, actor: auth.StaffActor, form: auth.Form) -> Response:
    try:
        result = planning.plan_for_infusion(
            get_uow(request), infusion_id, PlanRequest(commit=True), request.app.state.clock
        )
    except (PlannerError, ValidationError) as error:
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
    request: Request, infusion_id: int, actor: auth.StaffActor, form: auth.Form
) -> Response:
    try:
        body = InfusionPatch(
            start=forms.local_datetime(form, "start", "New start"),
            duration_minutes=forms.optional_int(form, "duration_minutes", "Duration"),
        )
        result = replan.replan_infusion(
            get_uow(request), infusion_id, body, request.app.state.clock
        )
    except (PlannerError, ValidationError) as error:
        return refused(_back(infusion_id), error, "The infusion was not moved")
    moves = result.replan
    text = (
        f"Infusion moved to {result.start[11:16]}–{result.end[11:16]}. "
        f"{len(moves.kept)} kept, {len(moves.moved)} moved"
    )
    if moves.moved:
        text += " (" + ", ".join(f"{m.from_[11:16]} → {m.to[11:16]}" for m in moves.moved) + ")"
    if moves.unplaced:
        text += f"; {len(moves.unplaced)} could not be re-placed and are flagged outside the window"
        return redirect(_back(infusion_id), "warning", text + ".")
    return redirect(_back(infusion_id), "success", text + ".")


@router.post("/infusions/{infusion_id}/follow-ups")
def follow_up(
    request: Request, infusion_id: int, actor: auth.StaffActor, form: auth.Form
) -> Response:
    try:
        body = FollowUpRequest(
            session_type=forms.text(form, "session_type", 64),
            rrule=forms.text(form, "rrule", 300),
            start=forms.local_datetime(form, "start", "First session"),
            therapist_id=forms.optional_int(form, "therapist_id", "Therapist"),
            tolerance_minutes=forms.optional_int(form, "tolerance_minutes", "Tolerance") or 0,
        )
        result = follow_ups.book_follow_ups(
            get_uow(request), infusion_id, body, request.app.state.clock
        )
    except (PlannerError, ValidationError) as error:
        return refused(_back(infusion_id), error, "The follow-ups were not booked")
    text = f"Follow-ups: {len(result.sessions)} booked."
    if result.unplaced:
        text += " Not booked: " + "; ".join(
            f"{u.occurrence[:16].replace('T', ' ')} ({u.code})" for u in result.unplaced
        )
        return redirect(_back(infusion_id), "warning", text)
    return redirect(_back(infusion_id), "success", text)


@router.post("/infusions/{infusion_id}/cancel")
def cancel(request: Request, infusion_id: int, actor: auth.StaffActor, form: auth.Form) -> Response:
    try:
        body = CancelBody(reason=forms.optional_text(form, "reason"))
        infusions.cancel_infusion(get_uow(request), infusion_id, body, request.app.state.clock)
    except (PlannerError, ValidationError) as error:
        return refused(_back(infusion_id), error, "The infusion was not cancelled")
    return redirect(_back(infusion_id), "success", "Infusion cancelled with its active sessions.")


@router.post("/sessions/{session_id}/cancel")
def cancel_session(
    request: Request, session_id: int, actor: auth.StaffActor, form: auth.Form
) -> Response:
    back = forms.text(form, "back", 300)
    back = back if back.startswith("/") and not back.startswith("//") else "/board"
    try:
        body = SessionCancel(reason=forms.optional_text(form, "reason"))
        booking.cancel_session(get_uow(request), session_id, body, request.app.state.clock)
    except (PlannerError, ValidationError) as error:
        return refused(back, error, "The session was not cancelled")
    return redirect(back, "success", "Session cancelled.")
