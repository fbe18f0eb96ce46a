"""Settings for administrators: clinic, window protocol, therapists, rooms, types, users."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from models.ranges import ALL, MAX_PAGE
from planner.durations import parse_duration
from planner.errors import Code, PlannerError
from planner.protocol import WindowSpec
from services import catalog, therapists, users
from services.clinic import get_clinic, get_protocol, put_clinic, put_protocol
from services.commands import (
    ClinicSettings,
    NewProtocol,
    NewRoom,
    NewSessionType,
    NewTherapist,
    NewTimeOff,
    NewUser,
    TherapistChanges,
    UserChanges,
)
from services.views import WorkingHoursView
from web import access, forms
from web.filled import Fields, Filled, filled
from web.render import redirect, render

router = APIRouter(include_in_schema=False)
DAYS = [
    ("MO", "Mon"),
    ("TU", "Tue"),
    ("WE", "Wed"),
    ("TH", "Thu"),
    ("FR", "Fri"),
    ("SA", "Sat"),
    ("SU", "Sun"),
]
FRIENDLY = re.compile(r"^(\d+)\s*(m|min|h|d|w)$", re.IGNORECASE)


def iso_duration(text: str) -> str:
    """``2h``, ``90m``, ``28d``, ``4w`` or ISO 8601 (``PT2H``) as ISO 8601."""
    match = FRIENDLY.match(text.strip())
    if not match:
        return text.strip().upper()
    amount, unit = int(match.group(1)), match.group(2).lower()
    return {
        "m": f"PT{amount}M",
        "min": f"PT{amount}M",
        "h": f"PT{amount}H",
        "d": f"P{amount}D",
        "w": f"P{amount * 7}D",
    }[unit]


def describe_hours(entry: WorkingHoursView) -> str:
    parts = dict(p.split("=", 1) for p in entry.rrule.upper().split(";") if "=" in p)
    names = dict(DAYS)
    if parts.get("FREQ") == "DAILY" and "BYDAY" not in parts:
        days = "Every day"
    elif "BYDAY" in parts:
        chosen = parts["BYDAY"].split(",")
        days = (
            "Every day"
            if len(chosen) == 7
            else "Mon–Fri"
            if chosen == ["MO", "TU", "WE", "TH", "FR"]
            else ", ".join(names.get(d, d) for d in chosen)
        )
    else:
        days = entry.rrule
    valid = ""
    if entry.valid_from or entry.valid_until:
        valid = f" ({entry.valid_from or '…'} to {entry.valid_until or '…'})"
    return f"{days} {entry.start}–{entry.end}{valid}"


def _days_of(entry: WorkingHoursView) -> list[str]:
    parts = dict(p.split("=", 1) for p in entry.rrule.upper().split(";") if "=" in p)
    if parts.get("FREQ") == "DAILY":
        return [d for d, _ in DAYS]
    return parts.get("BYDAY", "").split(",")


FIELDS = Fields(
    {Code.nonexistent_local_time: "start", Code.ambiguous_local_time: "start"},
    {
        label: name
        for name, labels in {
            "name": ("name",),
            "timezone": ("timezone",),
            "max_wait_minutes": ("max_wait_minutes",),
            "modality": ("modality",),
            "kind": ("kind",),
            "key": ("key",),
            "duration_minutes": ("duration_minutes", "duration"),
            "discipline": ("discipline",),
            "disciplines": ("disciplines",),
            "window": ("window",),
            "username": ("username",),
            "password": ("password",),
            "therapist_id": ("therapist", "therapist_id"),
            "buffer_minutes": ("buffer", "buffer_minutes"),
            "max_sessions_per_day": ("daily limit", "max_sessions_per_day"),
            "start": ("from", "start"),
            "end": ("until", "end"),
            "working_hours": ("working_hours", "working_hours[0]", "rrule"),
        }.items()
        for label in labels
    },
)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, actor: access.AdminActor) -> Response:
    return _page(request)


def _page(request: Request, state: Filled | None = None) -> Response:
    uow = access.unit_of_work(request)
    clinic = get_clinic(uow)
    people = therapists.list_therapists(uow, ALL)[:MAX_PAGE]
    time_off = therapists.upcoming_time_off(uow, request.app.state.clock)
    return render(
        request,
        "settings.html",
        {
            "clinic": clinic,
            "zones": sorted(available_timezones()),
            "protocol": get_protocol(uow),
            "therapists": people,
            "names": {t.id: t.name for t in people},
            "hours": {t.id: [describe_hours(h) for h in t.working_hours] for t in people},
            "first_hours": {t.id: t.working_hours[0] if t.working_hours else None for t in people},
            "first_days": {
                t.id: _days_of(t.working_hours[0]) if t.working_hours else [] for t in people
            },
            "time_off": time_off,
            "rooms": catalog.list_rooms(uow, ALL)[:MAX_PAGE],
            "types": catalog.list_session_types(uow, ALL)[:MAX_PAGE],
            "users": users.list_users(uow, ALL)[:MAX_PAGE],
            "days": DAYS,
            "filled": state,
        },
        status=state.error.code.status if state else 200,
    )


def _done(section: str, text: str) -> Response:
    return redirect(f"/settings#{section}", "success", text)


def _failed(
    request: Request, form_id: str, form: FormData, error: PlannerError, what: str
) -> Response:
    """The settings page again, the refused form as it was typed, the message beside it."""
    zone = get_clinic(access.unit_of_work(request)).zone
    return _page(request, filled(form_id, form, error, FIELDS, what, zone))


@router.post("/settings/clinic")
def save_clinic(request: Request, actor: access.AdminActor, form: access.Form) -> Response:
    try:
        wanted = ClinicSettings(
            forms.text(form, "name", 200),
            forms.text(form, "timezone"),
            forms.optional_int(form, "max_wait_minutes", "max_wait_minutes"),
        )
        put_clinic(access.unit_of_work(request), wanted)
    except PlannerError as error:
        return _failed(request, "clinic", form, error, "The clinic was not saved")
    return _done("clinic", "Clinic saved.")


def _windows(form: FormData) -> list[WindowSpec]:
    windows = []
    for index in range(int(forms.integer(form, "rows", "rows"))):
        key = forms.text(form, f"w{index}_key", 40)
        if not key or forms.checked(form, f"w{index}_remove"):
            continue
        target = forms.text(form, f"w{index}_target", 20)
        windows.append(
            WindowSpec(
                key=key,
                label=forms.text(form, f"w{index}_label", 200),
                implication=forms.text(form, f"w{index}_implication", 500),
                start_offset=parse_duration(iso_duration(forms.text(form, f"w{index}_start", 20))),
                end_offset=parse_duration(iso_duration(forms.text(form, f"w{index}_end", 20))),
                target_offset=parse_duration(iso_duration(target)) if target else None,
            )
        )
    return windows


@router.post("/settings/protocol")
def save_protocol(request: Request, actor: access.AdminActor, form: access.Form) -> Response:
    try:
        start = forms.text(form, "anchor", 10) == "start"
        recovery = parse_duration(iso_duration(forms.text(form, "recovery", 20) or "PT1H"))
        wanted = NewProtocol(
            anchor="start" if start else "end", windows=tuple(_windows(form)), recovery=recovery
        )
        saved = put_protocol(access.unit_of_work(request), wanted, request.app.state.clock)
    except PlannerError as error:
        return _failed(request, "protocol", form, error, "The protocol was not saved")
    return _done(
        "protocol",
        f"Protocol version {saved.version} saved. Infusions already recorded keep their version.",
    )


def _hours_from(form: FormData) -> list[dict[str, str]]:
    rule = forms.text(form, "rrule", 300)
    if not rule:
        days = [d for d in forms.many(form, "days") if d in dict(DAYS)]
        if not days:
            return []
        rule = f"FREQ=WEEKLY;BYDAY={','.join(days)}"
    return [
        {"rrule": rule, "start": forms.text(form, "start", 5), "end": forms.text(form, "end", 5)}
    ]


def _disciplines(form: FormData) -> list[str]:
    raw = forms.text(form, "disciplines", 300).replace(";", ",")
    return [d.strip().lower().replace(" ", "_") for d in raw.split(",") if d.strip()]


def _therapist_fields(form: FormData) -> dict[str, Any]:
    """The therapist form's fields, for adding and for editing alike."""
    return {
        "name": forms.text(form, "name", 200),
        "disciplines": _disciplines(form),
        "working_hours": tuple(_hours_from(form)),
        "buffer_minutes": forms.optional_int(form, "buffer_minutes", "Buffer") or 0,
        "max_sessions_per_day": forms.optional_int(form, "max_sessions_per_day", "Daily limit"),
    }


