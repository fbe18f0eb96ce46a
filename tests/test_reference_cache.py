"""Reference data kept between reads (models/reference.py), on both databases.

A slot search keeps the therapists, their shifts and time off, rooms, session types and
protocol versions under ``clinic.reference_version``, which the database bumps (migration
0011's triggers) in every transaction that changes them. Bookings leave it, so a day of
bookings keeps them; any change to them, through the API or straight in the database, is
seen by the very next search.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Connection, insert, select, text, update

from models.db import make_engine
from models.tables import Clinic, Room, Therapist, TimeOff
from tests import booking_fixtures
from tests.booking_fixtures import Clinic as ClinicFixture
from tests.booking_helpers import DAY, book, local, new_infusion
from tests.support import counted

clinic = booking_fixtures.clinic

REFERENCE_TABLES = ("therapists", "time_off", "rooms", "session_types", "protocol_versions")


def _slots(c: ClinicFixture) -> list[tuple[str, int]]:
    path = f"/api/infusions/{c.infusion['id']}/slots"
    found = c.api.ok("GET", f"{path}?session_type=physical_rehabilitation&limit=50")
    return [(s["start"], s["therapist_id"]) for s in found]


def _version(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return _read_version(connection)
    finally:
        engine.dispose()


def _read_tables(statements: list[str]) -> set[str]:
    return {t for t in REFERENCE_TABLES if any(f"FROM {t}" in s for s in statements)}


def test_a_search_after_a_booking_reads_no_reference_rows_again(
    clinic: ClinicFixture, app: FastAPI
) -> None:
    assert (local("11:10"), clinic.therapist["id"]) in _slots(clinic)  # read and kept
    quinn = new_infusion(clinic.api, "Quinn")
    with counted(app) as first:
        book(clinic.api, quinn["id"], f"{DAY}T11:10", therapist_id=clinic.therapist["id"])
    with counted(app) as statements:
        after = _slots(clinic)
    assert any("FROM sessions" in s for s in statements)  # computed again: the booking ended
    assert _read_tables(statements) == set()  # the kept answer, not the kept reference data
    assert first  # the booking itself ran SQL (the listener works)
    assert (local("11:10"), clinic.therapist["id"]) not in after


def test_a_booking_leaves_the_version_and_an_edit_moves_it(
    clinic: ClinicFixture, database_url: str
) -> None:
    before = _version(database_url)
    book(clinic.api, new_infusion(clinic.api, "Quinn")["id"], f"{DAY}T11:10")
    assert _version(database_url) == before
    clinic.api.ok("PATCH", f"/api/therapists/{clinic.therapist['id']}", {"buffer_minutes": 5})
    assert _version(database_url) != before


def test_edits_through_the_api_are_seen_by_the_next_search(clinic: ClinicFixture) -> None:
    api, dana = clinic.api, clinic.therapist
    assert {t for _, t in _slots(clinic)} == {dana["id"]}
    fay = api.therapist("Fay", ("physio",))
    assert {t for _, t in _slots(clinic)} == {dana["id"], fay["id"]}
    away: dict[str, Any] = {"start": f"{DAY}T06:00", "end": f"{DAY}T20:00", "reason": "course"}
    api.ok("POST", f"/api/therapists/{fay['id']}/time-off", away, 201)
    assert {t for _, t in _slots(clinic)} == {dana["id"]}
    afternoon = [{"rrule": "FREQ=DAILY", "start": "11:30", "end": "17:00"}]
    api.ok("PATCH", f"/api/therapists/{dana['id']}", {"working_hours": afternoon})
    starts = [start for start, _ in _slots(clinic)]
    assert starts and min(starts) == local("11:30")


def test_a_change_made_straight_in_the_database_is_seen(
    clinic: ClinicFixture, database_url: str
) -> None:
    """No write path can forget the version: the triggers bump it, not the application."""
    assert {t for _, t in _slots(clinic)} == {clinic.therapist["id"]}
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            dana = Therapist.id == clinic.therapist["id"]
            connection.execute(update(Therapist).where(dana).values(disciplines=["cognitive"]))
    finally:
        engine.dispose()
    assert _slots(clinic) == []


def test_every_kind_of_reference_data_moves_the_version(
    clinic: ClinicFixture, database_url: str
) -> None:
    """The triggers exist on each table at the head of the migrations (a later migration
    that rebuilds one of these tables must create them again: SQLite drops a table's
    triggers with it)."""
    dana = clinic.therapist["id"]
    away = {
        "start": datetime(2026, 3, 10, 12, tzinfo=UTC),
        "end": datetime(2026, 3, 10, 13, tzinfo=UTC),
    }
    changes = {
        "therapists": update(Therapist).values(name="Dana B."),
        "time_off": insert(TimeOff).values(therapist_id=dana, reason="", **away),
        "rooms": insert(Room).values(name="Gym 9", kind="gym"),
        "session_types": text("UPDATE session_types SET name = name || '.'"),
        "protocol_versions": text("UPDATE protocol_versions SET anchor = anchor"),
        "clinic": update(Clinic).values(name="Renamed clinic"),
    }
    engine = make_engine(database_url)
    try:
        for table, change in changes.items():
            with engine.connect() as connection:
                before = _read_version(connection)
                connection.execute(change)
                assert _read_version(connection) != before, table
                connection.rollback()
    finally:
        engine.dispose()


def _read_version(connection: Connection) -> int:
    return int(connection.scalar(select(Clinic.reference_version)) or 0)
