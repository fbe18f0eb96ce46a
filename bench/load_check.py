"""The SQL check after each bench/load.py configuration: pairs of active sessions of the same
therapist, patient or room whose [start, end) overlap. It must find none."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from planner.sessions import ACTIVE

RESOURCES = ("therapist_id", "patient_id", "room_id")


def overlapping_pairs(database_url: str) -> dict[str, int]:
    """For each resource column, how many pairs of active sessions share it and overlap."""
    active = ", ".join(f"'{status.value}'" for status in sorted(ACTIVE))
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {
                resource: int(
                    conn.execute(
                        text(
                            f"""
                            SELECT count(*) FROM sessions a JOIN sessions b
                              ON a.id < b.id AND a.{resource} = b.{resource}
                             AND a.start < b."end" AND b.start < a."end"
                             WHERE a.status IN ({active}) AND b.status IN ({active})
                            """
                        )
                    ).scalar_one()
                )
                for resource in RESOURCES
            }
    finally:
        engine.dispose()


def active_sessions(database_url: str) -> int:
    active = ", ".join(f"'{status.value}'" for status in sorted(ACTIVE))
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            query = text(f"SELECT count(*) FROM sessions WHERE status IN ({active})")
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()
