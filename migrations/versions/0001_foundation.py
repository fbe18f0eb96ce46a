"""Foundation: clinic, protocol versions, users and tokens, therapists, rooms, session types,
patients, infusions; the default window protocol (docs/rules.md#the-window-protocol) as version 1.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# Frozen copy of the clinic's summary table; later edits are new protocol versions.
DEFAULT_WINDOWS = [
    {
        "key": "spinogenesis",
        "label": "Elevated spinogenesis",
        "implication": "Window for enhanced neural remodeling",
        "start_offset": "PT2H",
        "end_offset": "PT4H",
        "target_offset": None,
    },
    {
        "key": "peak",
        "label": "Peak neuroplasticity",
        "implication": "Cognitive training or rehabilitation fits here",
        "start_offset": "PT3H",
        "end_offset": "PT5H",
        "target_offset": "PT4H",
    },
    {
        "key": "plasticity",
        "label": "Neuroadaptive window",
        "implication": "Time-sensitive intervention opportunity; closes by ~12 h",
        "start_offset": "PT2H",
        "end_offset": "PT12H",
        "target_offset": None,
    },
    {
        "key": "long_term",
        "label": "Long-term synaptic density",
        "implication": "Sustained structural neurological recovery",
        "start_offset": "P1D",
        "end_offset": "P28D",
        "target_offset": None,
    },
]


def upgrade() -> None:
    op.create_table(
        "clinic",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
    )
    protocol = op.create_table(
        "protocol_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("anchor", sa.String(8), nullable=False),
        sa.Column("windows", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "therapists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("disciplines", sa.JSON, nullable=False),
        sa.Column("working_hours", sa.JSON, nullable=False),
        sa.Column("buffer_minutes", sa.Integer, nullable=False),
        sa.Column("max_sessions_per_day", sa.Integer, nullable=True),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("therapist_id", sa.Integer, sa.ForeignKey("therapists.id"), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("therapist_id", sa.Integer, sa.ForeignKey("therapists.id"), nullable=False),
        sa.Column("start", TS, nullable=False),
        sa.Column("end", TS, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_time_off_therapist_start", "time_off", ["therapist_id", "start"])
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
    )
    op.create_index("ix_rooms_kind", "rooms", ["kind"])
    op.create_table(
        "session_types",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("discipline", sa.String(64), nullable=False),
        sa.Column("window", sa.String(40), nullable=False),
        sa.Column("room_kind", sa.String(64), nullable=True),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("mrn", sa.String(64), nullable=True, unique=True),
    )
    op.create_table(
        "infusions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("start", TS, nullable=False),
        sa.Column("end", TS, nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column(
            "protocol_version",
            sa.Integer,
            sa.ForeignKey("protocol_versions.version"),
            nullable=False,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("care_plan", sa.JSON, nullable=False),
        sa.Column("cancel_reason", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_infusions_patient_start", "infusions", ["patient_id", "start"])
    op.create_index("ix_infusions_start", "infusions", ["start"])
    op.bulk_insert(
        protocol,
        [
            {
                "version": 1,
                "anchor": "end",
                "windows": DEFAULT_WINDOWS,
                "created_at": datetime(2026, 1, 1, tzinfo=UTC),
            }
        ],
    )


def downgrade() -> None:
    for table in (
        "infusions",
        "patients",
        "session_types",
        "rooms",
        "time_off",
        "api_tokens",
        "users",
        "therapists",
        "protocol_versions",
        "clinic",
    ):
        op.drop_table(table)
