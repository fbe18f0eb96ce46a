"""One infusion: its timeline, care plan, best slots, booking, re-plan and follow-ups.

A refused form comes back on this page with what was typed and the message beside its
field (``web.filled``), never a reset form on another page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from models.ranges import ALL, MAX_PAGE
from planner.board import Placement
from planner.errors import Code, PlannerError
from planner.roles import Actor
from planner.sessions import HELD, SessionStatus
from services import booking, care_plans, catalog, follow_ups, infusions, replan, therapists
from services.clinic import get_clinic
from services.commands import BookFollowUps, BookSession, MoveInfusion, PlanCarePlan
from services.plan_views import FollowUpsView
from services.views import InfusionView
from web import access, forms
from web.board import type_classes
from web.filled import TIME_CODES, Fields, Filled, booking_fields, filled
from web.render import error_page, redirect, render
from web.timeline import SessionIn, Timeline, WindowIn, build_timeline

router = APIRouter(include_in_schema=False)
TOP_SLOTS = 3
FOLLOW_UP_RULES = [
    ("FREQ=WEEKLY;COUNT=4", "Weekly, 4 times"),
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=2", "Every 2 weeks, twice"),
    ("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6", "Mondays and Thursdays, 6 times"),
    ("FREQ=DAILY;COUNT=5", "Daily, 5 times"),
]
BOOK_FIELDS = booking_fields(
    Start="start", Therapist="therapist_id", Room="room_id", override_reason="override_reason"
)
REPLAN_FIELDS = Fields(
    {code: "start" for code in (*TIME_CODES, Code.patient_busy)},
    {"New start": "start", "Duration": "duration_minutes", "duration_minutes": "duration_minutes"},
)
FOLLOW_UP_FIELDS = booking_fields(
    **{"First session": "start", "rrule": "rrule", "Tolerance": "tolerance_minutes"},
    Therapist="therapist_id",
    tolerance_minutes="tolerance_minutes",
)
CANCEL_FIELDS = Fields({}, {"reason": "reason"})


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
        recovery_end=infusion.recovery_end,
    )


def _page(
    request: Request,
    infusion_id: int,
    actor: Actor,
    state: Filled | None = None,
) -> Response:
    """The infusion page; with ``state``, a refused form shown again (status: its code's)."""
    uow = access.unit_of_work(request)
    clock = request.app.state.clock
    try:
        infusion = infusions.get_infusion(uow, infusion_id)
    except PlannerError as error:
        return error_page(request, "Infusion not found", error.detail, 404)
    clinic = get_clinic(uow)
    types = catalog.list_session_types(uow, ALL)[:MAX_PAGE]
    css = type_classes(types)
    type_names = {t.key: t.name for t in types}
    slots: dict[str, list[Placement] | str] = {}
    if infusion.status != "cancelled":
        for kind in types:
            try:
                found = booking.slot_search(uow, infusion_id, kind.key, TOP_SLOTS, None, clock)
                slots[kind.key] = found.slots
            except PlannerError as error:
                slots[kind.key] = error.detail
    return render(
        request,
        "infusion.html",
        {
            "clinic": clinic,
            "infusion": infusion,
            "patient": catalog.get_patient(uow, infusion.patient_id, actor),
            "types": types,
            "type_css": css,
            "type_names": type_names,
            "therapists": {t.id: t for t in therapists.list_therapists(uow, ALL)[:MAX_PAGE]},
            "rooms": {r.id: r.name for r in catalog.list_rooms(uow, ALL)[:MAX_PAGE]},
            "slots": slots,
            "timeline": _timeline(infusion, css, type_names, clinic.zone, clock()),
            "anchor": infusion.anchor,
            "care_plan_done": {s.session_type for s in infusion.sessions if s.status in HELD},
            "follow_up_rules": FOLLOW_UP_RULES,
            "follow_up_start": infusion.end + timedelta(days=7),
            "replan_start": infusion.start,
            "booking_start": infusion.windows[0].start if infusion.windows else None,
            "filled": state,
        },
        status=state.error.code.status if state else 200,
    )


@router.get("/infusions/{infusion_id}", response_class=HTMLResponse)
def infusion_page(request: Request, infusion_id: int, actor: access.StaffActor) -> Response:
    return _page(request, infusion_id, actor)


def _back(infusion_id: int) -> str:
    return f"/infusions/{infusion_id}"


def _again(
    request: Request,
    infusion_id: int,
    actor: Actor,
    which: str,
    form: FormData,
    error: PlannerError,
    fields: Fields,
    what: str,
) -> Response:
    zone = get_clinic(access.unit_of_work(request)).zone
    return _page(request, infusion_id, actor, filled(which, form, error, fields, what, zone))


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
        which = "slot" if forms.checked(form, "from_slot") else "book"
        what = "The session was not booked"
        return _again(request, infusion_id, actor, which, form, error, BOOK_FIELDS, what)
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
        what = "The care plan was not booked"
        return _again(request, infusion_id, actor, "plan", form, error, Fields(), what)
    placed = len(result.sessions)
    text = f"Care plan: {placed} session{'s' if placed != 1 else ''} booked."
    if not placed and not result.unplaced:
        text = "Every care-plan item already has a session."
    if result.unplaced:
        items = [f"{u.session_type.replace('_', ' ')}: {u.detail}" for u in result.unplaced]
        return redirect(_back(infusion_id), "warning", text + " Not placed:", items=items)
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
        what = "The infusion was not moved"
        return _again(request, infusion_id, actor, "replan", form, error, REPLAN_FIELDS, what)
    moved = result.infusion
    text = (
        f"Infusion moved to {moved.start:%H:%M}–{moved.end:%H:%M}. "
        f"{len(result.kept)} kept, {len(result.moved)} moved"
    )
    items = [f"{m.before:%H:%M} → {m.after:%H:%M}" for m in result.moved]
    if result.unplaced:
        items += [
            f"not re-placed (flagged outside the window): {u.detail}" for u in result.unplaced
        ]
        return redirect(_back(infusion_id), "warning", text + ".", items=items)
    return redirect(_back(infusion_id), "success", text + ".", items=items)


def _occurrences(result: FollowUpsView) -> list[str]:
    """Each occurrence with its time and what became of it (shifted, or why not booked)."""
    lines = []
    for o in result.occurrences:
        when = f"{o.wall:%a %d %b %H:%M}"
        if o.session is None:
            lines.append(f"{when}: not booked — {o.detail}")
        elif o.shifted_by:
            minutes = int(o.shifted_by.total_seconds() // 60)
            lines.append(
                f"{when}: booked at {o.session.start:%H:%M} ({abs(minutes)} min "
                f"{'later' if minutes > 0 else 'earlier'}: {o.wall:%H:%M} was taken)"
            )
        else:
            lines.append(f"{when}: booked")
    return lines


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
        what = "The follow-ups were not booked"
        return _again(request, infusion_id, actor, "follow_up", form, error, FOLLOW_UP_FIELDS, what)
    booked = len(result.sessions)
    text = f"Follow-ups: {booked} of {len(result.occurrences)} booked."
    kind = "warning" if result.unplaced else "success"
    return redirect(_back(infusion_id), kind, text, items=_occurrences(result))


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
        what = "The infusion was not cancelled"
        return _again(request, infusion_id, actor, "cancel", form, error, CANCEL_FIELDS, what)
    return redirect(_back(infusion_id), "success", "Infusion cancelled with its active sessions.")
