"""Instants on the clinic's clock, as the read models carry them, across the DST nights.

The read models (``services.views``) answer datetimes already on the clinic's clock; the
pages and the API subtract, add and order them. On the night the clocks go back 01:30 EDT
comes before 01:10 EST, and one hour after 00:45 EDT is 01:45 EDT, not 01:45 EST: the
arithmetic must be elapsed time however the values are shown.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models.tables import TherapySession
from planner.board import Board, InfusionFacts, SessionKind, TherapistState
from planner.intervals import Interval
from planner.protocol import DEFAULT_PROTOCOL
from planner.sessions import SessionStatus
from services.views import local, session_view

NY = ZoneInfo("America/New_York")
FALL_BACK = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first 01:30
SECOND = datetime(2026, 11, 1, 6, 10, tzinfo=UTC)  # 01:10 EST, the second pass


def test_local_values_order_and_subtract_in_elapsed_time() -> None:
    first, second = local(FALL_BACK, NY), local(SECOND, NY)
    assert (first.strftime("%H:%M"), second.strftime("%H:%M")) == ("01:30", "01:10")
    assert first < second  # 01:30 EDT happens before 01:10 EST
    assert second - first == timedelta(minutes=40)
    assert first.isoformat() == "2026-11-01T01:30:00-04:00"
    assert second.isoformat() == "2026-11-01T01:10:00-05:00"
    later = first + timedelta(hours=1)
    assert later.astimezone(UTC) == FALL_BACK + timedelta(hours=1)


def test_undo_until_is_ten_minutes_of_elapsed_time_in_the_repeated_hour() -> None:
    changed = datetime(2026, 11, 1, 5, 55, tzinfo=UTC)  # 01:55 EDT
    row = TherapySession(
        id=1,
        infusion_id=1,
        patient_id=1,
        session_type="rehab",
        therapist_id=1,
        room_id=None,
        start=changed,
        end=changed + timedelta(hours=1),
        status=SessionStatus.checked_in,
        window="peak",
        outside_window=False,
        previous_status=SessionStatus.booked,
        status_changed_at=changed,
    )
    view = session_view(row, NY, None)
    assert view.undo_until is not None
    assert view.undo_until.astimezone(UTC) == datetime(2026, 11, 1, 6, 5, tzinfo=UTC)
    assert view.undo_until.isoformat() == "2026-11-01T01:05:00-05:00"  # the second 01:05


def test_a_session_starting_on_the_clinics_clock_lasts_its_elapsed_duration() -> None:
    """Board.check given a start on the clinic's clock (not UTC) ends one elapsed hour later."""
    start = datetime(2026, 11, 1, 1, 30, tzinfo=NY)  # 01:30 EDT, the first 01:30
    infusion_start = datetime(2026, 10, 31, 19, 0, tzinfo=NY)
    duration = timedelta(minutes=40)
    board = Board(
        zone=NY,
        now=datetime(2026, 10, 1, tzinfo=UTC),
        infusion=InfusionFacts(
            1,
            1,
            False,
            infusion_start,
            infusion_start + duration,
            DEFAULT_PROTOCOL.windows_for(infusion_start, duration),
        ),
        therapists={
            1: TherapistState(
                1,
                frozenset({"physio"}),
                timedelta(0),
                None,
                (
                    Interval(
                        datetime(2026, 10, 31, 12, tzinfo=UTC),
                        datetime(2026, 11, 1, 12, tzinfo=UTC),
                    ),
                ),
            )
        },
        rooms={},
    )
    kind = SessionKind("walk", timedelta(hours=1), "physio", "plasticity")
    placed = board.check(kind, start, therapist_id=1)
    assert placed.end.astimezone(UTC) - placed.start.astimezone(UTC) == timedelta(hours=1)
    assert placed.end.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
