"""Sessions and idempotency keys. On PostgreSQL, exclusion constraints make overlapping active
sessions of one therapist, patient or room impossible, whatever the interleaving.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ACTIVE = "status IN ('booked', 'checked_in')"


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("infusion_id", sa.Integer, sa.ForeignKey("infusions.id"), nullable=False),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column(
            "session_type", sa.String(64), sa.ForeignKey("session_types.key"), nullable=False
        ),
        sa.Column("therapist_id", sa.Integer, sa.ForeignKey("therapists.id"), nullable=False),
        sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id"), nullable=True),
        sa.Column("start", TS, nullable=False),
        sa.Column("end", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("window", sa.String(40), nullable=False),
        sa.Column("outside_window", sa.Boolean, nullable=False),
        sa.Column("override_reason", sa.Text, nullable=True),
        sa.Column("cancel_reason", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_sessions_therapist_start", "sessions", ["therapist_id", "start"])
    op.create_index("ix_sessions_patient_start", "sessions", ["patient_id", "start"])
    op.create_index("ix_sessions_room_start", "sessions", ["room_id", "start"])
    op.create_index("ix_sessions_infusion", "sessions", ["infusion_id"])
    op.create_index("ix_sessions_start", "sessions", ["start"])
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("response_status", sa.Integer, nullable=True),
        sa.Column("response_body", sa.JSON, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ux_idempotency_user_key", "idempotency_keys", ["user_id", "key"], unique=True)
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for name, column in (
            ("ex_sessions_therapist_overlap", "therapist_id"),
            ("ex_sessions_patient_overlap", "patient_id"),
            ("ex_sessions_room_overlap", "room_id"),
        ):
            op.execute(
                f"ALTER TABLE sessions ADD CONSTRAINT {name} EXCLUDE USING gist "
                f"({column} WITH =, tstzrange(start, \"end\", '[)') WITH &&) WHERE ({ACTIVE})"
            )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("sessions")
