"""Upgrading a database that holds a clinic's rows, on both databases: the migrations that
add columns to tables others point at (infusions: chairs, courses) keep every row and every
reference, and the upgraded clinic books as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from models.db import make_engine
from models.migrate import upgrade
from tests.databases import fresh_database

NOW = "2026-03-01 12:00:00+00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no migration has touched: a new SQLite file or PostgreSQL database."""
    with fresh_database(request.param, tmp_path, "upgrade") as url:
        yield url


def test_upgrading_a_database_with_rows_keeps_them(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        upgrade(engine, "0007")  # as a clinic upgraded before chairs and courses
        with engine.begin() as db:
            db.execute(text("INSERT INTO patients (id, name) VALUES (1, 'Pat')"))
            db.execute(
                text(
                    'INSERT INTO infusions (id, patient_id, start, "end", duration_minutes, '
                    "protocol_version, status, care_plan, created_at) VALUES "
                    "(1, 1, '2026-03-10 11:00:00+00:00', '2026-03-10 11:40:00+00:00', 40, 1, "
                    f"'scheduled', '[]', '{NOW}')"
                )
            )
            db.execute(
                text(
                    "INSERT INTO therapists (id, name, disciplines, working_hours, buffer_minutes) "
                    "VALUES (1, 'Dana', '[\"physio\"]', '[]', 0)"
                )
            )
            db.execute(
                text(
                    "INSERT INTO session_types (id, key, name, duration_minutes, discipline, "
                    "\"window\") VALUES (1, 'rehab', 'Rehab', 60, 'physio', 'peak')"
                )
            )
            db.execute(  # a session points at the infusion: its table cannot be copied over
                text(
                    "INSERT INTO sessions (id, infusion_id, patient_id, session_type, "
                    'therapist_id, start, "end", status, "window", outside_window, '
                    "created_at, updated_at) VALUES (1, 1, 1, 'rehab', 1, "
                    "'2026-03-10 15:10:00+00:00', '2026-03-10 16:10:00+00:00', 'booked', "
                    f"'peak', false, '{NOW}', '{NOW}')"
                )
            )
        upgrade(engine)
        with engine.connect() as db:
            assert db.execute(text("SELECT infusion_id FROM sessions")).scalar_one() == 1
            row = db.execute(
                text("SELECT patient_id, chair_id, chair_until, course_id FROM infusions")
            ).one()
        assert tuple(row) == (1, None, None, None)
    finally:
        engine.dispose()
