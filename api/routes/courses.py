"""Courses of infusions: plan (preview or book) a patient's series, and read one back."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ClockDep, KnownQuery, Scheduler, UoW
from api.openapi import problems
from api.params import PathId
from api.schemas.courses import CourseCreate, CoursePublic
from services import courses

router = APIRouter(prefix="/api", tags=["courses"], dependencies=[KnownQuery])


@router.post("/patients/{patient_id}/courses", responses=problems(409))
def post_course(
    patient_id: PathId, body: CourseCreate, actor: Scheduler, uow: UoW, clock: ClockDep
) -> CoursePublic:
    """Place every infusion of the course in a chair and its care plan in the windows that
    follow, jointly: each visit at the preferred wall time or moved within the tolerance
    when that places more. ``commit`` false (the default) previews and stores nothing;
    true books it all in one transaction (as ``POST /api/plan/day``, 200 either way)."""
    return CoursePublic.of(courses.plan_course(uow, patient_id, body.command(), clock))


@router.get("/courses/{course_id}")
def get_course(course_id: PathId, actor: Scheduler, uow: UoW) -> CoursePublic:
    """The course as it stands: each date's infusion, its sessions and what is missing."""
    return CoursePublic.of(courses.get_course(uow, course_id))
