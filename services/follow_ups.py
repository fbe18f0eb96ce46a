"""Follow-up series (SPEC §5): an RFC 5545 RRULE expanded in the clinic's wall time.

Every occurrence keeps the local time of ``start`` across DST changes; each is booked or
reported with its code (``outside_window`` past the window, ``nonexistent_local_time`` /
``ambiguous_local_time`` in a DST gap or fold). A rule without COUNT or UNTIL stops at the
window's end. With ``tolerance_minutes``, an occurrence whose time is taken may move to the
nearest free time that day within the tolerance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.schemas.planning import FollowUpRequest, FollowUpsPublic, UnplacedOccurrence
from models.tables import Infusion
from models.uow import UnitOfWork
from planner import recurrence
from planner.board import Board, Placement, SessionKind
from planner.errors import PlannerError, ValidationFailed
from planner.localtime import Clock, local_instant, parse_instant, planning_now
from planner.slots import GRID
from services.board_loader import session_kind
from services.booking import insert_session
from services.common import clinic_zone, get_or_404
from services.planning import board_for_windows
from services.sessions_view import sessions_public

MAX_OCCURRENCES = 200


def _expand(rule_text: str, first_wall: datetime, until: datetime) -> list[datetime]:
    return recurrence.series(rule_text, first_wall, until, limit=MAX_OCCURRENCES)


def _place(
    board: Board,
    kind: SessionKind,
    start: datetime,
    therapist_id: int | None,
    tolerance: timedelta,
) -> Placement:
    """At ``start``, or the nearest time that day within the tolerance (earlier on a tie)."""
    try:
        return board.check(kind, start, therapist_id=therapist_id)
    except PlannerError as refusal:
        first_refusal = refusal
    day = start.astimezone(board.zone).date()
    shift = GRID
    while shift <= tolerance:
        for candidate in (start - shift, start + shift):
            if candidate.astimezone(board.zone).date() != day:
                continue
            try:
                return board.check(kind, candidate, therapist_id=therapist_id)
            except PlannerError:
                continue
        shift += GRID
    raise first_refusal


def book_follow_ups(
    uow: UnitOfWork, infusion_id: int, body: FollowUpRequest, clock: Clock
) -> FollowUpsPublic:
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        infusion = get_or_404(session, Infusion, infusion_id, "infusion")
        kind = session_kind(session, body.session_type)
        first = parse_instant(body.start, zone, field="start")
        if first.second or first.microsecond:
            raise ValidationFailed("start must be a whole minute (seconds must be 0)")
        board = board_for_windows(session, infusion, [kind], zone, clock)
        window = board.infusion.window(kind.window)
        until = (window.end if window else first).astimezone(zone).replace(tzinfo=None)
        first_wall = first.astimezone(zone).replace(tzinfo=None)
        now = planning_now(clock)
        rows = []
        unplaced: list[UnplacedOccurrence] = []
        tolerance = timedelta(minutes=body.tolerance_minutes)
        for wall in _expand(body.rrule, first_wall, until):
            try:
                start = local_instant(wall, zone).astimezone(UTC)
                placement = _place(board, kind, start, body.therapist_id, tolerance)
            except PlannerError as refusal:
                unplaced.append(
                    UnplacedOccurrence(
                        occurrence=wall.isoformat(), code=refusal.code, detail=refusal.detail
                    )
                )
                continue
            row = insert_session(session, infusion, kind.key, placement, now)
            board.add(board.tentative(placement, row.id))
            rows.append(row)
        uow.commit()
        return FollowUpsPublic(sessions=sessions_public(session, rows, zone), unplaced=unplaced)
