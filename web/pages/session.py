"""What staff and therapists do to one session: move it, cancel it, change its status, undo.

Status changes come from a therapist's day (or staff); the rules on when (check-in from 30
minutes before the start, completed or no-show once it has started, undo for 10 minutes)
are the services' (``planner.sessions``), so the pages and the API agree.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from models.ranges import ALL, MAX_PAGE
from planner.errors import Code, PlannerError
from planner.sessions import SessionStatus
from services import booking, catalog, therapists
from services.clinic import get_clinic
from services.commands import ChangeStatus, MoveSession
from web import access, forms
from web.filled import Filled, booking_fields, filled
from web.render import error_page, redirect, refused, render

router = APIRouter(include_in_schema=False)
MOVE_OPTIONS = 6
MOVE_FIELDS = booking_fields(Start="start", Therapist="therapist_id")


def back_from(form: FormData, default: str) -> str:
    """Where to return after a form: a path on this site (never another site)."""
    back = forms.text(form, "back", 300)
    return back if back.startswith("/") and not back.startswith("//") else default


def _move_page(request: Request, session_id: int, state: Filled | None = None) -> Response:
    uow = access.unit_of_work(request)
    try:
        session, options = booking.move_options(
            uow, session_id, MOVE_OPTIONS, request.app.state.clock
        )
    except PlannerError as error:
        title = "Session not found" if error.code == Code.not_found else "Cannot move it"
        return error_page(request, title, error.detail, error.code.status)
    types = {t.key: t.name for t in catalog.list_session_types(uow, ALL)[:MAX_PAGE]}
    return render(
        request,
        "move.html",
        {
            "clinic": get_clinic(uow),
            "session": session,
            "options": options,
            "type_name": types.get(session.session_type, session.session_type),
            "therapists": {t.id: t for t in therapists.list_therapists(uow, ALL)[:MAX_PAGE]},
            "rooms": {r.id: r.name for r in catalog.list_rooms(uow, ALL)[:MAX_PAGE]},
            "back": request.query_params.get("back") or f"/infusions/{session.infusion_id}",
            "filled": state,
        },
        status=state.error.code.status if state else 200,
    )


@router.get("/sessions/{session_id}/move", response_class=HTMLResponse)
def move_page(request: Request, session_id: int, actor: access.StaffActor) -> Response:
    """The best free times in the session's window, and a time of one's own choosing."""
    return _move_page(request, session_id)


@router.post("/sessions/{session_id}/move")
def move(
    request: Request, session_id: int, actor: access.StaffActor, form: access.Form
) -> Response:
    try:
        wanted = MoveSession(
            start=forms.local_datetime(form, "start", "Start"),
            therapist_id=forms.optional_int(form, "therapist_id", "Therapist"),
        )
        moved = booking.move_session(
            access.unit_of_work(request), session_id, wanted, request.app.state.clock
        )
    except PlannerError as error:
        zone = get_clinic(access.unit_of_work(request)).zone
        which = "option" if forms.checked(form, "from_option") else "move"
        state = filled(which, form, error, MOVE_FIELDS, "The session was not moved", zone)
        return _move_page(request, session_id, state)
    back = back_from(form, f"/infusions/{moved.infusion_id}")
    text = f"Moved to {moved.start:%a %d %b %H:%M}–{moved.end:%H:%M}."
    return redirect(f"{back}#session-{moved.id}", "success", text)


@router.post("/sessions/{session_id}/cancel")
def cancel(
    request: Request, session_id: int, actor: access.StaffActor, form: access.Form
) -> Response:
    back = back_from(form, "/board")
    try:
        reason = forms.optional_text(form, "reason")
        booking.cancel_session(
            access.unit_of_work(request), session_id, reason, request.app.state.clock
        )
    except PlannerError as error:
        return refused(back, error, "The session was not cancelled")
    return redirect(back, "success", "Session cancelled.")


@router.post("/sessions/{session_id}/status")
def change_status(
    request: Request, session_id: int, actor: access.PageActor, form: access.Form
) -> Response:
    back = back_from(form, "/my-day")
    try:
        wanted = _status(form)
        changed = booking.change_status(
            access.unit_of_work(request), session_id, wanted, actor, request.app.state.clock
        )
    except PlannerError as error:
        return refused(back, error, "The status was not changed")
    name = changed.patient_name or "the patient"
    return redirect(
        f"{back}#session-{session_id}",
        "success",
        f"{changed.start:%H:%M} session with {name}: {changed.status.label}. "
        f"You can undo this until {changed.undo_until:%H:%M}."
        if changed.undo_until
        else "",
    )


def _status(form: FormData) -> ChangeStatus:
    wanted = forms.text(form, "status", 20)
    if wanted not in SessionStatus.__members__:
        raise PlannerError(Code.validation_error, f"status: {wanted!r} is not a status")
    return ChangeStatus(SessionStatus(wanted))


@router.post("/sessions/{session_id}/status/undo")
def undo_status(
    request: Request, session_id: int, actor: access.PageActor, form: access.Form
) -> Response:
    back = back_from(form, "/my-day")
    try:
        undone = booking.undo_status(
            access.unit_of_work(request), session_id, actor, request.app.state.clock
        )
    except PlannerError as error:
        return refused(back, error, "The status change was not undone")
    text = f"{undone.start:%H:%M} session is {undone.status.label} again."
    return redirect(f"{back}#session-{session_id}", "success", text)