@router.post("/settings/therapists")
def add_therapist(request: Request, actor: access.AdminActor, form: access.Form) -> Response:
    try:
        fields = _therapist_fields(form)
        fields["disciplines"] = tuple(fields["disciplines"])
        created = therapists.create_therapist(access.unit_of_work(request), NewTherapist(**fields))
    except PlannerError as error:
        return _failed(request, "therapist-new", form, error, "The therapist was not added")
    return _done("therapists", f"{created.name} added.")


@router.post("/settings/therapists/{therapist_id}")
def edit_therapist(
    request: Request, therapist_id: int, actor: access.AdminActor, form: access.Form
) -> Response:
    try:
        changes = TherapistChanges(_therapist_fields(form))
        saved = therapists.patch_therapist(access.unit_of_work(request), therapist_id, changes)
    except PlannerError as error:
        return _failed(
            request, f"therapist-{therapist_id}", form, error, "The therapist was not saved"
        )
    return _done("therapists", f"{saved.name} saved.")


@router.post("/settings/therapists/{therapist_id}/time-off")
def add_time_off(
    request: Request, therapist_id: int, actor: access.AdminActor, form: access.Form
) -> Response:
    try:
        wanted = NewTimeOff(
            start=forms.local_datetime(form, "start", "From"),
            end=forms.local_datetime(form, "end", "Until"),
            reason=forms.text(form, "reason"),
        )
        therapists.add_time_off(access.unit_of_work(request), therapist_id, wanted)
    except PlannerError as error:
        return _failed(
            request, f"time_off-{therapist_id}", form, error, "The time off was not added"
        )
    return _done("therapists", "Time off added.")


