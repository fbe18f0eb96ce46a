"""Courses of infusions (docs/rules.md, "Courses"): every visit's infusion in a chair and its
care plan in the windows that follow, planned together.

For each date of the course, the times within the tolerance are tried nearest the preferred
one first: each is the infusion really recorded and its care plan really planned, inside a
savepoint that is then rolled back (``UnitOfWork.trial``), so a time is judged by exactly the
rules that booking it meets (the patient, recovery, a chair, therapists, rooms). The time
placing the most of the care plan wins, then the one nearest the preferred time; it is then
recorded and booked. Without ``commit`` the same work is done and rolled back: the preview is
what booking would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.tables import Course, Infusion
from models.uow import UnitOfWork
from planner.courses import MAX_TRIALS, VisitTrial, best_trial, course_dates, shifts
from planner.errors import Code, PlannerError
from planner.localtime import Clock, planning_now, wall_to_instant
from planner.sessions import ACTIVE, InfusionStatus
from services.care_plans import not_yet_booked, plan_in
from services.commands import PlanCourse, RecordInfusion
from services.infusions import check_care_plan, infusion_views, record_infusion
from services.plan_views import PlannedSession, PlanView
from services.views import InfusionView, Unplaced, local


@dataclass(frozen=True)
class VisitView:
    """One date of a course: the infusion (None: no time within the tolerance could take
    it, and ``refused`` says why), how far it moved, and its care plan's sessions."""

    preferred: datetime
    infusion: InfusionView | None
    shifted_minutes: int | None
    plan: PlanView | None
    refused: Unplaced | None = None


@dataclass(frozen=True)
class CourseView:
    id: int | None  # None: a preview
    patient_id: int
    rrule: str
    duration_minutes: int
    tolerance_minutes: int
    care_plan: tuple[str, ...]
    visits: tuple[VisitView, ...]
    committed: bool


def plan_course(uow: UnitOfWork, patient_id: int, wanted: PlanCourse, clock: Clock) -> CourseView:
    """Place every visit of the course; with ``commit`` record and book them all at once."""
    with uow:
        zone = uow.clinic.zone()
        uow.patients.get(patient_id)  # 404 for a patient that does not exist
        uow.patients.locked_reference(patient_id)
        care_plan = check_care_plan(uow, list(wanted.care_plan))
        first = wanted.start
        wall = first.astimezone(zone).replace(tzinfo=None) if first.tzinfo else first
        dates = course_dates(wanted.rrule, wall)
        tried = shifts(timedelta(minutes=wanted.tolerance_minutes))
        course = None
        if wanted.commit:
            course = Course(
                patient_id=patient_id,
                rrule=wanted.rrule,
                first_start=wall_to_instant(wall.date(), wall.time(), zone),
                duration_minutes=wanted.duration_minutes,
                tolerance_minutes=wanted.tolerance_minutes,
                care_plan=care_plan,
                created_at=clock(),
            )
            uow.courses.add(course)
        visits = []
        budget = TrialBudget()
        for day in dates:
            preferred = wall_to_instant(day.date(), day.time(), zone)
            visit = _visit(
                uow, patient_id, wanted, care_plan, preferred, tried, course, clock, budget
            )
            visits.append(visit)
        view = CourseView(
            id=course.id if course is not None else None,
            patient_id=patient_id,
            rrule=wanted.rrule,
            duration_minutes=wanted.duration_minutes,
            tolerance_minutes=wanted.tolerance_minutes,
            care_plan=tuple(care_plan),
            visits=tuple(visits),
            committed=wanted.commit,
        )
        if wanted.commit:
            uow.commit()
        return view


@dataclass
class TrialBudget:
    """How many more times (an infusion recorded and its care plan planned, then undone) a
    course may try: each visit always tries its preferred time, the others while this
    lasts, so a long course over a full clinic answers in seconds."""

    left: int = MAX_TRIALS


# A care-plan item no time can place: nobody practises its discipline, or the protocol has
# no such window. Trying other times cannot help it.
TIMELESS = {Code.discipline_mismatch.value, Code.outside_window.value}


