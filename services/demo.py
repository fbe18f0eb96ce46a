"""``planner demo``: a demo clinic for today. Running it again changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models.db import make_engine, session_factory
from models.ranges import ALL
from models.uow import UnitOfWork
from planner.errors import PlannerError
from planner.localtime import Clock, day_bounds, local_instant, system_clock
from services import booking, catalog, infusions, therapists, users
from services.clinic import ensure_clinic
from services.commands import (
    BookSession,
    NewPatient,
    NewRoom,
    NewSessionType,
    NewTherapist,
    NewUser,
    RecordInfusion,
)
from services.settings import Settings

WEEK = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU"
THERAPISTS = [
    ("Ana Rivera", ["physical"], "07:00", "15:30", 10, 8),
    ("Ben Okafor", ["cognitive", "physical"], "09:00", "17:30", 15, 8),
    ("Chloe Martin", ["psychotherapy"], "10:00", "19:00", 10, 6),
    ("Dev Patel", ["cognitive", "psychotherapy"], "12:00", "21:00", 10, None),
]
ROOMS = [
    ("Gym 1", "gym"),
    ("Gym 2", "gym"),
    ("Quiet room A", "quiet_room"),
    ("Quiet room B", "quiet_room"),
    ("Chair 1", "infusion_chair"),
    ("Chair 2", "infusion_chair"),
    ("Chair 3", "infusion_chair"),
]
SESSION_TYPES = [
    ("physical_rehabilitation", "Physical rehabilitation", 45, "physical", "spinogenesis", "gym"),
    ("cognitive_training", "Cognitive training", 60, "cognitive", "peak", "quiet_room"),
    ("cognitive_therapy", "Cognitive therapy", 50, "psychotherapy", "plasticity", None),
    ("follow_up_rehabilitation", "Follow-up rehabilitation", 45, "physical", "long_term", "gym"),
]
PATIENTS = [
    ("Alex Demo", "DEMO-001"),
    ("Blair Demo", "DEMO-002"),
    ("Casey Demo", "DEMO-003"),
    ("Drew Demo", "DEMO-004"),
    ("Emery Demo", "DEMO-005"),
]
INFUSIONS = [  # local start, patient index, care plan
    ("07:00", 0, ["physical_rehabilitation", "cognitive_training", "cognitive_therapy"]),
    ("07:30", 1, ["cognitive_training", "cognitive_therapy", "follow_up_rehabilitation"]),
    ("08:15", 2, ["physical_rehabilitation", "cognitive_training"]),
    ("09:30", 3, ["cognitive_training", "cognitive_therapy"]),
]
USERS = [
    ("scheduler", "scheduler", "demo-scheduler", None),
    ("ana", "therapist", "demo-therapist", 0),
]


def load_demo(settings: Settings, clock: Clock = system_clock) -> str:
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)

    def new_uow() -> UnitOfWork:
        return UnitOfWork(factory)

    try:
        ensure_clinic(new_uow(), settings.clinic_name, settings.clinic_timezone)
        admin_password = users.ensure_first_admin(new_uow())
        ids = _base(new_uow, clock)
        booked = _today(new_uow, ids, clock)
    finally:
        engine.dispose()
    return _instructions(settings, booked, admin_password)


def _base(new_uow: Callable[[], UnitOfWork], clock: Clock) -> dict[str, list[int]]:
    """The therapists, rooms, session types, patients and users (each made once)."""
    ids = {"therapists": _therapists(new_uow), "patients": _patients(new_uow)}
    _catalog(new_uow)
    _users(new_uow, ids["therapists"], clock)
    return ids


def _therapists(new_uow: Callable[[], UnitOfWork]) -> list[int]:
    have = {t.name: t.id for t in therapists.list_therapists(new_uow(), ALL)}
    for name, disciplines, start, end, buffer, limit in THERAPISTS:
        if name not in have:
            new = NewTherapist(
                name=name,
                disciplines=tuple(disciplines),
                working_hours=({"rrule": WEEK, "start": start, "end": end},),
                buffer_minutes=buffer,
                max_sessions_per_day=limit,
            )
            have[name] = therapists.create_therapist(new_uow(), new).id
    return [have[name] for name, *_ in THERAPISTS]


def _catalog(new_uow: Callable[[], UnitOfWork]) -> None:
    have_rooms = {r.name for r in catalog.list_rooms(new_uow(), ALL)}
    for name, kind in ROOMS:
        if name not in have_rooms:
            catalog.create_room(new_uow(), NewRoom(name=name, kind=kind))
    have_types = {t.key for t in catalog.list_session_types(new_uow(), ALL)}
    for key, label, minutes, discipline, window, room_kind in SESSION_TYPES:
        if key not in have_types:
            new_type = NewSessionType(key, label, minutes, discipline, window, room_kind)
            catalog.create_session_type(new_uow(), new_type)


def _patients(new_uow: Callable[[], UnitOfWork]) -> list[int]:
    have = {p.mrn: p.id for p in catalog.patient_choices(new_uow())}
    for name, mrn in PATIENTS:
        if mrn not in have:
            have[mrn] = catalog.create_patient(new_uow(), NewPatient(name=name, mrn=mrn)).id
    return [have[mrn] for _, mrn in PATIENTS]


def _users(new_uow: Callable[[], UnitOfWork], therapist_ids: list[int], clock: Clock) -> None:
    have = {u.username for u in users.list_users(new_uow(), ALL)}
    for username, role, password, therapist_index in USERS:
        if username not in have:
            therapist_id = None if therapist_index is None else therapist_ids[therapist_index]
            users.create_user(
                new_uow(),
                NewUser(username, role, therapist_id, password),
                clock,
                timedelta(days=1),  # demo users log in with their password
            )


def _today(new_uow: Callable[[], UnitOfWork], ids: dict[str, list[int]], clock: Clock) -> int:
    """Today's infusions (once) and, for each, its care plan booked at the best slots.

    Bookings are made as if at the start of today, so the demo day is filled even when
    ``planner demo`` runs in the evening; every other rule applies as usual.
    """
    zone = _zone(new_uow)
    now = clock().astimezone(UTC)
    today = now.astimezone(zone).date()
    first, _ = day_bounds(today, zone)
    existing = {i.patient_id for i in infusions.list_infusions(new_uow(), today, ALL)}
    plan = list(INFUSIONS)
    soon = (now + timedelta(minutes=30)).astimezone(zone)
    if soon.date() == today and soon.hour >= 10:  # later in the day: one infusion still ahead
        plan.append((f"{soon.hour:02d}:{soon.minute // 15 * 15:02d}", 4, ["cognitive_training"]))
    booked = 0

    def start_of_today() -> datetime:
        return first

    for wall, patient_index, care_plan in plan:
        patient_id = ids["patients"][patient_index]
        if patient_id in existing:
            continue
        hour, minute = (int(part) for part in wall.split(":"))
        naive = datetime.combine(today, datetime.min.time()).replace(hour=hour, minute=minute)
        try:
            start = local_instant(naive, zone)
        except PlannerError:
            continue  # a DST gap today: skip that demo infusion
        infusion = infusions.create_infusion(
            new_uow(),
            RecordInfusion(patient_id=patient_id, start=start, care_plan=tuple(care_plan)),
            clock,
        )
        for key in care_plan:
            search = booking.slot_search(new_uow(), infusion.id, key, 1, None, start_of_today)
            slots = search.slots
            if not slots:
                continue
            wanted = BookSession(infusion.id, key, slots[0].start, slots[0].therapist_id)
            try:
                booking.book_session(new_uow(), wanted, start_of_today)
                booked += 1
            except PlannerError:
                continue
    return booked


def _zone(new_uow: Callable[[], UnitOfWork]) -> ZoneInfo:
    with new_uow() as uow:
        return uow.clinic.zone()


def _instructions(settings: Settings, booked: int, admin_password: str | None) -> str:
    token_hint = (
        "  Admin API token: the value of PLANNER_BOOTSTRAP_ADMIN_TOKEN"
        if settings.bootstrap_admin_token
        else "  For an admin API token, serve with PLANNER_BOOTSTRAP_ADMIN_TOKEN=<secret>"
    )
    return "\n".join(
        [
            f"Demo clinic ready ({booked} sessions booked now; re-running changes nothing).",
            "Log in (demo passwords, change them for real use):",
            "  scheduler / demo-scheduler   (clinic staff)",
            "  ana / demo-therapist          (therapist Ana Rivera)",
            *(
                [f"  admin / {admin_password}   (administrator; shown once, change it)"]
                if admin_password
                else []
            ),
            '  POST /api/login {"username": "scheduler", "password": "demo-scheduler"}'
            " gives a bearer token.",
            token_hint,
            "Then open http://127.0.0.1:8000/ (pages) or http://127.0.0.1:8000/docs (API).",
        ]
    )
