"""On PostgreSQL, the overlap exclusion constraints may be checked at commit.

A re-plan moves several sessions of one infusion in one transaction; one of them can take
the time another held before it. Checked row by row, the state between the two updates
looks like an overlap. ``DEFERRABLE INITIALLY IMMEDIATE`` keeps every other write checked
at once; only a transaction that asks (``UnitOfWork.check_overlaps_at_commit``) is checked
when it commits, still against every other transaction.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('booked', 'checked_in')"
OVERLAPS = (
    ("ex_sessions_therapist_overlap", "therapist_id"),
    ("ex_sessions_patient_overlap", "patient_id"),
    ("ex_sessions_room_overlap", "room_id"),
)


def _replace(timing: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no exclusion constraints; the planner's checks cover it
    for name, column in OVERLAPS:
        op.execute(f"ALTER TABLE sessions DROP CONSTRAINT {name}")
        op.execute(
            f"ALTER TABLE sessions ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(start, \"end\", '[)') WITH &&) WHERE ({ACTIVE})"
            f"{timing}"
        )


def upgrade() -> None:
    _replace(" DEFERRABLE INITIALLY IMMEDIATE")


def downgrade() -> None:
    _replace("")