@router.post("/settings/rooms")
def add_room(request: Request, actor: access.AdminActor, form: access.Form) -> Response:
    try:
        room = NewRoom(name=forms.text(form, "name", 200), kind=forms.text(form, "kind", 64))
        catalog.create_room(access.unit_of_work(request), room)
    except PlannerError as error:
        return _failed(request, "room", form, error, "The room was not added")
    return _done("rooms", f"Room {room.name} added.")


@router.post("/settings/session-types")
def add_session_type(request: Request, actor: access.AdminActor, form: access.Form) -> Response:
    try:
        kind = NewSessionType(
            key=forms.text(form, "key", 40),
            name=forms.text(form, "name", 200),
            duration_minutes=forms.integer(form, "duration_minutes", "Duration"),
            discipline=forms.text(form, "discipline", 40).lower().replace(" ", "_"),
            window=forms.text(form, "window", 40),
            room_kind=forms.optional_text(form, "room_kind", 64),
            modality=forms.text(form, "modality", 16) or "on_site",
        )
        catalog.create_session_type(access.unit_of_work(request), kind)
    except PlannerError as error:
        return _failed(request, "session_type", form, error, "The session type was not added")
    return _done("session-types", f"Session type {kind.name} added.")


@router.post("/settings/users")
def add_user(request: Request, actor: access.AdminActor, form: access.Form) -> Response:
    try:
        role = forms.text(form, "role", 20)
        new = NewUser(
            username=forms.text(form, "username", 100),
            role=role,
            therapist_id=forms.optional_int(form, "therapist_id", "Therapist")
            if role == "therapist"
            else None,
            password=forms.text(form, "password", 200) or None,
        )
        ttl = timedelta(hours=request.app.state.settings.token_ttl_hours)
        users.create_user(access.unit_of_work(request), new, request.app.state.clock, ttl)
    except PlannerError as error:
        return _failed(request, "user-new", form, error, "The user was not added")
    return _done("users", f"User {new.username} added; they can log in with the password given.")


@router.post("/settings/users/{user_id}")
def edit_user(
    request: Request, user_id: int, actor: access.AdminActor, form: access.Form
) -> Response:
    try:
        action = forms.text(form, "action", 20)
        if action in ("disable", "enable"):
            changes = UserChanges(disabled=action == "disable")
        else:
            changes = UserChanges(password=forms.text(form, "password", 200))
        saved = users.change_user(access.unit_of_work(request), user_id, changes, actor)
    except PlannerError as error:
        return _failed(request, f"user-{user_id}", form, error, "The user was not changed")
    state = "disabled" if saved.disabled else "enabled"
    text = (
        f"{saved.username}: password changed."
        if action not in ("disable", "enable")
        else (f"{saved.username} is {state}.")
    )
    return _done("users", text)
