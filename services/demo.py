"""``planner demo``: a demo clinic for today. Running it again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.schemas.infusions import InfusionCreate
from api.schemas.people import (
    PatientCreate,
    RoomCreate,
    SessionTypeCreate,
    TherapistCreate,
    UserCreate,
    WorkingHoursIn,
)
from api.schemas.sessions import SessionCreate
from api.settings import Settings
from models.db import make_engine, session_factory
from models.tables import Infusion, Patient, Room, SessionType, Therapist, User
from models.uow import UnitOfWork
from planner.errors import PlannerError
from planner.localtime import Clock, day_bounds, local_instant, system_clock
from services import booking, catalog, infusions, therapists
from services.clinic import ensure_clinic
from services.common import clinic_zone
from services.users import create_user, ensure_first_admin

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
    try:
        ensure_clinic(UnitOfWork(factory), settings.clinic_name, settings.clinic_timezone)
        admin_password = ensure_first_admin(UnitOfWork(factory))
        ids = _base(factory, clock)
        booked = _today(factory, ids, clock)
    finally:
        engine.dispose()
    return _instructions(settings, booked, admin_password)


def _base(factory: sessionmaker[Session], clock: Clock) -> dict[str, list[int]]:
    with UnitOfWork(factory) as uow:
        have_therapists = {t.name: t.id for t in uow.session.scalars(select(Therapist))}
        have_rooms = {r.name: r.id for r in uow.session.scalars(select(Room))}
        have_types = set(uow.session.scalars(select(SessionType.key)))
        have_patients = {p.mrn: p.id for p in uow.session.scalars(select(Patient))}
        have_users = set(uow.session.scalars(select(User.username)))
    ids: dict[str, list[int]] = {"therapists": [], "patients": []}
    for name, disciplines, start, end, buffer, limit in THERAPISTS:
        if name not in have_therapists:
            body = TherapistCreate(
                name=name,
                disciplines=disciplines,
                working_hours=[WorkingHoursIn(rrule=WEEK, start=start, end=end)],
                buffer_minutes=buffer,
                max_sessions_per_day=limit,
            )
            have_therapists[name] = therapists.create_therapist(UnitOfWork(factory), body).id
        ids["therapists"].append(have_therapists[name])
    for name, kind in ROOMS:
        if name not in have_rooms:
            catalog.create_room(UnitOfWork(factory), RoomCreate(name=name, kind=kind))
    for key, label, minutes, discipline, window, room_kind in SESSION_TYPES:
        if key not in have_types:
            catalog.create_session_type(
                UnitOfWork(factory),
                SessionTypeCreate(
                    key=key,
                    name=label,
                    duration_minutes=minutes,
                    discipline=discipline,
                    window=window,
                    room_kind=room_kind,
                ),
            )
    for name, mrn in PATIENTS:
        if mrn not in have_patients:
            patient = PatientCreate(name=name, mrn=mrn)
            have_patients[mrn] = catalog.create_patient(UnitOfWork(factory), patient).id
        ids["patients"].append(have_patients[mrn])
    for username, role, password, therapist_index in USERS:
        if username not in have_users:
            therapist_id = None if therapist_index is None else ids["therapists"][therapist_index]
            create_user(
                UnitOfWork(factory),
                UserCreate.model_validate(
                    {
                        "username": username,
                        "role": role,
                        "password": password,
                        "therapist_id": therapist_id,
                    }
                ),
                clock,
                timedelta(days=1),  # demo users log in with their password
            )
    return ids


def _today(factory: sessionmaker[Session], ids: dict[str, list[int]], clock: Clock) -> int:
    """Today's infusions (once) and, for each, its care plan booked at the best slots.

    Bookings are made as if at the start of today, so the demo day is filled even when
    ``planner demo`` runs in the evening; every other rule applies as usual.
    """
    with UnitOfWork(factory) as uow:
        zone = clinic_zone(uow.session)
        now = clock().astimezone(UTC)
        today = now.astimezone(zone).date()
        first, last = day_bounds(today, zone)
        existing = set(
            uow.session.scalars(
                select(Infusion.patient_id).where(Infusion.start >= first, Infusion.start < last)
            )
        )
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
            UnitOfWork(factory),
            InfusionCreate(patient_id=patient_id, start=start.isoformat(), care_plan=care_plan),
            clock,
        )
        for key in care_plan:
            slots = booking.slots_for(
                UnitOfWork(factory), infusion.id, key, 1, None, start_of_today
            )
            if not slots:
                continue
            body = SessionCreate(
                infusion_id=infusion.id,
                session_type=key,
                start=slots[0].start,
                therapist_id=slots[0].therapist_id,
            )
            try:
                booking.book_session(UnitOfWork(factory), body, start_of_today)
                booked += 1
            except PlannerError:
                continue
    return booked


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
