"""Re-planning when an infusion moves (it started late, it ran longer): SPEC §5 PATCH.

Windows are recomputed from the new times under the infusion's own protocol version.
Sessions that still fit and break no rule stay; the others move to their best free slot,
the same therapist first; what cannot move stays booked, is flagged ``outside_window`` and
is reported for staff. All of it in one transaction.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from api.schemas.planning import InfusionPatch, InfusionReplanned, Moved, Replan, UnplacedSession
from models.tables import Infusion, TherapySession
from models.uow import UnitOfWork
from planner.board import Placement
from planner.errors import PlannerError
from planner.joint import explain
from planner.localtime import Clock, parse_instant, planning_now, require_whole_minutes, to_clinic
from planner.slots import find_slots
from services.board_loader import occupation_of, session_kind
from services.common import clinic_zone, get_or_404
from services.infusions import infusion_public, refuse_overlapping_infusion
from services.planning import board_for_windows


def replan_infusion(
    uow: UnitOfWork, infusion_id: int, body: InfusionPatch, clock: Clock
) -> InfusionReplanned:
    with uow:
        session = uow.session
        zone = clinic_zone(session)
        infusion = get_or_404(session, Infusion, infusion_id, "infusion")
        if infusion.status == "cancelled":
            raise PlannerError("infusion_cancelled", f"infusion {infusion_id} is cancelled")
        start = (
            require_whole_minutes(parse_instant(body.start, zone, field="start"))
            if body.start is not None
            else infusion.start
        )
        minutes = body.duration_minutes or infusion.duration_minutes
        end = start + timedelta(minutes=minutes)
        refuse_overlapping_infusion(session, infusion.patient_id, start, end, ignore=infusion.id)
        infusion.start, infusion.end, infusion.duration_minutes = start, end, minutes
        session.flush()
        rows = session.scalars(
            select(TherapySession)
            .where(
                TherapySession.infusion_id == infusion.id,
                TherapySession.status == "booked",
            )
            .order_by(TherapySession.start, TherapySession.id)
        ).all()
        kinds = {row.id: session_kind(session, row.session_type) for row in rows}
        board = board_for_windows(session, infusion, list(kinds.values()), zone, clock)
        now = planning_now(clock)
        kept: list[int] = []
        unplaced_past: list[UnplacedSession] = []
        to_move: list[TherapySession] = []
        for row in rows:
            if row.start < now:  # already under way or over: it cannot move into the past
                window = board.infusion.window(kinds[row.id].window)
                if window is not None and window.fits(row.start, row.end):
                    kept.append(row.id)
                else:
                    row.outside_window = True
                    unplaced_past.append(
                        UnplacedSession(
                            session_id=row.id, code="in_the_past", detail="it has already begun"
                        )
                    )
                continue
            try:
                board.check(kinds[row.id], row.start, therapist_id=row.therapist_id, ignore=row.id)
                kept.append(row.id)
            except PlannerError:
                to_move.append(row)
        moving_ids = {row.id for row in to_move}
        board.forget_sessions(moving_ids)
        moved: list[Moved] = []
        unplaced = unplaced_past
        for row in to_move:
            kind = kinds[row.id]
            best = _best_slot(find_slots(board, kind, limit=1, therapist_id=row.therapist_id))
            best = best or _best_slot(find_slots(board, kind, limit=1))
            if best is None:
                reason = explain(board, kind)
                row.outside_window = True
                row.updated_at = now
                board.add(occupation_of(row))
                unplaced.append(
                    UnplacedSession(session_id=row.id, code=reason.code, detail=reason.detail)
                )
                continue
            before = to_clinic(row.start, zone)
            row.start, row.end = best.start, best.end
            row.therapist_id, row.room_id = best.therapist_id, best.room_id
            row.outside_window = False
            row.updated_at = now
            board.add(occupation_of(row))
            moved.append(Moved(session_id=row.id, from_=before, to=to_clinic(row.start, zone)))
        uow.commit()
        answer = infusion_public(session, infusion, zone)
        return InfusionReplanned(
            **answer.model_dump(), replan=Replan(kept=kept, moved=moved, unplaced=unplaced)
        )


def _best_slot(slots: list[Placement]) -> Placement | None:
    return slots[0] if slots else None