def _visit(
    uow: UnitOfWork,
    patient_id: int,
    wanted: PlanCourse,
    care_plan: list[str],
    preferred: datetime,
    tried: list[timedelta],
    course: Course | None,
    clock: Clock,
    budget: TrialBudget,
) -> VisitView:
    """The best time for one visit, recorded and planned (in the caller's transaction)."""
    zone = uow.clinic.zone()
    trials: list[VisitTrial] = []
    refusals: list[PlannerError] = []
    now = planning_now(clock)
    for shift in tried:
        if shift and budget.left <= 0:
            break  # the course's budget is spent: the preferred time only
        start = preferred + shift
        if start < now:
            refusals.append(PlannerError(Code.in_the_past, "that time has passed"))
            continue
        budget.left -= 1
        with uow.trial():
            try:
                infusion = _record(uow, patient_id, wanted, care_plan, start, None, clock)
            except PlannerError as refusal:
                refusals.append(refusal)
                continue
            plan = plan_in(uow, infusion, care_plan, clock, commit=False)
        deviation = sum(s.score for s in plan.sessions)
        trials.append(VisitTrial(shift, len(plan.sessions), deviation))
        hopeless = sum(1 for u in plan.unplaced if u.code in TIMELESS)
        if len(plan.sessions) + hopeless == len(care_plan):
            break  # all that any time could place: no later (farther) time can be better
    best = best_trial(trials)
    if best is None:
        first = refusals[0]
        why = Unplaced("infusion", first.code.value, first.detail)
        return VisitView(local(preferred, zone), None, None, None, refused=why)
    infusion = _record(uow, patient_id, wanted, care_plan, preferred + best.shift, course, clock)
    plan = plan_in(uow, infusion, care_plan, clock, commit=True)
    minutes = int(best.shift.total_seconds() // 60)
    view = infusion_views(uow, [infusion], zone)[0]
    return VisitView(local(preferred, zone), view, minutes, plan)


def _record(
    uow: UnitOfWork,
    patient_id: int,
    wanted: PlanCourse,
    care_plan: list[str],
    start: datetime,
    course: Course | None,
    clock: Clock,
) -> Infusion:
    new = RecordInfusion(
        patient_id=patient_id,
        start=start,
        duration_minutes=wanted.duration_minutes,
        care_plan=tuple(care_plan),
    )
    infusion = record_infusion(uow, new, clock)
    if course is not None:
        infusion.course_id = course.id
    return infusion


def get_course(uow: UnitOfWork, course_id: int) -> CourseView:
    """A course as it stands: each date's infusion (as moved since), its sessions and what of
    its care plan has no session; a date whose infusion is missing or cancelled says so."""
    with uow.reading():
        zone = uow.clinic.zone()
        course = uow.courses.get(course_id)
        wall = course.first_start.astimezone(zone).replace(tzinfo=None)
        rows = uow.courses.infusions(course_id)
        views = {view.id: view for view in infusion_views(uow, rows, zone)}
        by_date: dict[date, Infusion] = {}
        for row in rows:
            if row.status == InfusionStatus.scheduled:
                by_date.setdefault(row.start.astimezone(zone).date(), row)
        visits = []
        for day in course_dates(course.rrule, wall):
            preferred = wall_to_instant(day.date(), day.time(), zone)
            found = by_date.get(day.date())
            if found is None:
                missing = Unplaced("infusion", "not_recorded", "no infusion on this date")
                visits.append(VisitView(local(preferred, zone), None, None, None, missing))
                continue
            view = views[found.id]
            plan = PlanView(
                sessions=tuple(booked_sessions(view)),
                unplaced=tuple(
                    Unplaced(key, "not_booked", "no session booked")
                    for key in not_yet_booked(uow, found)
                ),
                committed=True,
            )
            shifted = int((found.start - preferred).total_seconds() // 60)
            visits.append(VisitView(local(preferred, zone), view, shifted, plan))
        return CourseView(
            id=course.id,
            patient_id=course.patient_id,
            rrule=course.rrule,
            duration_minutes=course.duration_minutes,
            tolerance_minutes=course.tolerance_minutes,
            care_plan=tuple(course.care_plan),
            visits=tuple(visits),
            committed=True,
        )


def booked_sessions(infusion: InfusionView) -> list[PlannedSession]:
    """The infusion's active sessions, as a plan lists them."""
    return [
        PlannedSession(
            id=s.id,
            infusion_id=infusion.id,
            patient_id=infusion.patient_id,
            session_type=s.session_type,
            therapist_id=s.therapist_id,
            room_id=s.room_id,
            start=s.start,
            end=s.end,
            window=s.window,
            score=0.0,
        )
        for s in infusion.sessions
        if s.status in ACTIVE
    ]
