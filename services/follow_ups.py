"""Follow-up series: an RFC 5545 RRULE expanded in the clinic's wall time (docs/rules.md).

Every occurrence keeps the local time of ``start`` across DST changes; each is booked or
reported with its code (``outside_window`` past the window, ``nonexistent_local_time`` /
``ambiguous_local_time`` in a DST gap or fold). A rule without COUNT or UNTIL stops at the
window's end. With ``tolerance_minutes``, an occurrence whose time is taken may move to the
nearest free time that day within the tolerance. The rule is expanded before the booking's
transaction begins, so no expansion ever runs while the write lock is held.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.uow import UnitOfWork
from planner import recurrence
from planner.board import Board, Placement, SessionKind
from planner.errors import PlannerError
from planner.localtime import Clock, instant_in, local_instant, require_whole_minutes
from planner.slots import GRID
from services.booking import insert_session
from services.care_plans import board_for_windows
from services.commands import BookFollowUps
from services.plan_views import FollowUpsView, Occurrence
from services.sessions import session_views

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


def _series(uow: UnitOfWork, infusion_id: int, wanted: BookFollowUps) -> list[datetime]:
    """The occurrences' wall times (read the window in a short transaction, expand outside)."""
    with uow.reading():
        zone = uow.clinic.zone()
        infusion = uow.infusions.get(infusion_id)
        kind = uow.session_types.kind(wanted.session_type)
        window = uow.calendar.facts(infusion).window(kind.window)
    first = require_whole_minutes(instant_in(wanted.start, zone))
    until = (window.end if window else first).astimezone(zone).replace(tzinfo=None)
    return _expand(wanted.rrule, first.astimezone(zone).replace(tzinfo=None), until)


def book_follow_ups(
    uow: UnitOfWork, infusion_id: int, wanted: BookFollowUps, clock: Clock
) -> FollowUpsView:
    """Book every occurrence the rule yields, or say why not, occurrence by occurrence."""
    walls = _series(uow, infusion_id, wanted)
    tolerance = timedelta(minutes=wanted.tolerance_minutes)
    with uow:
        zone = uow.clinic.zone()
        infusion = uow.infusions.get(infusion_id)
        kind = uow.session_types.kind(wanted.session_type)
        board = board_for_windows(uow, infusion, [kind], clock)
        outcomes: list[tuple[datetime, int | None, PlannerError | None]] = []
        rows = {}
        for wall in walls:
            try:
                start = local_instant(wall, zone).astimezone(UTC)
                placement = _place(board, kind, start, wanted.therapist_id, tolerance)
            except PlannerError as refusal:
                outcomes.append((wall, None, refusal))
                continue
            row = insert_session(uow, infusion, kind.key, placement, clock())
            board.add(board.tentative(placement, row.id, kind))
            rows[row.id] = row
            outcomes.append((wall, row.id, None))
        uow.commit()
        views = {v.id: v for v in session_views(uow, list(rows.values()), zone)}
        return FollowUpsView(
            occurrences=tuple(
                Occurrence(wall, views[ident])
                if ident is not None
                else Occurrence(
                    wall, None, refusal.code if refusal else None, refusal.detail if refusal else ""
                )
                for wall, ident, refusal in outcomes
            )
        )
