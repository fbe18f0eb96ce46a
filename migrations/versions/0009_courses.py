"""Courses of infusions: a patient's series (an RRULE in wall time, the first start, the
infusion's length, a tolerance and the care plan of each visit); each infusion recorded for
one names its course.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("rrule", sa.String(300), nullable=False),
        sa.Column("first_start", TS, nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("tolerance_minutes", sa.Integer, nullable=False),
        sa.Column("care_plan", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_courses_patient_id", "courses", ["patient_id"])
    if op.get_bind().dialect.name == "sqlite":  # inline: no copy of a table others point at
        op.execute("ALTER TABLE infusions ADD COLUMN course_id INTEGER REFERENCES courses (id)")
    else:
        op.add_column("infusions", sa.Column("course_id", sa.Integer, nullable=True))
        op.create_foreign_key(
            "fk_infusions_course_id_courses", "infusions", "courses", ["course_id"], ["id"]
        )
    op.create_index("ix_infusions_course", "infusions", ["course_id"])


def downgrade() -> None:
    op.drop_index("ix_infusions_course", "infusions")
    with op.batch_alter_table("infusions") as batch:
        batch.drop_constraint("fk_infusions_course_id_courses", type_="foreignkey")
        batch.drop_column("course_id")
    op.drop_table("courses")
